"""Linking several organisations' lists of victims without sharing identities (issue 15).

Each organisation exports, for the victims in a scope who consent to anonymised statistics,
keyed Bloom-filter encodings ("CLKs") of their name, birth year or age band, gender, region,
and the month and type of the act (`write_export`). A linkage unit holding every file and the
coalition's secret deduplicates each list, links the lists (`link`) and hands back only the
capture-history table: one 0/1 column per list and a count `n` (`counts_csv`). Names,
encodings and record ids never leave the unit.

How an encoding is made (the properties of clkhash's CLKs, without its dependencies):
- a name is folded across Cyrillic, Latin and the Kazakh/Kyrgyz letters (`fold_name`), cut
  into bigrams per word, and every bigram sets `hashes` bits chosen by HMAC-SHA256 under a key
  of its own field (per-field salting): "Асанова Айгерим", "Aigerim Asanova" and
  "Aýgerım Asanova" set the same bits;
- the other fields set bits for one token each; all fields share one 1024-bit filter, so no
  single field can be read off on its own;
- at rest the filter is balanced (followed by its complement, then permuted under the
  secret): every row has exactly 1024 bits set, so a row's weight says nothing about the
  length of a name; without the secret the bits cannot be told apart.

The unit compares rows with the Dice coefficient; candidates come from locality-sensitive
blocking on sampled bits of the filters, and the comparison is vectorised with NumPy.

This module imports no Django: tools/kalkan_linkage.py runs it without a Kalkan instance.
It needs NumPy; folding names (exporting, benchmarks) also needs `anyascii`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product
from pathlib import Path

import numpy as np

FORMAT = "kalkan-linkage/1"
BITS = 1024  # a record's filter before balancing
ROW_BYTES = 4 + 8 + 2 * BITS // 8  # group number, real-row marker, balanced filter
SCOPE_FILTERS = ("act_type", "country", "year")
THRESHOLD = 0.81
MARGIN = 0.05
FILE_WARNING = (
    "# Kalkan linkage: the coalition's SECRET. Give it only to the coalition's members and\n"
    "# its linkage unit, by hand or over Signal; never by e-mail, never with an export file.\n"
)


class LinkageError(ValueError):
    """A file that cannot be used; the message names it and says why."""


# --- the coalition secret --------------------------------------------------------------------


def new_secret_text() -> str:
    raw = secrets.token_bytes(32)
    secret = Secret(raw)
    return (FILE_WARNING + f"# fingerprint: {secret.fingerprint}\n"
            + base64.b64encode(raw).decode("ascii") + "\n")


def write_new(path: Path, data: bytes) -> None:
    """Create the file for its owner only (0600); never overwrite."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise LinkageError(f"{path} exists already: choose another file") from None
    except OSError as e:
        raise LinkageError(f"{path}: cannot write it ({e.strerror})") from None
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def write_secret_file(path: Path) -> Secret:
    """A new secret in a new file readable only by its owner; never overwrites."""
    text = new_secret_text()
    write_new(path, text.encode("ascii"))
    return Secret.from_text(text, str(path))


@dataclass(frozen=True)
class Secret:
    raw: bytes = field(repr=False)

    @classmethod
    def from_text(cls, text: str, name: str = "the secret file") -> Secret:
        lines = [line.strip() for line in text.splitlines()
                 if line.strip() and not line.lstrip().startswith("#")]
        try:
            raw = base64.b64decode(lines[0], validate=True) if len(lines) == 1 else b""
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise LinkageError(f"{name}: not a Kalkan linkage secret (make one with "
                               "`kalkan linkage secret` or `kalkan_linkage.py secret`)")
        return cls(raw)

    @classmethod
    def from_file(cls, path: Path) -> Secret:
        try:
            text = Path(path).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as e:
            raise LinkageError(f"{path}: cannot read the secret ({e.__class__.__name__})") from None
        return cls.from_text(text, str(path))

    def key(self, purpose: str) -> bytes:
        return hmac.digest(self.raw, f"{FORMAT} {purpose}".encode(), "sha256")

    @property
    def fingerprint(self) -> str:
        """What an export says of the secret it was made with: it identifies the secret and
        gives nothing of it away (an HMAC of a fixed text)."""
        digest = self.key("fingerprint").hex()[:20]
        return " ".join(digest[i : i + 4] for i in range(0, 20, 4))


