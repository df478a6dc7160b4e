"""The EFF long word list (7,776 words, 12.9 bits each), for passphrases and escrow words.

The file is a copy of the Electronic Frontier Foundation's "large" diceware list
(https://www.eff.org/dice, CC BY 3.0 US), kept in the repository so that an escrow secret
written down today decodes with any later version of Kalkan. Never reorder or edit it.
"""

from __future__ import annotations

import secrets
from pathlib import Path

WORDS: tuple[str, ...] = tuple(
    (Path(__file__).with_name("eff_large_wordlist.txt")).read_text(encoding="ascii").split()
)
assert len(WORDS) == 7776 and len(set(WORDS)) == 7776  # noqa: S101 (a damaged package)

PASSPHRASE_WORDS = 6


def new_passphrase() -> str:
    """Six words drawn with the operating system's CSPRNG: 77 bits."""
    return "-".join(secrets.choice(WORDS) for _ in range(PASSPHRASE_WORDS))
