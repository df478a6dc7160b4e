"""The working set: after staff unlock, the records they may see, decrypted into this
process's memory and indexed there (SQLite FTS5 in memory) for search and statistics.

Nothing readable is persisted: the only thing written is an encrypted snapshot of the
in-memory index (DATA_DIR/workingset/*.snap), so that the next unlock loads it (one
decryption) and catches up with records whose revision is newer, instead of decrypting and
indexing everything again. A working set is shared by every session of this process that
holds the same organisation keys, and dropped when the last of them ends (logout, idle
timeout, panic).

Apps register what to index: `register(Model, kind="report", fields=("narrative", ...))`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar, cast

import numpy as np
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import DatabaseError, close_old_connections, connections
from django.db.models import QuerySet

from kalkan.vault import crypto
from kalkan.vault.authentic import Untrusted, as_untrusted, report
from kalkan.vault.keyring import Keyring
from kalkan.vault.models import Removed, SealedRecord
from kalkan.vault.records import (
    Refused,
    committed_revision,
    open_content_key,
    read,
    read_values,
)

LOG = logging.getLogger("kalkan.vault")


@dataclass(frozen=True)
class Indexed:
    """What the working set keeps of one record: the fields shown in lists, the text that
    search finds, and facet values (name -> values) that filters and counts use."""

    fields: dict[str, str]
    text: str
    facets: dict[str, list[str]] = dataclass_field(default_factory=dict)


# An indexer turns a batch of (record, its decrypted fields) into Indexed entries, one per
# record, in order; it may read related records with the keyring (an act reads its event,
# victim and perpetrators). None: the fields as they are, their text searchable.
Indexer = Callable[[list[tuple[Any, dict[str, str]]], Keyring], list[Indexed]]


@dataclass(frozen=True)
class Source:
    model: type[SealedRecord]
    kind: str
    fields: tuple[str, ...]
    indexer: Indexer | None = None
    # The plain columns the indexer reads of a record (an act's event_id): a build reads
    # records as values, and the indexer gets an object with these attributes, id, pk and
    # revision.
    columns: tuple[str, ...] = ()
    # The models whose records the indexer opens (an act's event and persons): a build
    # indexes their sources first and keeps what it decrypted for it (opened_in_build).
    reads: tuple[type[SealedRecord], ...] = ()


SOURCES: list[Source] = []


def register(
    model: type[SealedRecord],
    *,
    kind: str,
    fields: Iterable[str],
    indexer: Indexer | None = None,
    columns: Iterable[str] = (),
    reads: Iterable[type[SealedRecord]] = (),
) -> None:
    if all(source.kind != kind for source in SOURCES):
        SOURCES.append(Source(model, kind, tuple(fields), indexer, tuple(columns), tuple(reads)))


# The full-text index shares its rowid with `records` and keeps no copy of the text
# (contentless): the text lives once, in records.fields, which halves the memory a working
# set takes.
# Facets are rows (record, name, value), so a filter is "n IN (...)" and a facet count is a
# GROUP BY over the matching records. The schema version is the database's user_version:
# a snapshot of another version is rebuilt rather than trusted. 5: acts carry the
# "people" facet (records' head counts), and catch_up reads up to a committed bound;
# a snapshot made before that may have skipped records for good, and its rebuild
# finds them. 6: the consent ledger's statements are records of the set (kind "consent"),
# so counts that need consent read it once per change; an older snapshot lacks them.
SCHEMA_VERSION = 6

T = TypeVar("T")
# How many derived figures (per query of a dashboard, say) a set keeps at once.
DERIVED_KEPT = 32
# The indexes are made apart from the tables: a build loads every row first and indexes
# once (a snapshot of version 5 with the id's index inline works the same).
_TABLES = f"""
CREATE TABLE records (n INTEGER PRIMARY KEY, id TEXT NOT NULL, kind TEXT NOT NULL,
                      revision INTEGER NOT NULL, fields TEXT NOT NULL);