# --- names across scripts --------------------------------------------------------------------

# Latin letters of the Kazakh (2021) and Turkic alphabets that stand for a digraph.
_LATIN_DIGRAPHS = str.maketrans({"ş": "sh", "ç": "ch", "ı": "i", "ğ": "g", "ñ": "n"})
# Words that only say "son of" / "daughter of", after folding (уулу, ұлы, кызы, қызы, оглы).
_PATRONYMIC_MARKERS = frozenset({"ulu", "uli", "kizi", "kiz", "ogli", "ugli"})
_ATTACHED_MARKER = re.compile(r"^(\w{3,}?)(ulu|uli|kizi)$")
# Patronymics in -ович/-овна: many records leave them out, so they are left out of the key.
_PATRONYMIC = re.compile(r"^\w{2,}(ovich|evich|ovna|evna|ichna)$")
# Russian case and gender endings of surnames in -ov, -ev, -in (Алиевой, Алиеву, Алиева).
_SURNAME_ENDING = re.compile(r"^(\w{2,}(?:ov|ev|in))(a|oi|u|im|om|e|ui|ih|oiu)$")


def fold_name(text: str) -> list[str]:
    """The words of a name as one spelling: Cyrillic (ru, ky, kk) and Latin letters alike,
    transliteration schemes folded (kalkan.records.names), case and gender endings of
    surnames, patronymics and the words for "son/daughter of" dropped."""
    return [key for word in re.split(r"[\s,.;:/()\-'’\"]+", text) if word
            for key in _fold_word(word)]


@lru_cache(maxsize=200_000)
def _fold_word(word: str) -> tuple[str, ...]:
    from anyascii import anyascii

    from kalkan.records.names import latin, skeleton

    plain = anyascii(latin(word.lower().translate(_LATIN_DIGRAPHS))).lower()
    keys = []
    for part in re.split(r"[^a-z0-9]+", plain):
        key = skeleton(part)
        if not key or key in _PATRONYMIC_MARKERS or _PATRONYMIC.match(key):
            continue
        key = _ATTACHED_MARKER.sub(r"\1", key)
        keys.append(_SURNAME_ENDING.sub(r"\1", key))
    return tuple(keys)


# --- encoding ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str
    hashes: int  # bits per token: the field's weight
    # "name": bigrams of each folded word; "text": bigrams; "exact": the value; "year" (e.g.
    # "y1987") and "month" ("2025-03"): the value, and two halves that neighbours share
    kind: str = "exact"


# The fields of a Kalkan export. A name weighs most; a missing field sets no bits.
KALKAN_FIELDS = (
    Field("name", 12, "name"),
    Field("birth", 24, "year"),  # "y1987", or an age band code
    Field("gender", 10),
    Field("region", 20),
    Field("month", 20, "month"),  # "2025-03"
    Field("act", 16),
)


def _bigrams(word: str) -> list[str]:
    padded = f"_{word}_"
    return [padded[i : i + 2] for i in range(len(padded) - 1)]


def _number(kind: str, value: str) -> int | None:
    if kind == "year" and re.fullmatch(r"y\d{4}", value):
        return int(value[1:])
    if kind == "month" and re.fullmatch(r"\d{4}-\d{2}", value):
        return int(value[:4]) * 12 + int(value[5:]) - 1
    return None


