"""Kalkan: confidential documentation and emergency response for human-rights defenders."""
