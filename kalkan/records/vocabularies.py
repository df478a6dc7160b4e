"""Controlled vocabularies of the documentation model, read from vocab/<name>.csv.

One file per list, columns ``code,parent,esf,inactive,en,ru,ky,kk``; vocab/_lists.csv names
each list in the four languages. Records store the code; pages show the label in the reader's
language. The rules that keep old records readable:

- A code never changes and is never reused once published. A term that should no longer be
  chosen gets ``inactive=1`` instead of being deleted, so records that hold it still show it.
- Hierarchy comes from ``parent``. A dotted code (``threats.death``) must sit under the code
  before its last dot (``threats``); undotted codes may sit anywhere (the act types directly
  under a group keep the flat codes the public reporting form already stores).
- ``esf`` is the HURIDOCS ESF micro-thesaurus term where one exists, as the 14-digit
  ``vocab_number`` of OpenEvSys (``schema/mysql-dbpopulate-mt.sql``): the 12-digit hierarchical
  huri code followed by the 2-digit list number, e.g. ``02010302000004`` = list 4 (types of
  acts) › Death threats. Empty for local terms.

Every file is read once, at import, and a malformed file stops the import with the file and
line at fault. Terms that admins add are kept in the database and joined with
``Vocabulary.with_terms``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import get_language

LANGUAGES = ("en", "ru", "ky", "kk")
COLUMNS = ["code", "parent", "esf", "inactive", *LANGUAGES]
INDEX_COLUMNS = ["name", *LANGUAGES]
INDENT = "— "

DIRECTORY = Path(__file__).with_name("vocab")
INDEX_FILE = "_lists.csv"

_CODE = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)*")
_ESF = re.compile(r"[0-9]{14}")


class VocabularyError(ValueError):
    """A vocabulary file or a set of terms breaks the rules above."""


@dataclass(frozen=True)
class Term:
    vocabulary: str
    code: str
    parent: str
    esf: str
    inactive: bool
    labels: dict[str, str]
    local: bool = False

    def label(self, language: str | None = None) -> str:
        """The label in `language` (default: the active language), else English, else any."""
        wanted = language or get_language() or "en"
        for candidate in (wanted, wanted.split("-")[0], "en", *self.labels):
            text = self.labels.get(candidate, "")
            if text:
                return text
        return self.code


class Vocabulary:
    """One list: its terms in file order and their tree."""

    def __init__(self, name: str, titles: dict[str, str], terms: Iterable[Term]) -> None:
        self.name = name
        self.titles = titles
        self.terms: dict[str, Term] = {}
        for term in terms:
            if term.vocabulary != name:
                raise VocabularyError(
                    f"{name}: term {term.code!r} belongs to vocabulary {term.vocabulary!r}"
                )
            if term.code in self.terms:
                raise VocabularyError(f"{name}: duplicate code {term.code!r}")
            _check_term(term)
            self.terms[term.code] = term
        self._children: dict[str, list[str]] = {"": []}
        for term in self.terms.values():
            if term.parent and term.parent not in self.terms:
                raise VocabularyError(
                    f"{name}: {term.code!r} has unknown parent {term.parent!r}"
                )
            self._children.setdefault(term.parent, []).append(term.code)
        self._order = self._tree_order()
        if len(self._order) != len(self.terms):
            looped = sorted(set(self.terms) - set(self._order))
            raise VocabularyError(f"{name}: parents form a loop among {looped}")

    def __repr__(self) -> str:
        return f"<Vocabulary {self.name} ({len(self.terms)} terms)>"

    def __contains__(self, code: object) -> bool:
        return code in self.terms

    def __iter__(self) -> Iterator[Term]:
        return iter(self.terms.values())

    def __len__(self) -> int:
        return len(self.terms)

    def title(self, language: str | None = None) -> str:
        wanted = language or get_language() or "en"
        return self.titles.get(wanted.split("-")[0]) or self.titles.get("en") or self.name

    def get(self, code: str) -> Term | None:
        return self.terms.get(code)

    def label(self, code: str, language: str | None = None) -> str:
        """The term's label; a code this list does not know is shown as it is."""
        term = self.terms.get(code)
        return term.label(language) if term else code

    def children(self, code: str | None = None) -> list[Term]:
        """The terms directly under `code`, or the top-level terms when `code` is None."""
        if code is not None:
            self._require(code)
        return [self.terms[child] for child in self._children.get(code or "", [])]

    def ancestors(self, code: str) -> list[Term]:
        """The terms above `code`, the top-level one first, without `code` itself."""
        chain: list[Term] = []
        parent = self._require(code).parent
        while parent:
            term = self.terms[parent]
            chain.append(term)
            parent = term.parent
        return chain[::-1]

    def descendants(self, code: str) -> list[Term]:
        """`code` and every term below it, in tree order (for "this type or any subtype")."""
        self._require(code)
        found: list[Term] = []
        stack = [code]
        while stack:
            current = stack.pop()
            found.append(self.terms[current])
            stack.extend(reversed(self._children.get(current, [])))
        return found

    def depth(self, code: str) -> int:
        return len(self.ancestors(code))

    def is_active(self, code: str) -> bool:
        """True unless the term or one of the terms above it is inactive."""
        term = self._require(code)
        return not term.inactive and not any(a.inactive for a in self.ancestors(code))

    def active(self) -> list[Term]:
        """The terms that may still be chosen, in tree order."""
        return [self.terms[code] for code in self._order if self.is_active(code)]

    def choices(
        self, language: str | None = None, include_inactive: bool = False
    ) -> list[tuple[str, str]]:
        """(code, label) pairs in tree order for a form field, labels indented by depth.

        Inactive terms (and everything under them) are left out unless asked for, e.g. to
        show the value an existing record already holds.
        """
        return [
            (code, INDENT * self.depth(code) + self.terms[code].label(language))
            for code in self._order
            if include_inactive or self.is_active(code)
        ]

    def with_terms(self, extra: Iterable[Term]) -> Vocabulary:
        """A copy with `extra` terms (admins' local terms) appended; self is not changed."""
        return Vocabulary(self.name, self.titles, [*self.terms.values(), *extra])

    def _require(self, code: str) -> Term:
        term = self.terms.get(code)
        if term is None:
            raise KeyError(f"{code!r} is not a term of the {self.name} vocabulary")
        return term

    def _tree_order(self) -> list[str]:
        order: list[str] = []
        stack = list(reversed(self._children[""]))
        while stack:
            code = stack.pop()
            order.append(code)
            stack.extend(reversed(self._children.get(code, [])))
        return order


