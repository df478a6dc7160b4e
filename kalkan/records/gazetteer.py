"""The gazetteer: places with names in en, ru, ky and kk, from the CSV files in data/.

``REGIONS`` (data/regions.csv) is the first level of Kyrgyzstan and Kazakhstan (oblasts and
cities of national significance); the public reporting form offers these. ``PLACES``
(data/places.csv) is the whole tree: countries (Central Asia and the common destinations of
relocation), the first level of the five Central Asian states, and for Kyrgyzstan and
Kazakhstan every district (rayon/audan) and city of regional significance, plus the districts
of the cities of national significance. Every REGIONS code is in PLACES with the same names.

Codes never change once published: records keep the code, pages show the name in the
reader's language. A code is its parent's code, a dot and a slug (``kg.chuy.alamudun``).

Publication never shows a district or a town by default: ``coarsen(code)`` gives the region
(``PUBLISH_LEVEL``), which is what a public page may name.
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

from django.utils.translation import get_language

_DATA = Path(__file__).with_name("data")
_FILE = _DATA / "regions.csv"
_PLACES_FILE = _DATA / "places.csv"

LANGUAGES = ("en", "ru", "ky", "kk")

# A city here is a city of district rank (regional significance) or a town that is its own
# unit; it sits at the same depth as a district. Cities of national significance (Bishkek,
# Astana, ...) are level "region".
LEVELS = ("country", "region", "district", "city")
_DEPTH = {"country": 0, "region": 1, "district": 2, "city": 2}

PUBLISH_LEVEL = "region"

SEPARATOR = " › "
_INDENT = "\u00a0" * 4  # no-break spaces survive in <option> text


def _pick(names: dict[str, str], language: str | None) -> str:
    return names.get((language or get_language() or "en")[:2], names["en"])


@dataclass(frozen=True)
class Region:
    code: str
    country: str
    names: dict[str, str]

    def name(self, language: str | None = None) -> str:
        return _pick(self.names, language)


def _load() -> dict[str, Region]:
    with _FILE.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return {
        row["code"]: Region(
            row["code"], row["country"], {lang: row[lang] for lang in ("en", "ru", "ky", "kk")}
        )
        for row in rows
    }


REGIONS: dict[str, Region] = _load()


def regions_of(country: str) -> list[Region]:
    return [region for region in REGIONS.values() if region.country == country]


@dataclass(frozen=True)
class Place:
    code: str
    parent: str | None
    level: str
    country: str  # ISO 3166-1 alpha-2, upper case, as in Region.country
    names: dict[str, str] = field(hash=False)  # so that places can go in sets

    def name(self, language: str | None = None) -> str:
        return _pick(self.names, language)

    @property
    def depth(self) -> int:
        return _DEPTH[self.level]


def _load_places() -> dict[str, Place]:
    with _PLACES_FILE.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    places: dict[str, Place] = {}
    for row in rows:
        code = row["code"]
        if code in places:
            raise ValueError(f"places.csv: duplicate code {code}")
        if row["level"] not in _DEPTH:
            raise ValueError(f"places.csv: {code} has unknown level {row['level']!r}")
        places[code] = Place(
            code=code,
            parent=row["parent"] or None,
            level=row["level"],
            country=row["country"],
            names={lang: row[lang] for lang in LANGUAGES},
        )
    for place in places.values():
        if place.parent is not None and place.parent not in places:
            raise ValueError(f"places.csv: {place.code} has unknown parent {place.parent}")
    return places


PLACES: dict[str, Place] = _load_places()



def _index_children(places: dict[str, Place]) -> dict[str, list[Place]]:
    index: dict[str, list[Place]] = {}
    for p in places.values():
        if p.parent is not None:
            index.setdefault(p.parent, []).append(p)
    return index


_CHILDREN = _index_children(PLACES)


def place(code: str) -> Place | None:
    return PLACES.get(code)


def children(code: str) -> list[Place]:
    """The places directly under ``code``, in file order (empty for a leaf or unknown code)."""
    return list(_CHILDREN.get(code, ()))


def ancestors(code: str) -> list[Place]:
    """The places above ``code``, from the country down, without ``code`` itself.

    Raises KeyError for an unknown code.
    """
    chain: list[Place] = []
    parent = PLACES[code].parent
    while parent is not None:
        chain.append(PLACES[parent])
        parent = PLACES[parent].parent
    chain.reverse()
    return chain


def _depth_of(level: str) -> int:
    try:
        return _DEPTH[level]
    except KeyError:
        raise ValueError(f"unknown level {level!r}; expected one of {LEVELS}") from None


def coarsen(code: str, level: str = PUBLISH_LEVEL) -> str:
    """The code of the ancestor of ``code`` at ``level``, or ``code`` itself if it is already
    at or above that level (a country stays a country). Raises KeyError for an unknown code,
    so that nothing unvetted reaches a public page.
    """
    target = _depth_of(level)
    current = PLACES[code]
    while current.depth > target and current.parent is not None:
        current = PLACES[current.parent]
    return current.code


def label_path(code: str, language: str | None = None, separator: str = SEPARATOR) -> str:
    """The place's name with its ancestors, e.g. "Kyrgyzstan › Chüy Region › Alamüdün
    District". Raises KeyError for an unknown code."""
    chain = [*ancestors(code), PLACES[code]]
    return separator.join(p.name(language) for p in chain)


# Cyrillic in the order of the Kazakh alphabet; the Kyrgyz and Russian alphabets are
# subsequences of it, so one key sorts all three correctly.
_CYRILLIC = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"
_CYRILLIC_RANK = {ch: i for i, ch in enumerate(_CYRILLIC)}


def _sort_key(name: str) -> tuple[tuple[int, int | str], ...]:
    key: list[tuple[int, int | str]] = []
    for ch in name.casefold():
        if ch in _CYRILLIC_RANK:
            key.append((1, _CYRILLIC_RANK[ch]))
        else:
            base = unicodedata.normalize("NFKD", ch)[:1]  # "ü" sorts as "u"
            key.append((0, base))
    return tuple(key)


def _sorted(places: list[Place], language: str | None) -> list[Place]:
    return sorted(places, key=lambda p: _sort_key(p.name(language)))


Option = tuple[str, str]
Choices: TypeAlias = list[tuple[str, str | list[Option]]]


def _indented(code: str, language: str | None, max_depth: int) -> list[Option]:
    """``code`` and everything under it down to ``max_depth``, depth first, children in
    alphabetical order of their names, each label indented by its depth."""
    root = PLACES[code]
    options = [(code, _INDENT * root.depth + root.name(language))]
    if root.depth < max_depth:
        for child in _sorted(children(code), language):
            options.extend(_indented(child.code, language, max_depth))
    return options


def choices(
    language: str | None = None, country: str | None = None, max_level: str = "district"
) -> Choices:
    """Choices for a select field, named in ``language`` (default: the active language).

    With ``country`` ("KG" or "kg"): a flat list of that country and its units down to
    ``max_level``, each indented by its depth. Without: one option group per country that
    has units at the levels asked for (the country itself first, so "somewhere in" can be
    chosen), then a plain option for each other country, in file order (Central Asia first).
    """
    max_depth = _depth_of(max_level)
    if country is not None:
        flat: Choices = [*_indented(country.lower(), language, max_depth)]
        return flat
    grouped: Choices = []
    plain: Choices = []
    for p in PLACES.values():
        if p.parent is not None:
            continue
        if max_depth > 0 and children(p.code):
            grouped.append((p.name(language), _indented(p.code, language, max_depth)))
        else:
            plain.append((p.code, p.name(language)))
    return grouped + plain
