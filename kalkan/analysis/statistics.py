"""Counting acts from the unlocked working set, for dashboards and drafts.

Every act the query matches becomes one `ActRow` with a single value per dimension (the
top-level act type and perpetrator type, the year, the region, ...), so that a table's cells
add up to its margins — which the publication gate (kalkan.analysis.gate) needs to protect
small counts. An act by perpetrators of several kinds counts once, as "several"; an act
without a value counts as "unknown".

Who stands behind a figure (provenance) is kept with each count as the acts' ids: drafts
keep it inside the system and print it only when asked.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import cast

import numpy as np
from django.db.models import Count, Max
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kalkan.analysis.models import Law, LawDeadline, LawLink, LawStage, PublishedTable
from kalkan.records import consent, local_terms
from kalkan.records.models import LocalTerm, RetiredTerm
from kalkan.records.search import Labels
from kalkan.records.vocabularies import Vocabulary
from kalkan.vault.keyring import Keyring
from kalkan.vault.models import Removed
from kalkan.vault.workingset import Query, WorkingSet

UNKNOWN = ""
SEVERAL = "*"

# Dimension -> the act facet it reads; the labels come from the search page's.
DIMENSIONS = {
    "year": "year",
    "country": "country",
    "region": "region",
    "act_group": "act_type",
    "perpetrator_group": "perpetrator_type",
    "age_band": "age_band",
    "gender_identity": "gender_identity",
    "hrd": "hrd",
}


@dataclass(frozen=True)
class ActRow:
    id: str
    event: str
    victim: str
    act_type: str  # the act's own (most specific) type
    date: str  # ISO, as precise as known ("2025", "2025-03", "2025-03-14") or ""
    year: str
    country: str
    region: str
    act_group: str
    perpetrator_group: str
    age_band: str
    gender_identity: str
    hrd: str

    @property
    def month(self) -> str:
        return self.date[:7] if len(self.date) >= 7 else UNKNOWN

    def value(self, dimension: str) -> str:
        return str(getattr(self, dimension))


def top_levels(vocabulary: Vocabulary) -> set[str]:
    return {term.code for term in vocabulary if not term.parent}


def _dimensions(keyring: Keyring | None) -> dict[str, Callable[[str], bool] | None]:
    """The facets acts are counted by, each with which of its values count (types of act
    and of perpetrator: the top levels), and the date."""
    act_types = top_levels(local_terms.current("act_types", keyring))
    perpetrator_types = top_levels(local_terms.current("perpetrator_types", keyring))
    allowed: dict[str, Callable[[str], bool]] = {
        "act_type": act_types.__contains__, "perpetrator_type": perpetrator_types.__contains__}
    dimensions: dict[str, Callable[[str], bool] | None] = {
        facet: allowed.get(facet) for facet in DIMENSIONS.values()}
    dimensions["date"] = None
    return dimensions


def act_rows(working: WorkingSet, query: Query, keyring: Keyring | None) -> list[ActRow]:
    """One row per act the query matches (the query's page and facets are ignored), with
    its id, event and own type: what drafts and exports need behind each figure. Counting
    alone takes `act_columns`."""
    dimensions = _dimensions(keyring)
    ids, values = working.tabulate(query, dimensions)
    names = list(dimensions)
    own = working.fields_of(ids, ("event", "victim_id", "type"))
    rows = []
    for record_id, picked in zip(ids, values, strict=True):
        by_facet = dict(zip(names, picked, strict=True))
        event, victim, act_type = own.get(record_id, ("", "", ""))
        rows.append(ActRow(
            id=record_id, event=event, victim=victim, act_type=act_type,
            date=by_facet["date"] if by_facet["date"] != SEVERAL else UNKNOWN,
            **{dimension: by_facet[facet] for dimension, facet in DIMENSIONS.items()},
        ))
    return rows


class ActColumns:
    """The acts a query matches as columns (one value per dimension, as in `ActRow`, and
    each act's victim): a whole dashboard is counted from them without an object per act
    (100,000 acts in tens of milliseconds instead of seconds)."""

    def __init__(self, values: dict[str, np.ndarray]) -> None:
        self.values = values

    def __len__(self) -> int:
        return len(self.values["victim"])

    def column(self, dimension: str) -> list[str]:
        if dimension == "month":
            return [date[:7] if len(date) >= 7 else UNKNOWN
                    for date in self.values["date"].tolist()]
        return cast(list[str], self.values[dimension].tolist())

    def counts(self, *dimensions: str) -> Counter[tuple[str, ...]]:
        return Counter(zip(*(self.column(d) for d in dimensions), strict=True))

    def where(self, kept: np.ndarray) -> ActColumns:
        return ActColumns({name: values[kept] for name, values in self.values.items()})


def act_columns(working: WorkingSet, query: Query, keyring: Keyring | None) -> ActColumns:
    """The acts of `act_rows`, as columns; the victim read from the "people" facet (one
    value per act, "victim id:head count")."""
    values = working.tabulate_columns(query, {**_dimensions(keyring), "people": None})
    people = values.pop("people")
    values["victim"] = np.array([p.rpartition(":")[0] for p in people.tolist()], dtype=object)
    date = values["date"]
    values["date"] = np.where(date == SEVERAL, UNKNOWN, date)
    for dimension, facet in DIMENSIONS.items():
        values[dimension] = values[facet] if dimension == facet else values.pop(facet)
    return ActColumns(values)


def columns_with_consent(working: WorkingSet, acts: ActColumns,
                         keyring: Keyring) -> tuple[ActColumns, int]:
    """`with_consent` for columns: the acts whose victim consents to anonymised statistics
    now or cannot be asked (a community: found by the persons' "kind" facet), and how many
    acts were left out."""
    victims = acts.column("victim")
    allowed = _countable(working, victims, keyring)
    kept = np.fromiter((victim in allowed for victim in victims), dtype=bool,
                       count=len(victims))
    return acts.where(kept), len(victims) - int(kept.sum())


def with_consent(working: WorkingSet, rows: list[ActRow],
                 keyring: Keyring) -> tuple[list[ActRow], int]:
    """The acts that counts leaving the organisation may include (their victim consents to
    anonymised statistics now, or nobody can be asked: kalkan.records.consent.countable),
    and how many acts were left out."""
    allowed = _countable(working, [row.victim for row in rows], keyring)
    kept = [row for row in rows if row.victim in allowed]
    return kept, len(rows) - len(kept)


def _countable(working: WorkingSet, victims: list[str], keyring: Keyring) -> set[str]:
    """Of these victims, those whose acts counts may include (consent.countable). The
    persons nobody can be asked for are few (communities): their ids come from the
    persons' "kind" facet, not from reading every victim's record."""
    kinds = {person: kind for kind in consent.NOBODY_TO_ASK
             for person in working.tabulate(Query(kind="person", filters={"kind": [kind]}),
                                            {})[0]}
    return consent.countable({v for v in victims if v}, kinds, keyring, working=working)


def left_out_note(count: int) -> str:
    """What every output that left acts out for want of consent says."""
    if not count:
        return ""
    return ngettext("%(count)d act left out: no statistics consent",
                    "%(count)d acts left out: no statistics consent", count) % {"count": count}


@dataclass
class Tally:
    """Counts of acts per value (one dimension) or per pair of values (two), with the ids of
    the acts behind each count."""

    counts: Counter[tuple[str, ...]]
    behind: dict[tuple[str, ...], list[str]]


def tally(rows: Iterable[ActRow], *dimensions: str) -> Tally:
    counts: Counter[tuple[str, ...]] = Counter()
    behind: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for row in rows:
        key = tuple(row.month if d == "month" else row.value(d) for d in dimensions)
        counts[key] += 1
        behind[key].append(row.id)
    return Tally(counts, dict(behind))


class ValueLabels:
    """Labels of dimension values in the active language, local terms included."""

    def __init__(self, keyring: Keyring | None) -> None:
        self.labels = Labels(keyring)

    def __call__(self, dimension: str, value: str) -> str:
        if value == UNKNOWN:
            # Not "Unknown": several lists have a term "unknown" of their own.
            return str(_("Not recorded"))
        if value == SEVERAL:
            return str(_("Several"))
        if dimension in ("year", "month"):
            return value
        facet = DIMENSIONS.get(dimension, dimension)
        if facet == "act_group":
            facet = "act_type"
        return self.labels(facet, value)


def stacked_with_hidden(
    cells: dict[str, list[int | None]], totals: list[int | None], hidden: str
) -> dict[str, list[int | None]]:
    """Series for a stacked chart of a gated table: hidden cells drawn as one "not shown"
    segment per period, so each bar still stands as tall as its published total (a period
    whose every cell is hidden would otherwise look empty). Where the total is hidden too,
    the segment is marked as hidden."""
    if all(v is not None for values in cells.values() for v in values):
        return dict(cells)
    out: dict[str, list[int | None]] = {
        label: [v or 0 for v in values] for label, values in cells.items()}
    rest: list[int | None] = []
    for index, total in enumerate(totals):
        shown = sum(values[index] or 0 for values in cells.values())
        rest.append(None if total is None else max(0, total - shown))
    out[hidden] = rest
    return out


def legend_note(note: str) -> str:
    """What a chart's legend says of hidden numbers: short (the table's note explains)."""
    return str(_("Hidden: small numbers")) if note else ""


def outside_the_working_set(*, published: bool = True) -> tuple[object, ...]:
    """What drafts and charts depend on that the working set does not hold (laws and their
    stages, local terms, the register of published tables, removals), as numbers that change
    whenever it does: records only ever get newer revisions. Kept results are keyed by it
    beside the working set's own generation (WorkingSet.derived). Without `published`, the
    register is left out: a draft's preparation does not read it (its audit does), and each
    first download adds to it."""
    state: list[object] = [Removed.objects.count(), RetiredTerm.objects.count()]
    models = (Law, LawStage, LawDeadline, LawLink, LocalTerm,
              *((PublishedTable,) if published else ()))
    for model in models:
        state.extend(model.objects.aggregate(Max("revision"), Count("pk")).values())
    return tuple(state)