def _check_term(term: Term) -> None:
    where = f"{term.vocabulary}: {term.code!r}"
    if not _CODE.fullmatch(term.code):
        raise VocabularyError(f"{where}: a code is lower-case ASCII letters, digits, _ and .")
    if term.parent == term.code:
        raise VocabularyError(f"{where} is its own parent")
    if "." in term.code and term.code.rsplit(".", 1)[0] != term.parent:
        raise VocabularyError(
            f"{where} must sit under {term.code.rsplit('.', 1)[0]!r}, not {term.parent!r}"
        )
    if term.esf and not _ESF.fullmatch(term.esf):
        raise VocabularyError(f"{where}: esf {term.esf!r} is not a 14-digit ESF term number")
    if not any(text.strip() for text in term.labels.values()):
        raise VocabularyError(f"{where} has no label")


def _read(path: Path, columns: list[str]) -> list[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != columns:
            raise VocabularyError(
                f"{path}: the columns must be exactly {','.join(columns)}, "
                f"not {','.join(reader.fieldnames or [])}"
            )
        rows = []
        for row in reader:
            if None in row or None in row.values():
                raise VocabularyError(f"{path}:{reader.line_num}: wrong number of columns")
            rows.append((reader.line_num, {key: value.strip() for key, value in row.items()}))
        return rows


def _labels(path: Path, line: int, row: dict[str, str]) -> dict[str, str]:
    missing = [language for language in LANGUAGES if not row[language]]
    if missing:
        raise VocabularyError(f"{path}:{line}: missing label in {', '.join(missing)}")
    return {language: row[language] for language in LANGUAGES}


def load_vocabulary(path: Path, name: str, titles: dict[str, str]) -> Vocabulary:
    terms = []
    for line, row in _read(path, COLUMNS):
        if row["inactive"] not in ("", "1"):
            raise VocabularyError(f"{path}:{line}: inactive is empty or 1")
        term = Term(
            vocabulary=name,
            code=row["code"],
            parent=row["parent"],
            esf=row["esf"],
            inactive=row["inactive"] == "1",
            labels=_labels(path, line, row),
        )
        try:
            _check_term(term)
        except VocabularyError as error:
            raise VocabularyError(f"{path}:{line}: {error}") from None
        terms.append(term)
    try:
        return Vocabulary(name, titles, terms)
    except VocabularyError as error:
        raise VocabularyError(f"{path}: {error}") from None


def load_vocabularies(directory: Path = DIRECTORY) -> dict[str, Vocabulary]:
    """Every list named in _lists.csv; each file there must be named in it, and the reverse."""
    index = directory / INDEX_FILE
    vocabularies: dict[str, Vocabulary] = {}
    for line, row in _read(index, INDEX_COLUMNS):
        name = row["name"]
        if not re.fullmatch(r"[a-z0-9_]+", name) or name in vocabularies:
            raise VocabularyError(f"{index}:{line}: bad or repeated list name {name!r}")
        path = directory / f"{name}.csv"
        if not path.is_file():
            raise VocabularyError(f"{index}:{line}: no file {path.name} for list {name!r}")
        vocabularies[name] = load_vocabulary(path, name, _labels(index, line, row))
    unnamed = sorted(
        path.name
        for path in directory.glob("*.csv")
        if path.name != INDEX_FILE and path.stem not in vocabularies
    )
    if unnamed:
        raise VocabularyError(f"{index}: files not named in it: {', '.join(unnamed)}")
    return vocabularies


VOCABULARIES: dict[str, Vocabulary] = load_vocabularies()


def vocabulary(name: str) -> Vocabulary:
    try:
        return VOCABULARIES[name]
    except KeyError:
        raise KeyError(
            f"No vocabulary named {name!r}; the lists are in {DIRECTORY}/{INDEX_FILE}: "
            f"{', '.join(sorted(VOCABULARIES))}"
        ) from None
