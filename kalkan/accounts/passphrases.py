"""System-generated passphrases: six words from the EFF long list (7,776 words), 77 bits."""

from __future__ import annotations

from xkcdpass import xkcd_password

PASSPHRASE_WORDS = 6

_words = xkcd_password.generate_wordlist(
    wordfile=xkcd_password.locate_wordfile("eff-long"), min_length=3, max_length=9
)


def new_passphrase() -> str:
    # xkcdpass draws with random.SystemRandom, i.e. the operating system's CSPRNG.
    return str(
        xkcd_password.generate_xkcdpassword(_words, numwords=PASSPHRASE_WORDS, delimiter="-")
    )
