"""The linkage unit's commands without an instance: `kalkan linkage secret|match` and
tools/kalkan_linkage.py (the same code, run from a copy of the source by a statistician).
No Django and no database: the unit only reads export files and writes the counts table.
`kalkan linkage export` needs the instance and is the management command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kalkan.analysis import linkage


def main(argv: list[str], prog: str = "kalkan linkage") -> int:
    parser = argparse.ArgumentParser(prog=prog, description="Kalkan's linkage unit.")
    sub = parser.add_subparsers(dest="action", required=True)
    secret = sub.add_parser("secret", help="make a new coalition secret")
    secret.add_argument("--output", required=True, type=Path)
    add_match_arguments(sub.add_parser("match", help="link export files: the counts table"))
    args = parser.parse_args(argv)
    try:
        if args.action == "secret":
            made = linkage.write_secret_file(args.output)
            print(f"secret written to {args.output}; fingerprint {made.fingerprint}")
            return 0
        table, said = linkage.match_files(args.files, args.secret_file, args.threshold)
        if args.output is None:
            sys.stdout.write(table)
        else:
            linkage.write_new(args.output, table.encode("ascii"))
        print(said, file=sys.stderr)
    except linkage.LinkageError as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 2
    return 0


def add_match_arguments(parser: argparse.ArgumentParser) -> None:
    """`match`'s arguments, here and in the management command."""
    parser.add_argument("files", nargs="+", type=Path, help="export files, one per list")
    parser.add_argument("--secret-file", required=True, type=Path)
    parser.add_argument("--output", type=Path, default=None,
                        help="where to write the counts CSV (default: standard output)")
    parser.add_argument("--threshold", type=float, default=linkage.THRESHOLD,
                        help=f"Dice score from which two records are one person "
                             f"(default {linkage.THRESHOLD})")