class Encoder:
    """Record -> the bit positions of its filter, under the secret's per-field keys. Tokens
    repeat a lot (bigrams, months, regions), so their positions are remembered."""

    def __init__(self, secret: Secret, fields: Sequence[Field] = KALKAN_FIELDS,
                 bits: int = BITS) -> None:
        self.fields = tuple(fields)
        self.bits = bits
        self.keys = {f.name: secret.key(f"field {f.name}") for f in self.fields}
        self._cache: dict[tuple[str, str, int], tuple[int, ...]] = {}

    def _positions(self, field_name: str, token: str, hashes: int) -> tuple[int, ...]:
        cached = self._cache.get((field_name, token, hashes))
        if cached is None:
            digest = hmac.digest(self.keys[field_name], token.encode(), "sha256")
            first = int.from_bytes(digest[:8], "big")
            step = int.from_bytes(digest[8:16], "big") | 1
            cached = tuple((first + i * step) % self.bits for i in range(hashes))
            self._cache[(field_name, token, hashes)] = cached
        return cached

    def tokens(self, spec: Field, value: str) -> list[tuple[str, int]]:
        value = value.strip()
        if not value:
            return []
        if spec.kind == "name":
            return [(gram, spec.hashes) for word in fold_name(value) for gram in _bigrams(word)]
        if spec.kind == "text":
            text = re.sub(r"\s+", " ", value.lower())
            return [(gram, spec.hashes) for gram in _bigrams(text)]
        number = _number(spec.kind, value)
        if number is None:
            return [(value, spec.hashes)]
        # A year or month off by one (an age given instead of a birth date, a date
        # remembered late) still shares one of the halves.
        half = spec.hashes // 2
        return [(value, spec.hashes), (f"<{number // 2}", half), (f">{(number + 1) // 2}", half)]

    def positions(self, record: Mapping[str, str]) -> set[int]:
        out: set[int] = set()
        for spec in self.fields:
            for token, hashes in self.tokens(spec, record.get(spec.name, "") or ""):
                out.update(self._positions(spec.name, token, hashes))
        return out

    def encode(self, records: Sequence[Mapping[str, str]]) -> np.ndarray:
        """Packed filters, one row of bits/8 bytes per record."""
        dense = np.zeros((len(records), self.bits), dtype=bool)
        for row, record in enumerate(records):
            dense[row, list(self.positions(record))] = True
        return np.packbits(dense, axis=1)


def _rng(seed: bytes) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(int.from_bytes(seed[:16], "big")))


def _permutation(secret: Secret, bits: int) -> np.ndarray:
    return _rng(secret.key(f"balance {bits}")).permutation(2 * bits)


def balance(packed: np.ndarray, secret: Secret) -> np.ndarray:
    """Each filter followed by its complement, bits permuted under the secret: every row
    then has exactly `bits` ones."""
    bits = packed.shape[1] * 8
    order = _permutation(secret, bits)
    out = np.empty((packed.shape[0], packed.shape[1] * 2), dtype=np.uint8)
    for start in range(0, packed.shape[0], 8192):
        dense = np.unpackbits(packed[start : start + 8192], axis=1).astype(bool)
        both = np.concatenate([dense, ~dense], axis=1)
        out[start : start + 8192] = np.packbits(both[:, order], axis=1)
    return out


