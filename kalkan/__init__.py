"""Kalkan: confidential documentation and emergency response for human-rights defenders."""

import os

# NumPy's OpenBLAS would start a thread per core for the small matrices of the working set and
# the redaction model; in a web worker those threads cost more than they save (measured in
# benchmarks/redaction.py). Set before anything imports NumPy; an explicit setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