CREATE VIRTUAL TABLE search USING fts5(text, content = '',
                                       tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE texts (n INTEGER PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE facets (n INTEGER NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL);
CREATE TABLE state (revision INTEGER NOT NULL);
INSERT INTO state VALUES (0);
PRAGMA user_version = {SCHEMA_VERSION};
"""  # noqa: S608 (constants only)
_INDEXES = """
CREATE UNIQUE INDEX records_by_id ON records (id);
CREATE INDEX records_by_kind ON records (kind);
CREATE INDEX facets_by_value ON facets (name, value, n);
CREATE INDEX facets_by_record ON facets (n, name, value);
"""


class _Facet:
    """One facet name's rows, (record number, value number), as growing NumPy columns."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self.number: dict[str, int] = {}
        self.n = np.zeros(0, dtype=np.int32)
        self.v = np.zeros(0, dtype=np.int32)
        self._new_n: list[int] = []
        self._new_v: list[int] = []
        self._order: np.ndarray | None = None  # value number -> rank in sorted order

    def value_number(self, value: str) -> int:
        number = self.number.get(value)
        if number is None:
            number = self.number[value] = len(self.values)
            self.values.append(value)
            self._order = None
        return number

    def add(self, n: int, values: Iterable[str]) -> None:
        for value in values:
            self._new_n.append(n)
            self._new_v.append(self.value_number(value))

    def settle(self) -> None:
        if self._new_n:
            self.n = np.concatenate([self.n, np.array(self._new_n, dtype=np.int32)])
            self.v = np.concatenate([self.v, np.array(self._new_v, dtype=np.int32)])
            self._new_n, self._new_v = [], []

    def numbers(self, wanted: Iterable[str]) -> np.ndarray:
        return np.array([self.number[v] for v in wanted if v in self.number], dtype=np.int32)

    def order(self) -> np.ndarray:
        if self._order is None:
            ranks = np.empty(len(self.values), dtype=np.int32)
            # As text (compared in C by code point, as Python compares str), not as objects.
            ranks[np.argsort(np.array(self.values, dtype=str), kind="stable")] = np.arange(
                len(self.values), dtype=np.int32)
            self._order = ranks
        return self._order


class _Columns:
    """The facets table again, as NumPy columns, for filters, counts and sorting.

    SQLite answers a facet count with a GROUP BY over every matching row (hundreds of ms
    over 100,000 acts); here a filter is a mask over record numbers and a count one
    `bincount`. The table stays the truth (it is what snapshots keep); this mirror is made
    from it when a working set is loaded and follows every put and forget. Forgotten records
    keep their rows until the next compaction; the kind column says they are gone."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.kinds: dict[str, int] = {}
        self.facets: dict[str, _Facet] = {}
        top = db.execute("SELECT coalesce(max(n), 0) FROM records").fetchone()[0]
        self.kind_of = np.full(max(1024, 2 * (top + 1)), -1, dtype=np.int16)
        self.dead = 0
        for n, kind in db.execute("SELECT n, kind FROM records"):
            self.kind_of[n] = self._kind_number(kind)
        names = [row[0] for row in db.execute("SELECT DISTINCT name FROM facets")]
        for name in names:
            facet = self.facets[name] = _Facet()
            # One string of numbers per value, parsed in C: a row at a time from Python
            # would take seconds on a large set.
            parts_n, parts_v = [], []
            for value, joined in db.execute(
                "SELECT value, group_concat(n) FROM facets WHERE name = ? GROUP BY value",
                (name,),
            ):
                ns = np.array(joined.split(","), dtype=np.int32)
                parts_n.append(ns)
                parts_v.append(np.full(len(ns), facet.value_number(value), dtype=np.int32))
            if parts_n:
                facet.n = np.concatenate(parts_n)
                facet.v = np.concatenate(parts_v)

    def _kind_number(self, kind: str) -> int:
        return self.kinds.setdefault(kind, len(self.kinds))

    def add(self, n: int, kind: str, facets: dict[str, list[str]]) -> None:
        if n >= len(self.kind_of):
            grown = np.full(2 * n + 1024, -1, dtype=np.int16)
            grown[: len(self.kind_of)] = self.kind_of
            self.kind_of = grown
        self.kind_of[n] = self._kind_number(kind)
        for name, values in facets.items():
            self.facets.setdefault(name, _Facet()).add(n, dict.fromkeys(values))

    def drop(self, n: int) -> None:
        if n < len(self.kind_of) and self.kind_of[n] >= 0:
            self.kind_of[n] = -1
            self.dead += 1

    def settle(self) -> None:
        for facet in self.facets.values():
            facet.settle()
        if self.dead > 50_000:
            # Forgotten records' rows cost memory and time in every count: drop them.
            for facet in self.facets.values():
                keep = self.kind_of[facet.n] >= 0
                facet.n, facet.v = facet.n[keep], facet.v[keep]
            self.dead = 0

    def of_kind(self, kind: str) -> np.ndarray:
        number = self.kinds.get(kind)
        if number is None:
            return np.zeros(len(self.kind_of), dtype=bool)
        return self.kind_of == number

    def having(self, name: str, values: np.ndarray) -> np.ndarray:
        """The records with any of these value numbers of a facet."""
        mask = np.zeros(len(self.kind_of), dtype=bool)
        facet = self.facets.get(name)
        if facet is not None and len(values):
            mask[facet.n[np.isin(facet.v, values)]] = True
        return mask

    def counts(self, name: str, mask: np.ndarray) -> list[tuple[str, int]]:
        facet = self.facets.get(name)
        if facet is None or not len(facet.values):
            return []
        counted = np.bincount(facet.v[mask[facet.n]], minlength=len(facet.values))
        present = np.flatnonzero(counted)
        # Most first, then by value, as the page lists them (sorted in NumPy: a facet such
        # as "people" has a value per victim).
        ordered = present[np.lexsort((facet.order()[present], -counted[present]))]
        return list(zip([facet.values[i] for i in ordered.tolist()],
                        counted[ordered].tolist(), strict=True))

    def sort_keys(self, name: str, newest: bool) -> np.ndarray:
        """Per record, the rank of its highest (newest) or lowest value of a facet; records
        without one sort last."""
        facet = self.facets.get(name)
        size = len(self.kind_of)
        if facet is None:
            return np.zeros(size, dtype=np.int64)
        ranks = facet.order()[facet.v].astype(np.int64)
        if newest:
            keys = np.full(size, -1, dtype=np.int64)
            np.maximum.at(keys, facet.n, ranks)
            return -keys  # ascending sort puts the newest first
        keys = np.full(size, len(facet.values) + 1, dtype=np.int64)
        np.minimum.at(keys, facet.n, ranks)
        return keys


class WorkingSet:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.lock = threading.RLock()
        # One catch-up at a time (two would index the same records twice over).
        self.catching_up = threading.Lock()
        self._columns: _Columns | None = None
        # How many removals (vault.Removed) this set has forgotten; -1: none yet, so a set
        # loaded from a snapshot looks at every one of them once.
        self.removals_seen = -1
        # Counts every change to the records; what is computed from them (a dashboard's act
        # rows, who consents now) is kept for one generation (derived()).
        self.generation = 0
        self._derived: dict[Hashable, tuple[int, Any]] = {}

    def columns(self) -> _Columns:
        """The NumPy mirror of the facets, made on first use."""
        with self.lock:
            if self._columns is None:
                self._columns = _Columns(self.db)
            self._columns.settle()
            return self._columns

    @classmethod
    def empty(cls, *, indexed: bool = True) -> WorkingSet:
        """A new set; `indexed=False` for a build, which calls load() then indexed()."""
        db = sqlite3.connect(":memory:", check_same_thread=False)
        db.executescript(_TABLES + (_INDEXES if indexed else ""))
        return cls(db)

    def load(self, n: int, rows: list[tuple[str, str, int, Indexed]]) -> None:
        """Add new records, numbered from `n` on, in a few statements (a build: the set
        holds none of them, and its indexes are made afterwards by indexed())."""
        numbered = list(enumerate(rows, start=n))
        texts: list[tuple[int, str]] = []
        fields: list[tuple[int, str, str, int, str]] = []
        for number, (record_id, kind, revision, entry) in numbered:
            values = entry.fields.values()
            if entry.text != "\n".join(values):
                texts.append((number, entry.text))  # as in _put_many
            fields.append((number, record_id, kind, revision,
                           json.dumps(entry.fields, ensure_ascii=False)))
        with self.lock, self.db:
            self.generation += 1
            self.db.executemany(
                "INSERT INTO records (n, id, kind, revision, fields) VALUES (?, ?, ?, ?, ?)",
                fields)
            self.db.executemany("INSERT INTO search (rowid, text) VALUES (?, ?)",
                                [(number, entry.text) for number, (*_r, entry) in numbered])
            self.db.executemany("INSERT INTO texts (n, text) VALUES (?, ?)", texts)
            self.db.executemany(
                "INSERT INTO facets (n, name, value) VALUES (?, ?, ?)",
                [(number, name, value) for number, (*_r, entry) in numbered
                 for name, values in entry.facets.items() for value in dict.fromkeys(values)],
            )
            self._columns = None

    def indexed(self) -> None:
        """Make the indexes a set made with `indexed=False` lacks."""
        with self.lock:
            self.db.executescript(_INDEXES)

    @classmethod
    def from_bytes(cls, data: bytes | memoryview) -> WorkingSet:
        db = sqlite3.connect(":memory:", check_same_thread=False)
        db.deserialize(data)
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            raise sqlite3.DatabaseError("a working set of another schema version")
        return cls(db)

    def to_bytes(self) -> bytes:
        with self.lock:
            return bytes(self.db.serialize())

    @property
    def revision(self) -> int:
        with self.lock:
            return int(self.db.execute("SELECT revision FROM state").fetchone()[0])

    def advance_to(self, revision: int) -> None:
        """The set holds every record up to `revision` (it never moves back)."""
        with self.lock, self.db:
            self.db.execute("UPDATE state SET revision = max(revision, ?)", (revision,))

    def put_many(
        self,
        rows: Iterable[tuple[str, str, int, dict[str, str] | Indexed]],
        *,
        advance: bool = True,
    ) -> int:
        """Add or replace records: (id, kind, revision, fields or Indexed). `advance`
        moves the revision the set has caught up to (not when adding records out of
        order)."""
        count = 0
        with self.lock:
            self.generation += 1
            try:
                with self.db:
                    count = self._put_many(rows, advance)
            except BaseException:
                # The table rolled back; the mirror may not have: make it again when asked.
                self._columns = None
                raise
        return count

    def _put_many(
        self, rows: Iterable[tuple[str, str, int, dict[str, str] | Indexed]], advance: bool
    ) -> int:
        count = 0
        top = self.revision
        for record_id, kind, revision, entry in rows:
            indexed = entry if isinstance(entry, Indexed) else Indexed(
                dict(entry), "\n".join(entry.values())
            )
            old = self.db.execute("SELECT n FROM records WHERE id = ?", (record_id,)).fetchone()
            if old is not None:
                self._forget(old[0])
            n = self.db.execute(
                "INSERT INTO records (id, kind, revision, fields) VALUES (?, ?, ?, ?)",
                (record_id, kind, revision, json.dumps(indexed.fields, ensure_ascii=False)),
            ).lastrowid
            assert n is not None  # noqa: S101 (an INSERT always has one)
            self.db.execute("INSERT INTO search (rowid, text) VALUES (?, ?)", (n, indexed.text))
            if indexed.text != "\n".join(indexed.fields.values()):
                # Kept only when it is not the fields' own text (memory: 100,000 records).
                self.db.execute("INSERT INTO texts (n, text) VALUES (?, ?)", (n, indexed.text))
            self.db.executemany(
                "INSERT INTO facets (n, name, value) VALUES (?, ?, ?)",
                [(n, name, value) for name, values in indexed.facets.items()
                 for value in dict.fromkeys(values)],
            )
            if self._columns is not None:
                self._columns.add(n, kind, indexed.facets)
            if advance:
                top = max(top, revision)
            count += 1
        self.db.execute("UPDATE state SET revision = ?", (top,))
        return count

    def _forget(self, n: int) -> None:
        # A contentless index forgets a row when told the text it indexed.
        row = self.db.execute("SELECT text FROM texts WHERE n = ?", (n,)).fetchone()
        if row is None:
            row = self.db.execute("SELECT fields FROM records WHERE n = ?", (n,)).fetchone()
            row = ("\n".join(json.loads(row[0]).values()),) if row else None
        if row is not None:
            self.db.execute(
                "INSERT INTO search (search, rowid, text) VALUES ('delete', ?, ?)", (n, row[0])
            )
        for table in ("texts", "facets"):
            self.db.execute(f"DELETE FROM {table} WHERE n = ?", (n,))  # noqa: S608 (fixed names)
        self.db.execute("DELETE FROM records WHERE n = ?", (n,))
        if self._columns is not None:
            self._columns.drop(n)

    def remove(self, record_id: str) -> bool:
        """Forget a record (its key moved out of reach: a restricted case). Returns whether
        it was there."""
        return self.remove_many([record_id]) > 0

    def remove_many(self, record_ids: list[str]) -> int:
        """Forget the records of these ids that the set holds; returns how many it held."""
        gone = 0
        with self.lock:
            self.generation += 1
            try:
                with self.db:
                    for start in range(0, len(record_ids), 10_000):
                        chunk = record_ids[start : start + 10_000]
                        marks = ",".join("?" * len(chunk))
                        numbers = [row[0] for row in self.db.execute(
                            f"SELECT n FROM records WHERE id IN ({marks})",  # noqa: S608
                            chunk)]
                        for n in numbers:
                            self._forget(n)
                        gone += len(numbers)
            except BaseException:
                self._columns = None  # as in put_many: made again when asked
                raise
        return gone

    def derived(self, key: Hashable, compute: Callable[[], T]) -> T:
        """What `compute()` gives, computed once while the records do not change (per
        generation): five charts of one dashboard page share one pass over the acts. The
        value lives in memory beside the set, and goes with it."""
        return self.carried(key, lambda _previous: compute())

    def carried(self, key: Hashable, bring_up_to_date: Callable[[T | None], T]) -> T:
        """As `derived`, for a value that is cheaper to bring up to date from the one of an
        earlier generation than to make anew (who consents now: from the statements added
        since). `bring_up_to_date(None)` makes it anew; it must not change the value it is
        given (another request may be reading it)."""
        with self.lock:
            generation = self.generation
            kept = self._derived.get(key)
            if kept is not None and kept[0] == generation:
                return cast(T, kept[1])
        value = bring_up_to_date(None if kept is None else cast(T, kept[1]))
        with self.lock:
            if self.generation == generation:
                self._derived.pop(key, None)  # newest last: the oldest goes first
                if len(self._derived) >= DERIVED_KEPT:
                    self._derived.pop(next(iter(self._derived)))
                self._derived[key] = (generation, value)
        return value

    def fields_of_kind(self, kind: str, names: tuple[str, ...], *, after: int = -1
                       ) -> list[tuple[int, tuple[str, ...]]]:
        """(revision, some fields) of every record of a kind (of a revision above `after`),
        oldest first: SQLite reads them out of the JSON, without parsing the rest of each
        record in Python."""
        columns = _json_columns(names)
        with self.lock:
            return [(revision, tuple(str(value) for value in values))
                    for revision, *values in self.db.execute(
                        f"SELECT revision, {columns} FROM records "  # noqa: S608
                        "WHERE kind = ? AND revision > ? ORDER BY revision", (kind, after))]

    def tally_of_kind(self, kind: str) -> tuple[int, int]:
        """How many records of a kind the set holds, and the sum of their revisions: both
        stay as they were only while no record of the kind was replaced or removed."""
        with self.lock:
            count, total = self.db.execute(
                "SELECT count(*), coalesce(sum(revision), 0) FROM records WHERE kind = ?",
                (kind,)).fetchone()
        return int(count), int(total)

    def search(self, words: str, kind: str | None = None, limit: int = 100) -> list[str]:
        """Record ids matching all the words (each as a prefix), best first."""
        terms = [w.replace('"', "") for w in words.split() if w.strip('"')]
        if not terms:
            return []
        query = " ".join(f'"{t}"*' for t in terms)
        sql = (
            "SELECT records.id FROM search JOIN records ON records.n = search.rowid "
            "WHERE search MATCH ?"
        )
        params: list[object] = [query]
        if kind:
            sql += " AND records.kind = ?"
            params.append(kind)
        sql += " ORDER BY search.rank LIMIT ?"
        params.append(limit)
        with self.lock:
            return [row[0] for row in self.db.execute(sql, params)]

    def find(self, query: Query) -> Found:
        """Records of one kind matching the words, phrases, filters and ranges, a page of
        their ids, how many there are, and the facet counts over all of them."""
        with self.lock:
            columns = self.columns()
            hits, ranked = self._hits(query, columns)
            total = int(hits.sum())
            page = slice(query.offset, query.offset + query.limit)
            if query.sort in ("newest", "oldest"):
                numbers = np.flatnonzero(hits)
                keys = columns.sort_keys(query.sort_facet, newest=query.sort == "newest")
                # Ties: the record added last first.
                chosen = numbers[np.lexsort((-numbers, keys[numbers]))][page]
            elif ranked is not None:
                chosen = ranked[page]
            else:
                chosen = np.flatnonzero(hits)[::-1][page]
            ids = self._ids(chosen.tolist())
            counts: dict[str, list[tuple[str, int]]] = {
                name: columns.counts(name, hits) if total else [] for name in query.facets
            }
        return Found(ids, total, counts)

    def _hits(self, query: Query, columns: _Columns) -> tuple[np.ndarray, np.ndarray | None]:
        """A mask over record numbers of what the query matches, and, when it has words,
        the matching numbers best first."""
        hits = columns.of_kind(query.kind)
        for name, values in query.filters.items():
            if values:
                facet = columns.facets.get(name)
                wanted = facet.numbers(values) if facet else np.zeros(0, dtype=np.int32)
                hits &= columns.having(name, wanted)
        for name, (low, high) in query.ranges.items():
            if low or high:
                facet = columns.facets.get(name)
                top = high or "\uffff"
                wanted = np.array(
                    [i for i, value in enumerate(facet.values) if low <= value <= top]
                    if facet else [], dtype=np.int32)
                hits &= columns.having(name, wanted)
        match = fts_query(query.words, query.alternatives)
        if not match:
            return hits, None
        # Best first: the order is only needed for relevance, but the list is the same
        # either way and one FTS pass is cheaper than two.
        ordering = " ORDER BY rank" if query.sort == "relevance" else ""
        found = np.fromiter(
            (row[0] for row in self.db.execute(
                "SELECT rowid FROM search WHERE search MATCH ?" + ordering,  # noqa: S608
                (match,))),
            dtype=np.int64,
        )
        found = found[found < len(hits)]
        matching = np.zeros(len(hits), dtype=bool)
        matching[found] = True
        hits &= matching
        return hits, found[hits[found]]

    def tabulate(
        self, query: Query, dimensions: dict[str, Callable[[str], bool] | None]
    ) -> tuple[list[str], list[tuple[str, ...]]]:
        """For statistics: every record the query matches (ids, oldest first) with one value
        per dimension (a facet name, and which of its values count — e.g. only top-level
        act types). A record with none of them gets "", with several "*"."""
        with self.lock:
            numbers, labels = self._labelled(query, dimensions)
            ids = self._ids(numbers.tolist())
        picked = [column.tolist() for column in labels.values()]
        return ids, list(zip(*picked, strict=True)) if picked else [() for _ in ids]

    def tabulate_columns(
        self, query: Query, dimensions: dict[str, Callable[[str], bool] | None]
    ) -> dict[str, np.ndarray]:
        """As `tabulate`, without the ids and as one NumPy array of values per dimension
        (records oldest first): counting a whole dashboard needs no object per record."""
        with self.lock:
            return self._labelled(query, dimensions)[1]

    def _labelled(self, query: Query, dimensions: dict[str, Callable[[str], bool] | None]
                  ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        columns = self.columns()
        hits, _ranked = self._hits(query, columns)
        numbers = np.flatnonzero(hits)
        picked: dict[str, np.ndarray] = {}
        for name, allowed in dimensions.items():
            facet = columns.facets.get(name)
            labels = np.full(len(hits), "", dtype=object)
            if facet is not None:
                kept = np.array([i for i, value in enumerate(facet.values)
                                 if allowed is None or allowed(value)], dtype=np.int32)
                rows = hits[facet.n] & np.isin(facet.v, kept)
                chosen_n, chosen_v = facet.n[rows], facet.v[rows]
                labels[chosen_n] = np.array(facet.values, dtype=object)[chosen_v]
                # A record's values of one facet are distinct: more than one row is more
                # than one value.
                several = np.bincount(chosen_n, minlength=len(hits)) > 1
                labels[several] = "*"
            picked[name] = labels[numbers]
        return numbers, picked

    def _ids(self, numbers: list[int]) -> list[str]:
        found: dict[int, str] = {}
        for start in range(0, len(numbers), 10_000):  # within SQLite's limit of parameters
            chunk = numbers[start : start + 10_000]
            marks = ",".join("?" * len(chunk))
            found.update(self.db.execute(
                f"SELECT n, id FROM records WHERE n IN ({marks})", chunk))  # noqa: S608
        return [found[n] for n in numbers if n in found]

    def fields_of(
        self, record_ids: list[str], names: tuple[str, ...]
    ) -> dict[str, tuple[str, ...]]:
        """Some fields of many records at once (SQLite reads them out of the JSON)."""
        columns = _json_columns(names)
        out: dict[str, tuple[str, ...]] = {}
        with self.lock:
            for start in range(0, len(record_ids), 10_000):
                chunk = record_ids[start : start + 10_000]
                marks = ",".join("?" * len(chunk))
                for record_id, *values in self.db.execute(
                    f"SELECT id, {columns} FROM records WHERE id IN ({marks})",  # noqa: S608
                    chunk,
                ):
                    out[record_id] = tuple(str(value) for value in values)
        return out

    def fields(self, record_id: str) -> dict[str, str] | None:
        with self.lock:
            row = self.db.execute(
                "SELECT fields FROM records WHERE id = ?", (record_id,)
            ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def count(self, kind: str | None = None) -> int:
        with self.lock:
            if kind:
                return int(
                    self.db.execute(
                        "SELECT count(*) FROM records WHERE kind = ?", (kind,)
                    ).fetchone()[0]
                )
            return int(self.db.execute("SELECT count(*) FROM records").fetchone()[0])


@dataclass(frozen=True)
class Query:
    kind: str
    words: str = ""
    # name -> values: a record matches any of the values of a name, and every name given.
    filters: dict[str, list[str]] = dataclass_field(default_factory=dict)
    # name -> (lowest, highest) compared as text (ISO dates, zero-padded numbers).
    ranges: dict[str, tuple[str, str]] = dataclass_field(default_factory=dict)
    facets: tuple[str, ...] = ()
    sort: str = "relevance"  # relevance, newest, oldest (by sort_facet)
    sort_facet: str = "date"
    limit: int = 50
    offset: int = 0
    # Other spellings a word may have been indexed under (Cyrillic/Latin names).
    alternatives: Callable[[str], list[str]] | None = None


@dataclass(frozen=True)
class Found:
    ids: list[str]
    total: int
    facets: dict[str, list[tuple[str, int]]]


def fts_query(words: str, alternatives: Callable[[str], list[str]] | None = None) -> str:
    """An FTS5 query from what a person typed: "quoted phrases" match as phrases, other
    words as prefixes, all of them required; a word also matches its alternatives."""
    parts = []
    for index, chunk in enumerate(words.split('"')):
        if index % 2:  # inside quotes
            tokens = [t for t in _tokens(chunk)]
            if tokens:
                parts.append('"' + " ".join(tokens) + '"')
            continue
        for token in _tokens(chunk):
            options = [f'"{token}"*'] + [f'"{alt}"*' for alt in (
                alternatives(token) if alternatives else []) if alt and alt != token]
            parts.append(options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")")
    return " AND ".join(parts)


def _tokens(text: str) -> list[str]:
    # What unicode61 would split on, roughly: anything not a letter or digit.
    cleaned = "".join(c if c.isalnum() else " " for c in text)
    return [t for t in cleaned.split() if t]


# --- building, snapshots --------------------------------------------------------------------


def _fingerprint(keyring: Keyring) -> str:
    return "-".join(str(e) for e in sorted(keyring.org_secrets)) or "none"


def _set_key(keyring: Keyring) -> str:
    """Working sets are shared by the keyrings that open the same records: the same epochs
    and the same restricted compartments."""
    compartments = ",".join(sorted(keyring.compartment_secrets))
    return _fingerprint(keyring) + (f"+{compartments}" if compartments else "")


def _epochs_of(fingerprint: str) -> set[int]:
    return {int(e) for e in fingerprint.split("-") if e.isdigit()}


def _snapshot_key(keyring: Keyring, fingerprint: str) -> bytes:
    # Under the newest epoch in the snapshot: after someone is removed, new snapshots are
    # sealed with a key their old keys do not include.
    newest = keyring.org_secret(max(_epochs_of(fingerprint)))
    return hashlib.blake2b(newest, digest_size=32, person=b"kalkan-wsnap").digest()


def _snapshot_dir() -> Path:
    folder = Path(settings.DATA_DIR) / "workingset"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _snapshot_path(keyring: Keyring) -> Path:
    return _snapshot_dir() / f"{_fingerprint(keyring)}.snap"


def _best_snapshot(keyring: Keyring) -> Path | None:
    """This keyring's snapshot, or else the fullest one it can open (made before a new epoch
    started): catching up from it beats decrypting everything again."""
    held = set(keyring.org_secrets)
    usable = [
        path
        for path in _snapshot_dir().glob("*.snap")
        if _epochs_of(path.stem) and _epochs_of(path.stem) <= held
    ]
    return max(usable, key=lambda p: len(_epochs_of(p.stem)), default=None)


def save_snapshot(working_set: WorkingSet, keyring: Keyring) -> None:
    if not keyring.org_secrets:
        return
    path = _snapshot_path(keyring)
    partial = path.with_suffix(".partial")
    data = working_set.to_bytes()
    with partial.open("wb") as out:
        crypto.encrypt_stream(
            _snapshot_key(keyring, path.stem),
            (data[i : i + crypto.FILE_CHUNK] for i in range(0, len(data), crypto.FILE_CHUNK)),
            out,
            crypto.aad("working-set", path.stem),
        )
    partial.replace(path)
    # Older snapshots this one supersedes go: they hold nothing it lacks.
    for older in _snapshot_dir().glob("*.snap"):
        if older != path and _epochs_of(older.stem) < _epochs_of(path.stem):
            older.unlink(missing_ok=True)


def load_snapshot(keyring: Keyring) -> WorkingSet | None:
    path = _best_snapshot(keyring) if keyring.org_secrets else None
    if path is None:
        return None
    # Decrypt into one buffer of the right size: the plaintext is never larger than the
    # file, and SQLite copies it once more; every extra copy would cost the whole size again.
    buffer = bytearray(path.stat().st_size)
    filled = 0
    try:
        with path.open("rb") as source:
            for chunk in crypto.decrypt_stream(
                _snapshot_key(keyring, path.stem), source, crypto.aad("working-set", path.stem)
            ):
                buffer[filled : filled + len(chunk)] = chunk
                filled += len(chunk)
        return WorkingSet.from_bytes(memoryview(buffer)[:filled])
    except (crypto.Tampered, sqlite3.DatabaseError):
        path.unlink(missing_ok=True)  # unusable: rebuild from the records
        return None


def catch_up(
    working_set: WorkingSet,
    keyring: Keyring,
    *,
    batch: int = 2000,
    compartments_only: bool = False,
) -> int:
    """Decrypt and index every record newer than the working set (or, compartments_only,
    every record of the keyring's restricted compartments). Returns how many.

    The bound comes first: every record up to the committed revision counter is committed
    (kalkan.vault.records.next_revision), so the sources are read up to it and the set then
    moves to it. Moving to the highest revision seen instead would skip a record committed
    into a source already read while a later source got a higher number."""
    done = 0
    since = working_set.revision
    bound = committed_revision()
    if not compartments_only and bound <= since:
        # Nothing newer anywhere: no query per source (each page asks, often several times).
        return forget_removed(working_set)
    for source in SOURCES:
        manager = source.model._default_manager
        if compartments_only:
            selected = manager.filter(
                content_key__compartment__in=list(keyring.compartment_secrets)
            )
        else:
            selected = manager.filter(revision__gt=since, revision__lte=bound)
        done += _index(working_set, source, selected, keyring, batch)
    if not compartments_only:
        working_set.advance_to(bound)
    return done + forget_removed(working_set)


def _index(
    working_set: WorkingSet,
    source: Source,
    selected: QuerySet[Any],
    keyring: Keyring,
    batch: int,
) -> int:
    done = 0
    queryset = selected.select_related("content_key").order_by("revision")
    pending: list[tuple[Any, dict[str, str]]] = []
    for record in queryset.iterator(chunk_size=batch):
        try:
            key = open_content_key(record.content_key, keyring)
        except PermissionError:
            # Sealed in an epoch this keyring does not hold, or moved into a restricted
            # case the person is not a member of: out of their working set.
            working_set.remove(str(record.id))
            continue
        except Untrusted as problem:
            # A key row the vault did not write: never indexed, and said so.
            report(problem, actor_id=keyring.user_id)
            working_set.remove(str(record.id))
            continue
        try:
            fields = read(record, key, source.fields)
        except crypto.Tampered as problem:
            # A field that does not open (changed by a database writer, or damaged): that
            # record stays out, said so; it must not stop every other record being found.
            report(as_untrusted(problem, record), actor_id=keyring.user_id)
            working_set.remove(str(record.id))
            continue
        pending.append((record, fields))
        if len(pending) >= batch:
            done += _put(working_set, source, pending, keyring)
            pending = []
    return done + _put(working_set, source, pending, keyring)


def forget_removed(working_set: WorkingSet) -> int:
    """Forget the records removed for good (vault.Removed) since the set last looked; returns
    how many it held. Removals are counted rather than ordered by revision: a removal that
    commits late is still seen, because the count grows."""
    known = Removed.objects.count()
    if known == working_set.removals_seen:
        return 0
    ids = [str(pk) for pk in Removed.objects.values_list("record_id", flat=True)]
    gone = working_set.remove_many(_really_gone(ids))
    # What was counted before the ids were read: a removal between the two is looked at
    # again next time, never missed.
    working_set.removals_seen = known
    return gone


def _really_gone(ids: list[str]) -> list[str]:
    """The ids whose records no longer exist. Removed rows carry no MAC: a database writer
    who adds a living record's id would otherwise hide it from every search without a trace
    (a writer can delete a record, but then it is gone for everyone, not silently hidden)."""
    alive: set[str] = set()
    for source in SOURCES:
        manager = source.model._default_manager
        for start in range(0, len(ids), 500):  # below SQLite's limit of query parameters
            alive.update(
                str(pk) for pk in manager.filter(pk__in=ids[start : start + 500])
                .values_list("pk", flat=True)
            )
    return [pk for pk in ids if pk not in alive]


def _put(
    working_set: WorkingSet,
    source: Source,
    batch: list[tuple[Any, dict[str, str]]],
    keyring: Keyring,
) -> int:
    if not batch:
        return 0
    entries: list[dict[str, str] | Indexed]
    if source.indexer is None:
        entries = [fields for _record, fields in batch]
    else:
        entries = list(source.indexer(batch, keyring))
    return working_set.put_many(
        [(str(record.id), source.kind, record.revision, entry)
         for (record, _fields), entry in zip(batch, entries, strict=True)],
        advance=False,  # catch_up moves the set to its bound once every source is read
    )


@dataclass
class Progress:
    """How far a build is: records done of total (the progress page shows it)."""

    done: int = 0
    total: int = 0
    # Set when nobody wants the set any more (the last session ended, panic): the build
    # stops at its next batch.
    stopped: bool = False


class Stopped(Exception):  # noqa: N818 (not an error)
    """A build stopped because nobody wants its set any more."""


class _Build:
    """What one build from the records keeps while it runs: the decrypted fields of the
    records other sources' indexers open (kept once, not decrypted again per batch), and
    whatever an indexer wants to compute once per build (`once`)."""

    def __init__(self, keep: set[type[SealedRecord]], reader: Reader) -> None:
        self.keep = keep
        self.reader = reader
        self.opened: dict[type[SealedRecord],
                          tuple[tuple[str, ...], dict[Any, dict[str, str]]]] = {}
        self.once: dict[str, Any] = {}


# How a build reads records: read_values (decrypting), or, for the benchmark's baseline, the
# same values from a plain copy.
Reader = Callable[..., Iterator[tuple[Any, int, tuple[Any, ...], dict[str, str]] | Refused]]

_building: ContextVar[_Build | None] = ContextVar("kalkan_working_set_build", default=None)


def opened_in_build(
    model: type[SealedRecord], fields: tuple[str, ...]
) -> dict[Any, dict[str, str]] | None:
    """During a build from the records: the `fields` of every record of `model` this build
    decrypted (by id), when it kept them; else None (decrypt them yourself)."""
    current = _building.get()
    if current is None or model not in current.opened:
        return None
    kept_fields, kept = current.opened[model]
    return kept if kept_fields == fields else None


def read_rows(
    queryset: QuerySet[Any], keyring: Keyring, fields: tuple[str, ...], extra: tuple[str, ...] = ()
) -> Iterator[tuple[Any, int, tuple[Any, ...], dict[str, str]] | Refused]:
    """kalkan.vault.records.read_values, or what the running build reads with instead."""
    current = _building.get()
    reader = current.reader if current is not None else read_values
    return reader(queryset, keyring, fields, extra)


def once_per_build(name: str, make: Callable[[], Any]) -> Any:
    """`make()` once per build from the records (outside one: every time)."""
    current = _building.get()
    if current is None:
        return make()
    if name not in current.once:
        current.once[name] = make()
    return current.once[name]


def _as_indexed(entry: dict[str, str] | Indexed) -> Indexed:
    return entry if isinstance(entry, Indexed) else Indexed(dict(entry), "\n".join(entry.values()))


def build_from_records(
    keyring: Keyring,
    progress: Progress | None = None,
    *,
    batch: int = 2000,
    reader: Reader = read_values,
) -> WorkingSet:
    """Every record the keyring opens, decrypted once and indexed, into a new set: rows
    read as values, loaded in a few statements per batch, indexed once at the end.

    Records keep the numbers catch_up would give them (sources in their order, each by
    revision), so search lists them in the same order; a source whose records another's
    indexer opens (an act's event) is read first and its decrypted fields kept for that."""
    progress = progress or Progress()
    bound = committed_revision()
    selected = [source.model._default_manager.filter(revision__lte=bound) for source in SOURCES]
    # Nothing at or below the bound is added later (a changed record takes a newer
    # revision), so no source has more records than counted here: numbers never overlap.
    counts = [query.count() for query in selected]
    progress.total = sum(counts)
    starts = [1 + sum(counts[:i]) for i in range(len(counts))]
    needed = {model for source in SOURCES for model in source.reads}
    order = sorted(range(len(SOURCES)), key=lambda i: SOURCES[i].model not in needed)
    working_set = WorkingSet.empty(indexed=False)
    token = _building.set(_Build(needed, reader))
    try:
        for i in order:
            _load_source(working_set, SOURCES[i], selected[i], starts[i], keyring, progress,
                         batch)
    finally:
        _building.reset(token)
    working_set.indexed()
    working_set.advance_to(bound)
    forget_removed(working_set)
    return working_set


def _load_source(
    working_set: WorkingSet,
    source: Source,
    selected: QuerySet[Any],
    n: int,
    keyring: Keyring,
    progress: Progress,
    batch: int,
) -> None:
    current = _building.get()
    assert current is not None  # noqa: S101 (called by build_from_records only)
    kept: dict[Any, dict[str, str]] | None = None
    if source.model in current.keep:
        kept = {}
    pending: list[tuple[Any, dict[str, str]]] = []

    def flush() -> int:
        if progress.stopped:
            raise Stopped
        entries = ([_as_indexed(fields) for _r, fields in pending] if source.indexer is None
                   else [_as_indexed(e) for e in source.indexer(pending, keyring)])
        working_set.load(pending[0][0].n, [
            (str(record.id), source.kind, record.revision, entry)
            for (record, _fields), entry in zip(pending, entries, strict=True)])
        progress.done += len(pending)
        return len(pending)

    for position, item in enumerate(read_rows(selected, keyring, source.fields,
                                              source.columns)):
        if isinstance(item, Refused):
            if item.problem is not None:
                report(item.problem, actor_id=keyring.user_id)
            progress.done += 1
            continue
        record_id, revision, columns, fields = item
        record = SimpleNamespace(id=record_id, pk=record_id, revision=revision, n=n + position,
                                 **dict(zip(source.columns, columns, strict=True)))
        if kept is not None:
            kept[record_id] = fields
        if pending and pending[-1][0].n != record.n - 1:
            flush()  # numbers in one load run on: a refused record leaves a gap
            pending = []
        pending.append((record, fields))
        if len(pending) >= batch:
            flush()
            pending = []
    if pending:
        flush()
    if kept is not None:
        current.opened[source.model] = (source.fields, kept)


def build(
    keyring: Keyring,
    progress: Progress | None = None,
    *,
    ready: Callable[[WorkingSet], None] | None = None,
) -> WorkingSet:
    """Snapshot if there is one, plus whatever changed since; else everything from scratch.
    `ready` is called with the set as soon as it can be searched (before its snapshot is
    written).

    Snapshots hold only what the organisation keys open: a member of restricted cases gets
    a copy of that, plus their compartments' records indexed afresh (they are few)."""
    if keyring.compartment_secrets:
        base = build(keyring.without_compartments(), progress)
        combined = WorkingSet.from_bytes(base.to_bytes())
        catch_up(combined, keyring, compartments_only=True)
        catch_up(combined, keyring)
        combined.columns()
        if ready is not None:
            ready(combined)
        return combined
    loaded = load_snapshot(keyring)
    fresh = loaded is None or not _snapshot_path(keyring).exists()
    if loaded is None:
        working_set = build_from_records(keyring, progress)
        changed = catch_up(working_set, keyring)  # committed while it ran
    else:
        working_set = loaded
        changed = catch_up(working_set, keyring)
    working_set.columns()  # part of being ready: the first search should not pay for it
    if ready is not None:
        ready(working_set)
    if fresh or changed:
        save_snapshot(working_set, keyring)
    return working_set


# --- sharing between the sessions of this process -------------------------------------------

# _lock guards these tables only: nobody builds or catches up while holding it, so no
# session waits on another's working set.
_lock = threading.Lock()
_sets: dict[str, WorkingSet] = {}
_holders: dict[str, set[str]] = {}
_pending: dict[str, _Pending] = {}


class Preparing(Exception):  # noqa: N818 (a state, not an error)
    """The working set is still being built (in the background): pages that need it say
    so, with how far it is."""

    def __init__(self, progress: Progress) -> None:
        super().__init__(f"working set: {progress.done} of {progress.total} records")
        self.progress = progress


@dataclass
class _Pending:
    progress: Progress = dataclass_field(default_factory=Progress)
    done: threading.Event = dataclass_field(default_factory=threading.Event)  # searchable
    finished: threading.Event = dataclass_field(default_factory=threading.Event)  # saved too


def start(session_key: str, keyring: Keyring) -> Progress | None:
    """At login: the session holds the working set of its keys; if this process has none
    yet, it is built — in the background when settings.WORKING_SET_IN_BACKGROUND, else
    now. Returns how far the build is, or None when the set is ready."""
    _start_sweeper()
    fingerprint = _set_key(keyring)
    with _lock:
        _holders.setdefault(fingerprint, set()).add(session_key)
        if fingerprint in _sets:
            return None
        pending = _pending.get(fingerprint)
        starting = pending is None
        if pending is None:
            pending = _pending[fingerprint] = _Pending()
    if starting:
        if not settings.WORKING_SET_IN_BACKGROUND:
            _build_for(fingerprint, keyring, pending)
            return None
        threading.Thread(target=_build_in_background, args=(fingerprint, keyring, pending),
                         name="kalkan-working-set-build", daemon=True).start()
    if not settings.WORKING_SET_IN_BACKGROUND:
        pending.done.wait()  # another request of this process builds it now
        return None
    return pending.progress


def _build_for(fingerprint: str, keyring: Keyring, pending: _Pending) -> None:
    def publish(working_set: WorkingSet) -> None:
        with _lock:
            # Kept only while a session holds it (it may have logged out meanwhile).
            if _holders.get(fingerprint):
                _sets[fingerprint] = working_set
            _pending.pop(fingerprint, None)
        pending.done.set()

    try:
        build(keyring, pending.progress, ready=publish)
    finally:
        with _lock:
            if _pending.get(fingerprint) is pending:  # failed: the next request starts again
                del _pending[fingerprint]
        pending.done.set()
        pending.finished.set()


def _build_in_background(fingerprint: str, keyring: Keyring, pending: _Pending) -> None:
    try:
        _build_for(fingerprint, keyring, pending)
    except Stopped:
        pass
    except Exception as problem:
        # The kind only: a message could quote what was being indexed.
        LOG.error("vault: the working set could not be built (%s)", type(problem).__name__)
    finally:
        connections.close_all()  # this thread's database connections


def if_ready(session_key: str, keyring: Keyring) -> WorkingSet | None:
    """The session's working set, caught up; None while it is being built (pages that can
    do without it)."""
    try:
        return for_session(session_key, keyring)
    except Preparing:
        return None


def _json_columns(names: tuple[str, ...]) -> str:
    """SQL that reads these fields out of a record's JSON ("" where one is absent)."""
    if not all(name.isidentifier() for name in names):
        raise ValueError(f"field names are identifiers: {names}")
    return ", ".join(f"coalesce(json_extract(fields, '$.\"{name}\"'), '')" for name in names)


def for_session(session_key: str, keyring: Keyring) -> WorkingSet:
    """The session's working set, caught up with the records; Preparing while it is built
    in the background (the vault middleware shows how far)."""
    fingerprint = _set_key(keyring)
    while True:
        with _lock:
            working_set = _sets.get(fingerprint)
            if working_set is not None:
                _holders.setdefault(fingerprint, set()).add(session_key)
        if working_set is not None:
            with working_set.catching_up:  # this set's own: other sets do not wait
                catch_up(working_set, keyring)
            return working_set
        progress = start(session_key, keyring)
        if progress is not None:
            raise Preparing(progress)


def release(session_key: str) -> None:
    """The session ended: drop every working set nobody else holds."""
    with _lock:
        for fingerprint in list(_holders):
            _holders[fingerprint].discard(session_key)
            if not _holders[fingerprint]:
                del _holders[fingerprint]
                _sets.pop(fingerprint, None)
                if fingerprint in _pending:
                    _pending[fingerprint].progress.stopped = True  # nobody waits for it


def sweep() -> None:
    """Forget sessions that ended without a logout (expired, deleted by panic or removal)."""
    with _lock:
        held = {key for keys in _holders.values() for key in keys}
    if not held:
        return
    alive = set(Session.objects.filter(session_key__in=held).values_list("session_key", flat=True))
    for key in held - alive:
        release(key)


_sweeper: threading.Thread | None = None


def _start_sweeper() -> None:
    """Once per process: every VAULT_SWEEP_SECONDS, let go of working sets whose sessions
    ended without a logout (idle expiry, or a panic run from the command line)."""
    global _sweeper
    interval = settings.VAULT_SWEEP_SECONDS
    if not interval or _sweeper is not None:
        return

    def run() -> None:
        while True:
            time.sleep(interval)
            try:
                sweep()
            except DatabaseError:
                pass  # the database is briefly away: try again next round
            finally:
                close_old_connections()

    _sweeper = threading.Thread(target=run, name="kalkan-working-set-sweeper", daemon=True)
    _sweeper.start()


def forget_removed_everywhere(keyring: Keyring | None) -> None:
    """Right after records were removed for good: every working set this process holds
    forgets them now, and no snapshot on disk keeps them. The snapshot the keyring opens is
    written again without them; the snapshots it cannot open are deleted (whoever holds
    their keys builds one again at the next unlock), every one of them when there is no
    keyring (`kalkan retention`, run by a timer). Other processes' sets forget them at
    their next catch-up (forget_removed)."""
    with _lock:
        held = list(_sets.items())
    for _key, working_set in held:
        forget_removed(working_set)
    base = keyring.without_compartments() if keyring is not None else None
    keep = None
    if base is not None and base.org_secrets:
        mine = dict(held).get(_fingerprint(base)) or load_snapshot(base)
        if mine is not None:
            forget_removed(mine)
            save_snapshot(mine, base)
        keep = _snapshot_path(base)
    for path in _snapshot_dir().glob("*.snap"):
        if path != keep:
            path.unlink(missing_ok=True)


def drop_all() -> None:
    with _lock:
        _sets.clear()
        _holders.clear()
        for pending in _pending.values():
            pending.progress.stopped = True  # panic: decrypt nothing more
        _pending.clear()


def loaded() -> int:
    """How many working sets this process holds (for tests and the admin page)."""
    with _lock:
        return len(_sets)
