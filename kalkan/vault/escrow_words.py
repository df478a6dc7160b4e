"""The escrow secret as words to print: 32 bytes as 20 words of the EFF long list (7,776
words; 20 × 12.9 bits > 256) plus one check word, so a mistyped word is caught."""

from __future__ import annotations

import hashlib
from typing import Protocol

from kalkan.core.words import WORDS

WORD_COUNT = 20


class BadEscrowWords(ValueError):
    """The words do not spell an escrow secret; the message says which and why."""


def _check_word(secret: bytes) -> str:
    digest = hashlib.blake2b(secret, digest_size=8, person=b"kalkan-escrow").digest()
    return WORDS[int.from_bytes(digest, "big") % len(WORDS)]


def to_words(secret: bytes) -> list[str]:
    number = int.from_bytes(secret, "big")
    words = []
    for _ in range(WORD_COUNT):
        number, index = divmod(number, len(WORDS))
        words.append(WORDS[index])
    return [*reversed(words), _check_word(secret)]


def split_words(text: str) -> list[str]:
    """The words as typed, separated by spaces or hyphens. Four list words have a hyphen of
    their own (t-shirt, yo-yo, drop-down, felt-tip): a pair of pieces that forms one of them
    is that word, never two."""
    known = set(WORDS)
    words: list[str] = []
    for token in text.lower().split():
        if token in known:
            words.append(token)
            continue
        pieces = [p for p in token.split("-") if p]
        while pieces:
            if len(pieces) > 1 and f"{pieces[0]}-{pieces[1]}" in known:
                words.append(f"{pieces.pop(0)}-{pieces.pop(0)}")
            else:
                words.append(pieces.pop(0))
    return words


def from_words(text: str) -> bytes:
    words = split_words(text)
    if len(words) != WORD_COUNT + 1:
        raise BadEscrowWords(f"expected {WORD_COUNT + 1} words, got {len(words)}")
    index = {word: i for i, word in enumerate(WORDS)}
    number = 0
    for position, word in enumerate(words[:-1], start=1):
        if word not in index:
            raise BadEscrowWords(f"word {position} ({word!r}) is not in the word list")
        number = number * len(WORDS) + index[word]
    if number >= 2**256:
        raise BadEscrowWords("these words do not spell an escrow secret")
    secret = number.to_bytes(32, "big")
    if _check_word(secret) != words[-1]:
        raise BadEscrowWords("the check word does not match: a word is wrong or out of order")
    return secret


class _Writer(Protocol):
    def write(self, text: str) -> object: ...


def show_escrow_secret(out: _Writer, words: str) -> None:
    """The escrow secret for the terminal: once, with what to do with it."""
    from kalkan.accounts.totp import qr_terminal

    numbered = words.split()
    rows = [
        "   ".join(f"{i + 1:>2}. {w:<10}" for i, w in enumerate(numbered) if i // 7 == row)
        for row in range(3)
    ]
    out.write(
        "\nESCROW SECRET - shown only now. It is the only way back after a panic or if every\n"
        "administrator is lost. Print or write it down, check it, and keep it outside the\n"
        "country with someone you trust (it can be split among trustees). Never store it on\n"
        "this server or next to it.\n"
    )
    for row in rows:
        out.write("  " + row)
    out.write(qr_terminal(words))