def unbalance(balanced: np.ndarray, secret: Secret) -> np.ndarray:
    bits = balanced.shape[1] * 4
    order = _permutation(secret, bits)
    where = np.empty_like(order)
    where[order] = np.arange(order.size)
    out = np.empty((balanced.shape[0], bits // 8), dtype=np.uint8)
    for start in range(0, balanced.shape[0], 8192):
        dense = np.unpackbits(balanced[start : start + 8192], axis=1)
        out[start : start + 8192] = np.packbits(np.take(dense, where[:bits], axis=1), axis=1)
    return out


# --- the export file ---------------------------------------------------------------------------


def scope_text(scope: Mapping[str, Iterable[str]]) -> str:
    """One canonical line for a scope: "act_type=detention;country=kg;year=2024,2025"."""
    parts = []
    for name in SCOPE_FILTERS:
        values = sorted({str(v) for v in scope.get(name, ()) if str(v)})
        if values:
            parts.append(f"{name}={','.join(values)}")
    return ";".join(parts) or "all"


def _mac(secret: Secret, header: Mapping[str, object]) -> str:
    body = json.dumps(header, sort_keys=True, ensure_ascii=True).encode()
    return hmac.new(secret.key("integrity"), body, hashlib.sha256).hexdigest()


def _marker(secret_key: bytes, group: int, clk: bytes) -> bytes:
    return hmac.digest(secret_key, group.to_bytes(4, "big") + clk, "sha256")[:8]


def _padding(secret: Secret, scope: str, real: int) -> int:
    """How many made-up victims hide the real number: 10 to about a tenth more, the same
    for the same scope and count (so a re-export is the same file)."""
    rng = _rng(secret.key(f"padding {scope} {real}"))
    return 10 + int(rng.integers(0, max(10, real // 10) + 1))


def write_export(secret: Secret, scope: Mapping[str, Iterable[str]],
                 victims: Sequence[Sequence[Mapping[str, str]]],
                 encoder: Encoder | None = None) -> bytes:
    """The export file: per victim, one or more records (each known spelling of the name,
    each act in scope), encoded, balanced and shuffled among padding. The same victims,
    scope and secret give the same bytes."""
    encoder = encoder or Encoder(secret)
    text = scope_text(scope)
    groups: list[list[bytes]] = []
    for records in victims:
        rows = sorted({bytes(row) for row in encoder.encode(list(records))}) if records else []
        if rows:
            groups.append(rows)
    groups.sort()
    real = len(groups)
    rng = _rng(secret.key(f"shuffle {text}"))
    pads = _padding(secret, text, real)
    width = encoder.bits // 8
    density = 0.25
    for _ in range(pads):
        dense = rng.random(encoder.bits) < density
        groups.append([bytes(np.packbits(dense))])
    order = rng.permutation(len(groups))
    flat: list[bytes] = []
    group_of: list[int] = []
    is_real: list[bool] = []
    for number, index in enumerate(order):
        for row in groups[index]:
            flat.append(row)
            group_of.append(number)
            is_real.append(bool(index < real))
    packed = np.frombuffer(b"".join(flat), dtype=np.uint8).reshape(len(flat), width)
    balanced = balance(packed, secret)
    marker_key = secret.key("marker")
    out = bytearray()
    for i, row in enumerate(balanced):
        clk = row.tobytes()
        marker = (_marker(marker_key, group_of[i], clk) if is_real[i]
                  else rng.bytes(8))
        out += group_of[i].to_bytes(4, "big") + marker + clk
    header: dict[str, object] = {
        "format": FORMAT, "scope": text, "secret": secret.fingerprint, "bits": encoder.bits,
        "fields": [f.name for f in encoder.fields], "rows": len(flat),
        "data": base64.b64encode(bytes(out)).decode("ascii"),
    }
    header["mac"] = _mac(secret, header)
    return (json.dumps(header, sort_keys=True) + "\n").encode("ascii")


@dataclass
class EncodedList:
    """One organisation's list as the unit sees it: unbalanced filters, real rows only, and
    which victim (a number within the file) each row belongs to."""

    name: str
    scope: str
    clks: np.ndarray  # uint8 [rows, bits/8]
    groups: np.ndarray  # int64 [rows]
    digest: str = ""

    @property
    def victims(self) -> int:
        return int(_distinct(self.groups).size)


@dataclass
class FileRows:
    """What anyone holding a file sees, secret or not."""

    header: dict[str, object]
    groups: np.ndarray  # int64 [rows]
    markers: np.ndarray  # uint8 [rows, 8]
    balanced: np.ndarray  # uint8 [rows, 2 * bits / 8]


def file_rows(data: bytes, name: str = "the file") -> FileRows:
    try:
        header = json.loads(data)
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ValueError
        bits, rows = int(header["bits"]), int(header["rows"])
        raw = base64.b64decode(header["data"], validate=True)
        for key in ("secret", "scope", "mac"):
            if not isinstance(header[key], str):
                raise ValueError
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise LinkageError(f"{name}: not a Kalkan linkage export, or damaged") from None
    width = 4 + 8 + 2 * bits // 8
    if bits <= 0 or bits % 8 or rows < 0 or len(raw) != rows * width:
        raise LinkageError(f"{name}: damaged (the rows do not add up)")
    table = np.frombuffer(raw, dtype=np.uint8).reshape(rows, width)
    groups = table[:, :4].astype(np.int64) @ np.array([1 << 24, 1 << 16, 1 << 8, 1])
    return FileRows(header, groups, table[:, 4:12], np.ascontiguousarray(table[:, 12:]))


def read_export(data: bytes, secret: Secret, name: str) -> EncodedList:
    """Check and open one export; anything wrong is a LinkageError naming the file."""
    rows = file_rows(data, name)
    header = dict(rows.header)
    fingerprint, scope, mac = header["secret"], header["scope"], header.pop("mac")
    if fingerprint != secret.fingerprint:
        raise LinkageError(f"{name}: made with another coalition secret (its fingerprint "
                           f"{fingerprint}, yours {secret.fingerprint})")
    if not hmac.compare_digest(str(mac), _mac(secret, header)):
        raise LinkageError(f"{name}: damaged or changed after export (integrity check failed)")
    marker_key = secret.key("marker")
    real = np.array([hmac.compare_digest(rows.markers[i].tobytes(),
                                         _marker(marker_key, int(rows.groups[i]),
                                                 rows.balanced[i].tobytes()))
                     for i in range(rows.groups.size)], dtype=bool)
    return EncodedList(name, str(scope), unbalance(rows.balanced[real], secret),
                       rows.groups[real], digest=str(mac))


def read_exports(paths: Sequence[Path], secret: Secret) -> list[EncodedList]:
    """Every file checked; all must share the first one's scope and be different files."""
    lists: list[EncodedList] = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            raise LinkageError(f"{path}: cannot read it ({e.strerror or e})") from None
        one = read_export(data, secret, str(path))
        if lists and one.scope != lists[0].scope:
            raise LinkageError(f"{path}: another scope ({one.scope}) than {lists[0].name} "
                               f"({lists[0].scope})")
        for other in lists:
            if other.digest == one.digest:
                raise LinkageError(f"{path}: the same export as {other.name}")
        lists.append(one)
    return lists


# --- the linkage unit --------------------------------------------------------------------------


@dataclass
class Linked:
    lists: list[str]
    patterns: dict[tuple[int, ...], int]  # capture history -> people
    near_threshold: int  # pairs of victims scoring within MARGIN of the threshold
    threshold: float
    duplicates: list[int]  # per list: victims merged into another of the same list
    candidates: int  # pairs compared
    margin: float = MARGIN

    @property
    def people(self) -> int:
        return sum(self.patterns.values())


# Blocking: rows that agree on every one of some sampled bits, in any of BANDS bands, are
# compared. How many bits a band samples follows from the data: as many as keep the pairs
# that agree by chance near BUDGET (small lists: few bits, nearly every pair is compared;
# 100,000s of rows: more bits). The bands come from a fixed seed, not the secret: they only
# decide which pairs are compared.
BUDGET = 4_000_000
WINDOW = 200  # a bucket larger than this is compared with its sorted neighbours only


def bands_for(n: int) -> int:
    """More bands for fewer rows: each band costs a sort of every row."""
    return int(np.clip(20_000_000 // max(n, 1), 48, 200))


def band_bits(clks: np.ndarray, owner: np.ndarray, bands: int, budget: int = BUDGET) -> int:
    """Bits per band: P(two unrelated rows agree on a bit) ** bits * pairs * bands ≈ budget."""
    n = clks.shape[0]
    rng = np.random.default_rng(15)
    a, b = rng.integers(0, n, 4000), rng.integers(0, n, 4000)
    keep = owner[a] != owner[b]
    if not keep.any():
        return 8
    differ = np.bitwise_count(clks[a[keep]] ^ clks[b[keep]]).sum() / (keep.sum() * clks.shape[1]
                                                                     * 8)
    agree = min(max(1.0 - float(differ), 0.05), 0.99)
    pairs = n * (n - 1) / 2
    wanted = np.log(budget / (pairs * bands)) / np.log(agree) if pairs * bands > budget else 1
    return int(np.clip(np.ceil(wanted), 6, 60))


def _candidates(clks: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Pairs (i < j) of rows worth comparing, as i * n + j; rows of one victim are not."""
    n, width = clks.shape
    bands = bands_for(n)
    bits = band_bits(clks, owner, bands)
    picks = np.random.default_rng(15).integers(0, width * 8, size=(bands, bits))
    keys = np.zeros((n, bands), dtype=np.int64)
    for start in range(0, n, 8192):
        dense = np.unpackbits(clks[start : start + 8192], axis=1)
        packed = np.packbits(dense[:, picks], axis=2)  # [rows, bands, bytes]
        for byte in range(packed.shape[2]):
            keys[start : start + 8192] |= packed[:, :, byte].astype(np.int64) << (8 * byte)
    found: list[np.ndarray] = []
    for band in range(bands):
        order = np.argsort(keys[:, band], kind="stable")
        ranked = keys[order, band]
        # Positions i whose key equals that `gap` places on: the same bucket. The set only
        # shrinks as the gap grows, so big buckets cost only their own rows.
        active = np.flatnonzero(ranked[1:] == ranked[:-1])
        gap = 1
        while active.size and gap <= WINDOW:
            a, b = order[active], order[active + gap]
            keep = owner[a] != owner[b]
            a, b = a[keep], b[keep]
            found.append(np.minimum(a, b) * n + np.maximum(a, b))
            gap += 1
            active = active[active + gap < n]
            active = active[ranked[active + gap] == ranked[active]]
        if len(found) > 256:
            found = [_distinct(np.concatenate(found))]
    return _distinct(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique, without its hashing path, which is slow here)."""
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if values.size else values


def dice(clks: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Dice coefficients of row pairs, from popcounts."""
    words = clks.view(np.uint64) if clks.shape[1] % 8 == 0 else clks
    ones = np.bitwise_count(words).sum(axis=1, dtype=np.int64)
    out = np.empty(left.size, dtype=np.float64)
    for start in range(0, left.size, 262144):
        a, b = left[start : start + 262144], right[start : start + 262144]
        common = np.bitwise_count(words[a] & words[b]).sum(axis=1, dtype=np.int64)
        total = ones[a] + ones[b]
        out[start : start + 262144] = np.where(total > 0, 2 * common / np.maximum(total, 1),
                                                0.0)
    return out


@dataclass
class Clusters:
    """Who the unit takes to be one person: per victim (numbered across the lists, list by
    list, by their numbers within each file), the victim that stands for its group. Stays in
    the unit; benchmarks score it against the truth."""

    root: np.ndarray  # victim -> representative victim
    list_of: np.ndarray  # victim -> list index
    first: np.ndarray  # list index -> number of its first victim
    present: np.ndarray  # victim numbers that have rows (padding and gaps have none)
    masks: list[int]  # representative -> lists in its group, as bits
    near_threshold: int
    duplicates: list[int]
    candidates: int


def cluster(lists: Sequence[EncodedList], threshold: float = THRESHOLD,
            margin: float = MARGIN) -> Clusters:
    """Deduplicate each list and link the lists: pairs of victims scoring at least the
    threshold are joined, best first; across lists a group takes at most one victim of each
    list (a victim of list A found twice in list B is a duplicate inside B, which must have
    scored on its own)."""
    if not lists:
        raise LinkageError("no lists to link")
    clks = np.concatenate([one.clks for one in lists])
    first = np.cumsum([0] + [int(one.groups.max()) + 1 if one.groups.size else 0
                             for one in lists])
    owner = np.concatenate([one.groups + first[i] for i, one in enumerate(lists)])
    total = int(first[-1])
    pairs = _candidates(clks, owner) if clks.shape[0] else np.empty(0, dtype=np.int64)
    n = max(clks.shape[0], 1)
    left, right = pairs // n, pairs % n
    scores = dice(clks, left, right)
    victim_pairs = owner[left] * total + owner[right]
    near = _distinct(victim_pairs[np.abs(scores - threshold) < margin]).size
    strong = scores >= threshold
    order = np.argsort(-scores[strong], kind="stable")
    a_victims = owner[left[strong][order]].tolist()
    b_victims = owner[right[strong][order]].tolist()

    list_of = np.zeros(total, dtype=np.int64)
    for i, one in enumerate(lists):
        list_of[one.groups + first[i]] = i
    lists_of = list_of.tolist()
    parent = list(range(total))
    masks = [1 << i for i in lists_of]

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    duplicates = [0] * len(lists)
    for a, b in zip(a_victims, b_victims, strict=True):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        same_list = lists_of[a] == lists_of[b]
        own = 1 << lists_of[a] if same_list else 0
        if masks[ra] & masks[rb] & ~own:
            continue  # one victim per list in a group, joined across lists
        if same_list:
            duplicates[lists_of[a]] += 1
        parent[rb] = ra
        masks[ra] |= masks[rb]
    root = np.array([find(x) for x in range(total)], dtype=np.int64)
    return Clusters(root, list_of, first, _distinct(owner), masks, int(near), duplicates,
                    int(pairs.size))


def link(lists: Sequence[EncodedList], threshold: float = THRESHOLD,
         margin: float = MARGIN) -> Linked:
    """The capture-history table of the lists, and counts about how it was made."""
    found = cluster(lists, threshold, margin)
    patterns = {history: 0 for history in product((0, 1), repeat=len(lists)) if any(history)}
    for victim in _distinct(found.root[found.present]).tolist():
        mask = found.masks[victim]
        patterns[tuple((mask >> i) & 1 for i in range(len(lists)))] += 1
    return Linked([one.name for one in lists], patterns, found.near_threshold, threshold,
                  found.duplicates, found.candidates, margin)


def column_names(names: Sequence[str]) -> list[str]:
    """Column names for the lists: letters, digits, "_" and "-" only, each once."""
    out: list[str] = []
    for name in names:
        base = re.sub(r"[^A-Za-z0-9_-]+", "_", Path(name).stem).strip("_") or "list"
        column, n = base, 2
        while column in out or column == "n":
            column, n = f"{base}_{n}", n + 1
        out.append(column)
    return out


def counts_csv(linked: Linked, names: Sequence[str] | None = None) -> str:
    """The capture-history table `kalkan estimate --counts` reads: one 0/1 column per list
    and `n`, every pattern but the all-zero one (which nobody can count)."""
    columns = column_names(names or linked.lists)
    lines = [",".join([*columns, "n"])]
    for history in sorted(linked.patterns, reverse=True):
        lines.append(",".join([*(str(v) for v in history), str(linked.patterns[history])]))
    return "\n".join(lines) + "\n"


def summary(linked: Linked, lists: Sequence[EncodedList]) -> str:
    """What the unit may say besides the table: counts only."""
    lines = [f"lists: {len(lists)}; scope: {lists[0].scope if lists else ''}"]
    for one, merged in zip(lists, linked.duplicates, strict=True):
        lines.append(f"  {one.name}: {one.victims} victims, {merged} merged as duplicates")
    lines.append(f"people found: {linked.people}; pairs compared: {linked.candidates}")
    lines.append(f"pairs near the threshold {linked.threshold:.2f} (within ±{linked.margin}): "
                 f"{linked.near_threshold}")
    return "\n".join(lines)


def match_files(paths: Sequence[Path], secret_file: Path,
                threshold: float = THRESHOLD) -> tuple[str, str]:
    """What the unit hands back: the counts table, and a summary (counts only)."""
    secret = Secret.from_file(secret_file)
    if len(paths) < 2:
        raise LinkageError("give at least two export files (one per organisation)")
    if not 0.5 <= threshold < 1:
        raise LinkageError("the threshold is a Dice score between 0.5 and 1")
    lists = read_exports(paths, secret)
    linked = link(lists, threshold)
    return counts_csv(linked), summary(linked, lists)
