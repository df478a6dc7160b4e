"""Search over the unlocked working set: what a search page asks, turned into a working-set
Query, and the answer turned into rows and facet counts a person can read.

Filters are facet values (kalkan.records.indexing.ACT_FACETS): a filter on a broader term
("violence") finds every narrower one, because acts are indexed with their terms' ancestors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from kalkan.records import gazetteer, local_terms
from kalkan.records.indexing import ACT_FACETS
from kalkan.records.names import alternatives
from kalkan.records.vocabularies import Vocabulary, vocabulary
from kalkan.vault.keyring import Keyring
from kalkan.vault.workingset import Found, Query, WorkingSet

# Facet -> the vocabulary its values come from (None: labelled here or by the gazetteer).
FACET_VOCABULARIES: dict[str, str | None] = {
    "act_type": "act_types",
    "perpetrator_type": "perpetrator_types",
    "country": None,
    "region": None,
    "year": None,
    "violation_status": "violation_status",
    "victim_characteristic": "victim_characteristics",
    "hrd": None,
    "gender_identity": "gender_identity",
    "sexual_orientation": "sexual_orientation",
    "age_band": "age_band",
    "reliability": "reliability",
}
FACET_TITLES = {
    "act_type": _("Type of act"),
    "perpetrator_type": _("Perpetrator"),
    "country": _("Country"),
    "region": _("Region"),
    "year": _("Year"),
    "violation_status": _("Violation status"),
    "victim_characteristic": _("Victim"),
    "hrd": _("Human rights defender"),
    "gender_identity": _("Gender identity"),
    "sexual_orientation": _("Sexual orientation"),
    "age_band": _("Age"),
    "reliability": _("Reliability of sources"),
}
SORTS = [("relevance", _("Best match")), ("newest", _("Newest first")),
         ("oldest", _("Oldest first"))]
PAGE = 50
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass
class Asked:
    """A search as the page's GET parameters give it, checked."""

    words: str
    filters: dict[str, list[str]]
    date_from: str
    date_to: str
    sort: str
    page: int
    errors: list[str]

    def query(self) -> Query:
        ranges = {}
        if self.date_from or self.date_to:
            # "2025" to "2025" means the whole year: pad the upper end.
            ranges["date"] = (self.date_from, (self.date_to + "-99-99")[:10]
                              if self.date_to else "")
        return Query(
            kind="act",
            words=self.words,
            filters=self.filters,
            ranges=ranges,
            facets=(*ACT_FACETS, "people"),
            sort=self.sort,
            limit=PAGE,
            offset=(self.page - 1) * PAGE,
            alternatives=alternatives,
        )

    def params(self, **change: Any) -> str:
        """The query string for this search with one thing changed (facet links, pages)."""
        pairs: list[tuple[str, str]] = []
        if self.words:
            pairs.append(("q", self.words))
        filters = {name: list(values) for name, values in self.filters.items()}
        add = change.pop("add", None)
        if add:
            name, value = add
            if value not in filters.setdefault(name, []):
                filters[name].append(value)
        remove = change.pop("remove", None)
        if remove:
            name, value = remove
            filters[name] = [v for v in filters.get(name, []) if v != value]
        for name, values in filters.items():
            pairs += [(name, value) for value in values]
        for name, value in (("from", self.date_from), ("to", self.date_to),
                            ("sort", change.pop("sort", self.sort))):
            if value and not (name == "sort" and value == "relevance"):
                pairs.append((name, value))
        page = change.pop("page", 1)
        if page > 1:
            pairs.append(("page", str(page)))
        return urlencode(pairs)


def asked(params: QueryDict) -> Asked:
    errors = []
    words = params.get("q", "").strip()[:500]
    filters = {name: [v for v in params.getlist(name) if v][:20] for name in FACET_VOCABULARIES}
    filters = {name: values for name, values in filters.items() if values}
    dates = []
    for name in ("from", "to"):
        value = params.get(name, "").strip()
        if value and not _DATE.match(value):
            errors.append(str(_("Write dates as a year, year-month or year-month-day, "
                                "e.g. 2025 or 2025-03.")))
            value = ""
        dates.append(value)
    sort = params.get("sort", "relevance")
    if sort not in dict(SORTS):
        sort = "relevance"
    try:
        page = max(1, min(int(params.get("page", "1")), 10_000))
    except ValueError:
        page = 1
    return Asked(words, filters, dates[0], dates[1], sort, page, errors)


class Labels:
    """Labels of facet values in the reader's language, local terms included (the lists
    are read once per page)."""

    def __init__(self, keyring: Keyring | None) -> None:
        self.keyring = keyring
        self.lists: dict[str, Vocabulary] = {}

    def __call__(self, facet: str, value: str) -> str:
        vocabulary_name = FACET_VOCABULARIES.get(facet)
        if vocabulary_name:
            if vocabulary_name not in self.lists:
                self.lists[vocabulary_name] = local_terms.current(vocabulary_name, self.keyring)
            return str(self.lists[vocabulary_name].label(value))
        return label(facet, value)


def label(facet: str, value: str) -> str:
    vocabulary_name = FACET_VOCABULARIES.get(facet)
    if vocabulary_name:
        return str(vocabulary(vocabulary_name).label(value))
    if facet in ("country", "region"):
        place = gazetteer.place(value)
        return place.name() if place else value
    if facet == "hrd":
        return str(_("Yes")) if value == "yes" else str(_("No"))
    return value


@dataclass(frozen=True)
class Row:
    id: str
    fields: dict[str, str]
    people: int
    type_label: str
    place_label: str
    perpetrators: str


def rows(working: WorkingSet, found: Found, label: Callable[[str, str], str] = label) -> list[Row]:
    out = []
    for record_id in found.ids:
        fields = working.fields(record_id) or {}
        place = fields.get("place", "")
        perpetrators = [p for p in fields.get("perpetrators", "").split(",") if p]
        out.append(Row(
            record_id,
            fields,
            int(heads) if (heads := fields.get("victim_people", "")).isdigit() else 1,
            label("act_type", fields.get("type", "")) if fields.get("type") else "",
            gazetteer.label_path(place) if place and gazetteer.place(place) else "",
            ", ".join(label("perpetrator_type", p) for p in perpetrators),
        ))
    return out


def people_affected(found: Found) -> int:
    """The people the found acts were done to: each victim once, a collective counted by its
    head count (an act against 16 NGO staff is one act, and 16 people)."""
    total = 0
    for value, _count in found.facets.get("people", []):
        _victim, _colon, heads = value.rpartition(":")
        total += int(heads) if heads.isdigit() else 1
    return total


def facet_groups(
    found: Found, asked_: Asked, label: Callable[[str, str], str] = label, limit: int = 12
) -> list[dict[str, Any]]:
    """Facet counts with links that add (or remove) a filter; top values first."""
    groups = []
    for name in ACT_FACETS:
        values = found.facets.get(name, [])
        if not values:
            continue
        chosen = set(asked_.filters.get(name, []))
        items = [
            {
                "label": label(name, value),
                "count": count,
                "chosen": value in chosen,
                "href": "?" + asked_.params(
                    **({"remove": (name, value)} if value in chosen else {"add": (name, value)})
                ),
            }
            for value, count in values[:limit]
        ]
        groups.append({"name": name, "title": FACET_TITLES[name], "items": items})
    return groups
