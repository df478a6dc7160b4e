"""Likely duplicates while coding, and merges that keep history.

Two reports of the same raid, or the same man reported as "Алиев" by a friend and "Aliyev"
by a lawyer, should become one event and one person. Suggestions come from the unlocked
working set: persons whose pseudonyms have similar Latin skeletons (kalkan.records.names),
events in the same region whose dates are close. A merge moves every link to the record
kept; the other record stays, marked as merged into it, so nothing is lost and the audit
log says who merged what.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher
from typing import Any

from django.db import transaction

from kalkan.records.indexing import fuzzy_iso
from kalkan.records.models import (
    Act,
    ChainLink,
    ConsentEntry,
    Event,
    EvidenceItem,
    Information,
    Intervention,
    Involvement,
    Person,
)
from kalkan.records.names import skeleton
from kalkan.vault.records import bump_revisions
from kalkan.vault.workingset import Query, WorkingSet

# Dates further apart than this are not "near" (days; a month-precision date counts from
# the 15th, a year-precision one from 1 July).
NEAR_DAYS = 10
PERSON_THRESHOLD = 0.8


@dataclass(frozen=True)
class Suggestion:
    id: str
    label: str
    score: float  # 0..1
    why: str


def _name_similarity(a: str, b: str) -> float:
    keys_a = sorted(skeleton(w) for w in a.split() if skeleton(w))
    keys_b = sorted(skeleton(w) for w in b.split() if skeleton(w))
    return SequenceMatcher(None, " ".join(keys_a), " ".join(keys_b)).ratio()


def similar_persons(working: WorkingSet, pseudonym: str, *, exclude: str = "") -> list[Suggestion]:
    """Persons whose pseudonym reads like this one in any script."""
    words = " ".join(w[:4] for w in pseudonym.split() if len(w) >= 2)
    candidates = set()
    for word in pseudonym.split():
        key = skeleton(word)
        if len(key) >= 3:
            found = working.find(Query(kind="person", words=f"nm{key[:4]}",
                                       filters={"merged": ["no"]}, limit=200))
            candidates |= set(found.ids)
    if words:
        found = working.find(Query(kind="person", words=words, filters={"merged": ["no"]},
                                   limit=200))
        candidates |= set(found.ids)
    out = []
    for candidate in candidates - {exclude}:
        fields = working.fields(candidate) or {}
        score = _name_similarity(pseudonym, fields.get("pseudonym", ""))
        if score >= PERSON_THRESHOLD:
            out.append(Suggestion(candidate, fields.get("pseudonym", ""), round(score, 2),
                                  "name"))
    return sorted(out, key=lambda s: -s.score)


def _day(iso: str) -> date | None:
    """A point to measure from: the 15th for a month, 1 July for a year."""
    if not iso:
        return None
    parts = [int(p) for p in iso.split("-")]
    if len(parts) == 1:
        return date(parts[0], 7, 1)
    if len(parts) == 2:
        return date(parts[0], parts[1], 15)
    return date(parts[0], parts[1], parts[2])


def similar_events(
    working: WorkingSet, *, event_id: str, start: dict[str, Any] | None, region: str
) -> list[Suggestion]:
    """Events in the same region with a date near this one's."""
    own = _day(fuzzy_iso(start))
    if own is None or not region:
        return []
    found = working.find(Query(kind="event", filters={"region": [region], "merged": ["no"]},
                               limit=500))
    out = []
    for candidate in found.ids:
        if candidate == event_id:
            continue
        fields = working.fields(candidate) or {}
        other = _day(fields.get("date", ""))
        if other is None:
            continue
        distance = abs((other - own).days)
        if distance <= NEAR_DAYS:
            out.append(Suggestion(candidate, fields.get("title", ""),
                                  round(1 - distance / (NEAR_DAYS + 1), 2), "date and place"))
    return sorted(out, key=lambda s: -s.score)


def merge_persons(keep: Person, gone: Person) -> None:
    """Every link of `gone` moves to `keep`; `gone` stays, marked merged into `keep`."""
    if keep.pk == gone.pk:
        raise ValueError("a person cannot be merged into themselves")
    with transaction.atomic():
        acts = set(Act.objects.filter(victim=gone).values_list("pk", flat=True))
        acts |= set(Involvement.objects.filter(perpetrator=gone).values_list("act_id", flat=True))
        Act.objects.filter(victim=gone).update(victim=keep)
        Involvement.objects.filter(perpetrator=gone).update(perpetrator=keep)
        Information.objects.filter(source=gone).update(source=keep)
        Intervention.objects.filter(victim=gone).update(victim=keep)
        Intervention.objects.filter(party=gone).update(party=keep)
        ConsentEntry.objects.filter(person=gone).update(person=keep)
        for item in EvidenceItem.objects.filter(persons=gone):
            item.persons.remove(gone)
            item.persons.add(keep)
        Person.objects.filter(pk=gone.pk).update(merged_into=keep)
        bump_revisions(Act, acts)
        bump_revisions(Person, [gone.pk, keep.pk])


def merge_events(keep: Event, gone: Event) -> None:
    """Acts, sources, interventions, links, reports and evidence of `gone` move to `keep`;
    `gone` stays, marked merged into `keep`."""
    if keep.pk == gone.pk:
        raise ValueError("an event cannot be merged into itself")
    if keep.content_key.compartment_id != gone.content_key.compartment_id:
        raise ValueError("events under different keys cannot be merged")
    with transaction.atomic():
        acts = list(Act.objects.filter(event=gone).values_list("pk", flat=True))
        Act.objects.filter(event=gone).update(event=keep)
        Information.objects.filter(event=gone).update(event=keep)
        Intervention.objects.filter(event=gone).update(event=keep)
        ChainLink.objects.filter(from_event=gone).exclude(to_event=keep).update(from_event=keep)
        ChainLink.objects.filter(to_event=gone).exclude(from_event=keep).update(to_event=keep)
        keep.reports.add(*gone.reports.all())
        for item in EvidenceItem.objects.filter(events=gone):
            item.events.remove(gone)
            item.events.add(keep)
        Event.objects.filter(pk=gone.pk).update(merged_into=keep)
        bump_revisions(Act, acts + list(Act.objects.filter(event=keep).values_list("pk",
                                                                                 flat=True)))
        bump_revisions(Event, [gone.pk, keep.pk])
