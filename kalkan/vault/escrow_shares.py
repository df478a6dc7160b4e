"""The escrow secret split among trustees: any k of n SLIP-39 shares (`shamir-mnemonic`)
give it back, fewer tell nothing about it. Each share is 33 words of the SLIP-39 list with
a checksum of its own (RS1024), so a mistyped word is caught on that share, and the shares
of one split carry the same identifier, so shares of two different splits are refused.

What a person types back is read as printed: numbered rows ("1. word 2. word"), any case,
over several lines, with extra spaces. The single-secret words of older instances (21 words,
escrow_words) are read from the same input.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Sequence
from typing import IO, Protocol

from shamir_mnemonic import MnemonicError, combine_mnemonics, generate_mnemonics
from shamir_mnemonic.share import Share
from shamir_mnemonic.wordlist import WORD_INDEX_MAP, WORDLIST

from kalkan.vault.escrow_words import WORD_COUNT, BadEscrowWords, from_words

SHARE_WORDS = 33  # a 32-byte secret: 4 words of parameters, 26 of share, 3 of checksum
MAX_SHARES = 16  # SLIP-39's limit
_CHECKSUM_LENGTH = 3
_TOKEN = re.compile(r"\d+|[a-z]+(?:-[a-z]+)*")


def split(secret: bytes, threshold: int, shares: int) -> list[list[str]]:
    """The secret as `shares` shares, any `threshold` of which give it back."""
    if not 2 <= threshold <= shares <= MAX_SHARES:
        raise ValueError(f"a split needs 2 <= threshold <= shares <= {MAX_SHARES}")
    [group] = generate_mnemonics(1, [(threshold, shares)], secret)
    return [mnemonic.split() for mnemonic in group]


def typed_groups(text: str) -> list[list[str]]:
    """The words as typed, grouped by their numbering: a row numbered 1 starts a new group
    (the next sheet). A number out of turn means a word was left out or typed twice."""
    groups: list[list[str]] = [[]]
    for token in _TOKEN.findall(text.lower()):
        current = groups[-1]
        if not token.isdigit():
            current.append(token)
        elif int(token) == 1 and current:
            groups.append([])
        elif int(token) != len(current) + 1:
            where = f"share {len(groups)}: " if len(groups) > 1 else ""
            raise BadEscrowWords(
                f"{where}number {int(token)} comes after {len(current)} words: a word is "
                "missing or typed twice before it"
            )
    return [group for group in groups if group]


def _suggestion(word: str) -> str:
    # SLIP-39 words differ in their first four letters, so a right beginning names the word.
    by_prefix = [w for w in WORDLIST if len(word) >= 4 and w.startswith(word[:4])]
    close = by_prefix or difflib.get_close_matches(word, WORDLIST, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _customization(indices: Sequence[int]) -> bytes:
    # The "extendable" flag (bit 4 of the first two words) selects the checksum's string.
    extendable = ((indices[0] << 10 | indices[1]) >> 4) & 1
    return b"shamir_extendable" if extendable else b"shamir"


def _polymod(values: Sequence[int]) -> int:
    from shamir_mnemonic.rs1024 import _polymod as polymod

    return int(polymod(values))


def _one_word_fix(indices: list[int]) -> list[tuple[int, str]]:
    """Every (position, word) that, put in place of one word, makes the checksum right. The
    checksum is affine in the bits of each word, so each position costs ten evaluations."""
    fixes = []
    for position in range(len(indices)):
        if position < 2:  # these words also choose the checksum's string: try them all
            for candidate in range(len(WORDLIST)):
                trial = [*indices[:position], candidate, *indices[position + 1 :]]
                if candidate != indices[position] and _polymod(
                    list(_customization(trial)) + trial
                ) == 1:
                    fixes.append((position, WORDLIST[candidate]))
            continue
        base_values = list(_customization(indices)) + indices
        offset = len(base_values) - len(indices) + position
        base = _polymod(base_values)
        effect = []
        for bit in range(10):
            flipped = list(base_values)
            flipped[offset] ^= 1 << bit
            effect.append(_polymod(flipped) ^ base)
        for candidate in range(len(WORDLIST)):
            change = candidate ^ indices[position]
            result = base
            for bit in range(10):
                if change >> bit & 1:
                    result ^= effect[bit]
            if change and result == 1:
                fixes.append((position, WORDLIST[candidate]))
    return fixes


def _share(number: int, words: list[str]) -> Share:
    """One typed share, checked: every word on the list, the right count, its checksum."""
    for position, word in enumerate(words, start=1):
        if word not in WORD_INDEX_MAP:
            raise BadEscrowWords(
                f"share {number}, word {position}: {word!r} is not a share word"
                f"{_suggestion(word)}"
            )
    if len(words) != SHARE_WORDS:
        raise BadEscrowWords(
            f"share {number} has {len(words)} words; a share has {SHARE_WORDS}"
        )
    try:
        return Share.from_mnemonic(" ".join(words))
    except MnemonicError:
        fixes = _one_word_fix([WORD_INDEX_MAP[w] for w in words])
        if len(fixes) == 1:
            position, right = fixes[0]
            raise BadEscrowWords(
                f"share {number}, word {position + 1}: {words[position]!r} is wrong "
                f"(did you mean {right!r}?)"
            ) from None
        raise BadEscrowWords(
            f"share {number}: its checksum does not match: a word is wrong or two are "
            "swapped"
        ) from None


def _split_shares(groups: list[list[str]]) -> list[list[str]]:
    """Shares typed without their numbers come as one run of words: 33 words each."""
    if len(groups) == 1 and len(groups[0]) > SHARE_WORDS:
        words = groups[0]
        return [words[i : i + SHARE_WORDS] for i in range(0, len(words), SHARE_WORDS)]
    return groups


def secret_from_typed(text: str) -> bytes:
    """The escrow secret from what was typed: k shares of one split, or the 21 words of an
    instance whose secret was never split. BadEscrowWords says what is wrong and where."""
    groups = typed_groups(text)
    words = [word for group in groups for word in group]
    if not words:
        raise BadEscrowWords("nothing was typed")
    if len(words) == WORD_COUNT + 1:  # never a whole number of shares
        return from_words(" ".join(words))
    shares = [_share(n, group) for n, group in enumerate(_split_shares(groups), start=1)]
    first = shares[0]
    for number, share in enumerate(shares[1:], start=2):
        if share.common_parameters() != first.common_parameters() or (
            share.member_threshold != first.member_threshold
        ):
            raise BadEscrowWords(
                f"share {number} belongs to another split than share 1 (the shares of one "
                "split all begin with the same two words): use shares of one split only"
            )
    distinct: dict[int, Share] = {}
    for number, share in enumerate(shares, start=1):
        if share.index in distinct:
            raise BadEscrowWords(f"share {number} is typed twice")
        distinct[share.index] = share
    needed = first.member_threshold
    if len(distinct) < needed:
        raise BadEscrowWords(
            f"{len(distinct)} share{'s' if len(distinct) != 1 else ''} typed; this split "
            f"needs {needed}: nothing was opened"
        )
    try:
        return combine_mnemonics([s.mnemonic() for s in list(distinct.values())[:needed]])
    except MnemonicError:
        raise BadEscrowWords("these shares do not fit together: check every word") from None


class _Writer(Protocol):
    def write(self, text: str) -> object: ...


def _complete(text: str) -> bool:
    """Whether typed words could be a whole input: the 21 words, or as many whole shares as
    the first one says its split needs."""
    try:
        groups = _split_shares(typed_groups(text))
        count = sum(len(g) for g in groups)
        if count == WORD_COUNT + 1:
            return True
        if not count or count % SHARE_WORDS:
            return False
        return len(groups) >= _share(1, groups[0]).member_threshold
    except BadEscrowWords:
        return True  # stop reading; the mistake is reported


def read_typed(stdin: IO[str] | None = None, prompt: _Writer | None = None) -> str:
    """What the person types: on a terminal, lines until an empty line ends a whole input;
    from a pipe or a file, everything."""
    stdin = stdin or sys.stdin
    if not stdin.isatty():
        return stdin.read()
    if prompt is not None:
        prompt.write(
            "Type the escrow words, or the shares of the trustees one after another, as "
            "printed (with their numbers, over as many lines as you like); an empty line "
            "when done:\n"
        )
    lines: list[str] = []
    while line := stdin.readline():
        if not line.strip() and _complete(" ".join(lines)):
            break
        lines.append(line)
    return " ".join(lines)


def write_sheets(
    out: _Writer, shares: list[list[str]], threshold: int, fingerprint: str, *, pages: bool
) -> None:
    """Each share on a sheet of its own, to be copied by hand and given to one trustee;
    `pages` starts each on a new printed page (a form feed)."""
    for number, words in enumerate(shares, start=1):
        if pages and number > 1:
            out.write("\f")
        out.write(
            f"\n==== KALKAN ESCROW SHARE {number} OF {len(shares)} ====\n"
            f"Any {threshold} of the {len(shares)} shares open the vault; fewer tell nothing.\n"
            f"Escrow key fingerprint: {fingerprint}\n"
            "Copy the words by hand with their numbers, check each one, and keep this sheet\n"
            "apart from the other shares. Never store it on the server or next to it.\n\n"
        )
        for row in range(0, len(words), 3):
            out.write(
                "  " + "   ".join(
                    f"{i + 1:>2}. {words[i]:<10}" for i in range(row, min(row + 3, len(words)))
                ).rstrip() + "\n"
            )
        out.write(f"==== end of share {number} ====\n")
