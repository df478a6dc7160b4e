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

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

try:
    from kalkan.analysis.linkage_cli import main
except ImportError as e:  # no NumPy, or not beside the Kalkan source
    raise SystemExit(f"kalkan_linkage.py: {e}. Install NumPy (python3 -m pip install numpy) "
                     "and run this file from a copy of the Kalkan source.") from None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], prog="kalkan_linkage.py"))
