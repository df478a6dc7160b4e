"""`kalkan estimate`: multiple systems estimation from a counts file, without an instance.

    kalkan estimate --counts FILE.csv [--method M] [--strata COLUMN] [--json] [--seed N]

FILE.csv has one 0/1 column per list and a column n (the all-zero row absent), as
`kalkan linkage match` writes it. Every method runs; --method chooses the one whose result
heads the output (default lcmcr). A file Kalkan cannot use, or a table no method can say
anything sound about, stops the command with one line naming the file and the row, exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kalkan.analysis import estimation

MOST_BYTES = 10_000_000


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="kalkan estimate",
        description="Estimate how many people a set of overlapping lists missed.")
    parser.add_argument("--counts", required=True, metavar="FILE.csv",
                        help="one 0/1 column per list and a column n")
    parser.add_argument("--method", default=estimation.DEFAULT_METHOD,
                        choices=estimation.METHODS, help="the method whose result heads")
    parser.add_argument("--strata", metavar="COLUMN",
                        help="estimate each value of this column apart, and the total")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the sampler (the same seed gives the same figures)")
    args = parser.parse_args(argv)
    path = Path(args.counts)
    try:
        if path.stat().st_size > MOST_BYTES:
            raise estimation.CountsError("too_large_file", "larger than 10 MB")
        text = path.read_text(encoding="utf-8")
        tables = estimation.read_counts(text, args.strata)
        settings = estimation.LcmcrSettings(seed=args.seed)
        found: estimation.Estimate | estimation.Stratified
        if args.strata is None:
            found = estimation.estimate(tables[""], default=args.method,
                                        lcmcr_settings=settings)
        else:
            found = estimation.estimate_strata(tables, lcmcr_settings=settings,
                                               default=args.method)
    except (OSError, UnicodeDecodeError) as e:
        print(f"kalkan estimate: {path}: cannot read it ({type(e).__name__}: "
              f"{getattr(e, 'strerror', None) or e})", file=sys.stderr)
        return 2
    except estimation.CountsError as e:
        print(f"kalkan estimate: {path}: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(found.as_json(), ensure_ascii=False, indent=2))
    else:
        print(estimation.as_text(found))
    return 0
