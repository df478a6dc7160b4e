"""Append-only, hash-chained log of staff actions, and its verification."""
