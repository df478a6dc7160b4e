#!/usr/bin/env python3
"""The linkage unit, without any Kalkan server: link organisations' export files and print
the capture-history table for multiple systems estimation. Needs Python 3.11+ and NumPy.

    python3 kalkan_linkage.py secret --output FILE
        make the coalition's secret (once; give it to each member by hand, never by e-mail)
    python3 kalkan_linkage.py match A.kalkan-linkage B.kalkan-linkage C.kalkan-linkage \\
        --secret-file FILE [--output counts.csv] [--threshold 0.8]
        check every file (same secret, same scope, not damaged), deduplicate each list, link
        the lists, and write ONLY the counts: one 0/1 column per list and a column n.
        A summary (victims per list, duplicates merged, pairs near the threshold) goes to
        standard error. Feed the table to `kalkan estimate --counts counts.csv`.

The linking code is Kalkan's own (kalkan/analysis/linkage.py): run this file from a copy of
the Kalkan source (it finds the `kalkan` folder beside `tools/`), or with Kalkan installed.
No database, no Django, nothing written but the table. See docs/analysis.md in Kalkan.

Install NumPy with:  python3 -m pip install numpy
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

try:
    from kalkan.analysis import linkage
except ImportError as e:  # no NumPy, or not beside the Kalkan source
    raise SystemExit(f"kalkan_linkage.py: {e}. Install NumPy (python3 -m pip install numpy) "
                     "and run this file from a copy of the Kalkan source.") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kalkan_linkage.py", description="Kalkan's linkage unit, standalone.")
    sub = parser.add_subparsers(dest="action", required=True)
    secret = sub.add_parser("secret", help="make a new coalition secret")
    secret.add_argument("--output", required=True, type=Path)
    match = sub.add_parser("match", help="link export files: the counts table")
    match.add_argument("files", nargs="+", type=Path)
    match.add_argument("--secret-file", required=True, type=Path)
    match.add_argument("--output", type=Path, default=None)
    match.add_argument("--threshold", type=float, default=linkage.THRESHOLD)
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
        print(f"kalkan_linkage.py: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
