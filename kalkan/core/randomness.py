"""Random strings from one read of the system's randomness, for Django's CSRF tokens.

Django's `get_random_string` draws each character with `secrets.choice`: one `getrandom`
system call per character, two 32-character strings for every new visitor's CSRF token
(the secret and its mask). The public form is where every visitor is new, and there those
64 calls were 12 % of the server's time under load (py-spy, `benchmarks/intake.py`), more
than sealing the report: on a virtual machine the call is slow, and it holds the
interpreter while it runs. This draws the same uniform characters from the same source in
one call: bytes from `os.urandom`, each kept only below the largest multiple of the
alphabet's size (rejection sampling, so no character is likelier than another)."""

from __future__ import annotations

import os

from django.middleware import csrf


def random_string(length: int, allowed_chars: str) -> str:
    """`length` characters of `allowed_chars`, each uniformly and independently chosen."""
    size = len(allowed_chars)
    if not 0 < size <= 256:
        raise ValueError("between 1 and 256 characters to choose from")
    limit = 256 - 256 % size  # bytes at or above it would favour the first characters
    chosen: list[str] = []
    while len(chosen) < length:
        # Enough for the whole string in one read, nearly always (a byte is kept with
        # probability limit/256 >= 1/2).
        for byte in os.urandom(2 * (length - len(chosen)) + 8):
            if byte < limit:
                chosen.append(allowed_chars[byte % size])
                if len(chosen) == length:
                    break
    return "".join(chosen)


def use_for_csrf_tokens() -> None:
    """Django's CSRF middleware draws its secrets and masks with this (its module-level name
    `get_random_string`, called with a length and `allowed_chars`)."""
    def drawn(length: int, allowed_chars: str = csrf.CSRF_ALLOWED_CHARS) -> str:
        return random_string(length, allowed_chars)

    # A name the module imported from django.utils.crypto (the stubs do not list it).
    setattr(csrf, "get_random_string", drawn)  # noqa: B010
