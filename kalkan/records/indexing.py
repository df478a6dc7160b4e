"""What the working set keeps of acts and persons, for search, filters and facet counts.

An act's entry is made of the act and what surrounds it — its event (title, story, place,
dates, violation status), its victim (pseudonym, characteristics) and its perpetrators
(types, pseudonyms) — so that one query finds "detentions by police in Chüy in 2025 of human
rights defenders". Labels of the codes go into the text in all four languages, so a word in
any of them finds the act; names go in with their Latin skeletons (kalkan.records.names).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from kalkan.records import gazetteer, local_terms
from kalkan.records.models import Act, Event, Information, Involvement, Person
from kalkan.records.names import name_tokens
from kalkan.records.services import opened
from kalkan.records.vocabularies import Vocabulary
from kalkan.vault import authentic, crypto
from kalkan.vault.keyring import Keyring
from kalkan.vault.models import SealedRecord
from kalkan.vault.records import Refused
from kalkan.vault.workingset import Indexed, once_per_build, opened_in_build, read_rows

# The sealed fields that hold JSON (as kalkan.records.services.opened parses them).
_JSON = ("details", "profile", "identity")

LANGUAGES = ("en", "ru", "ky", "kk")
# The facets an act carries; search pages count them.
ACT_FACETS = (
    "act_type", "perpetrator_type", "country", "region", "year", "violation_status",
    "victim_characteristic", "hrd", "gender_identity", "sexual_orientation", "age_band",
    "reliability",
)


def head_count(profile: dict[str, Any] | None) -> int:
    """How many people a person record stands for: a collective's head count (16 staff of
    an NGO), else 1 (an individual, or a collective nobody counted)."""
    try:
        return max(1, int((profile or {}).get("head_count") or 1))
    except (TypeError, ValueError):
        return 1


def with_ancestors(vocab: Vocabulary, codes: list[str]) -> list[str]:
    """The codes and every broader term above them: a filter on "violence" finds beatings."""
    out: list[str] = []
    for code in codes:
        if not code:
            continue
        out += [term.code for term in vocab.ancestors(code)] if vocab.get(code) else []
        out.append(code)
    return list(dict.fromkeys(out))


def labels(vocab: Vocabulary, codes: list[str]) -> str:
    return " ".join(vocab.label(code, language) for code in codes for language in LANGUAGES
                    if vocab.get(code))


def fuzzy_iso(date: dict[str, Any] | None) -> str:
    """A fuzzy date as sortable text: "2025", "2025-03", "2025-03-14" ("" when unknown)."""
    if not date or not date.get("year"):
        return ""
    text = f"{int(date['year']):04d}"
    if date.get("month"):
        text += f"-{int(date['month']):02d}"
        if date.get("day"):
            text += f"-{int(date['day']):02d}"
    return text


def _left_out(problem: crypto.Tampered, row: SealedRecord, keyring: Keyring) -> None:
    """A related row that fails its check (a database writer's, or damaged) is left out of
    the entry and said so: one such row must not stop every working set being built."""
    authentic.report(authentic.as_untrusted(problem, row), actor_id=keyring.user_id)


def _open_many(
    model: type[SealedRecord], ids: set[Any], keyring: Keyring, fields: tuple[str, ...]
) -> dict[Any, dict[str, Any]]:
    """The given fields of many records at once; those the keyring cannot open are left
    out. Only what the index uses is decrypted (never a person's real names). In a build
    from the records, those it has decrypted already are not decrypted again."""
    out: dict[Any, dict[str, Any]] = {}
    kept = opened_in_build(model, fields)
    if kept is not None:
        for pk in ids:
            if pk in kept:
                out[pk] = {name: (json.loads(value) if value else {}) if name in _JSON
                           else value for name, value in kept[pk].items()}
        # Those it did not keep: committed after the build began, or not opened.
        ids = {pk for pk in ids if pk not in kept}
        if not ids:
            return out
    for row in model._default_manager.filter(pk__in=ids).select_related("content_key"):
        try:
            out[row.pk] = opened(row, keyring, fields)
        except PermissionError:
            continue
        except crypto.Tampered as problem:
            _left_out(problem, row, keyring)
    return out


def _details_by(
    rows: Iterable[tuple[Any, int, tuple[Any, ...], dict[str, str]] | Refused],
    keyring: Keyring,
) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    """(plain columns, parsed details) of the rows read_values gave that opened."""
    for row in rows:
        if isinstance(row, Refused):
            if row.problem is not None:
                authentic.report(row.problem, actor_id=keyring.user_id)
            continue
        yield row[2], json.loads(row[3]["details"] or "{}")


def _involvements(
    acts: QuerySet[Involvement], keyring: Keyring
) -> dict[Any, list[tuple[Any, dict[str, Any]]]]:
    """Act -> (perpetrator, involvement details) of its involvements that open."""
    out: dict[Any, list[tuple[Any, dict[str, Any]]]] = defaultdict(list)
    for (act_id, perpetrator_id), details in _details_by(
        read_rows(acts, keyring, ("details",), ("act_id", "perpetrator_id")), keyring
    ):
        out[act_id].append((perpetrator_id, details))
    return out


def _reliability(sources: QuerySet[Information], keyring: Keyring) -> dict[Any, set[str]]:
    """Event -> the reliability codes of its sources that open."""
    out: dict[Any, set[str]] = defaultdict(set)
    for (event_id,), details in _details_by(
        read_rows(sources, keyring, ("details",), ("event_id",)), keyring
    ):
        if details.get("reliability"):
            out[event_id].add(details["reliability"])
    return out


def index_acts(batch: list[tuple[Any, dict[str, str]]], keyring: Keyring) -> list[Indexed]:
    acts = [record for record, _fields in batch]
    events = _open_many(Event, {a.event_id for a in acts}, keyring,
                        ("title", "description", "details"))
    # In a build from the records, every involvement and source is read once, not again
    # for each batch of acts.
    if opened_in_build(Event, ("title", "description", "details")) is not None:
        involvements = once_per_build("records.involvements", lambda: _involvements(
            Involvement.objects.all(), keyring))
        reliability = once_per_build("records.reliability", lambda: _reliability(
            Information.objects.all(), keyring))
    else:
        involvements = _involvements(
            Involvement.objects.filter(act__in=[a.pk for a in acts]), keyring)
        reliability = _reliability(Information.objects.filter(event_id__in=list(events)),
                                   keyring)
    persons = _open_many(
        Person,
        {a.victim_id for a in acts} | {pid for a in acts for pid, _ in involvements.get(a.pk, [])},
        keyring,
        ("pseudonym", "profile"),
    )
    # The organisation's lists, local terms included, once per batch (or build).
    vocabularies = once_per_build("records.vocabularies", lambda: {
        name: local_terms.current(name, keyring) for name in ("act_types", "perpetrator_types")})
    return [
        _act_entry(act, json.loads(fields.get("details") or "{}"), events.get(act.event_id, {}),
                   persons, involvements.get(act.pk, []),
                   # Only an event that opens lends its sources' reliability.
                   sorted(reliability.get(act.event_id, ())) if act.event_id in events else [],
                   vocabularies)
        for act, fields in batch
    ]


def _act_entry(
    act: Act,
    details: dict[str, Any],
    event: dict[str, Any],
    persons: dict[Any, dict[str, Any]],
    involvements: list[tuple[Any, dict[str, Any]]],
    reliability: list[str],
    vocabularies: dict[str, Vocabulary],
) -> Indexed:
    act_types, perpetrator_types_ = vocabularies["act_types"], vocabularies["perpetrator_types"]
    event_details = event.get("details") or {}
    victim = persons.get(act.victim_id, {})
    profile = victim.get("profile") or {}
    act_type = details.get("type") or ""
    perpetrator_types = [t for _pid, inv in involvements for t in inv.get("perpetrator_types", [])]
    place = (details.get("place") or {}).get("code") or (
        event_details.get("place") or {}).get("code") or ""
    known = gazetteer.place(place) if place else None
    country = known.country.lower() if known else ""
    date = fuzzy_iso(details.get("start")) or fuzzy_iso(event_details.get("start"))
    characteristics = list(details.get("victim_characteristics") or [])
    characteristics += [c for c in profile.get("characteristics") or [] if c not in characteristics]
    names = [victim.get("pseudonym", "")] + [
        persons.get(pid, {}).get("pseudonym", "") for pid, _inv in involvements
    ]
    names = [name for name in names if name]
    text = "\n".join(filter(None, [
        event.get("title", ""), event.get("description", ""), details.get("stated_reason", ""),
        details.get("notes", ""), " ".join(names),
        name_tokens(" ".join(names), once_per_build("records.names", dict)),
        labels(act_types, with_ancestors(act_types, [act_type])),
        labels(perpetrator_types_, perpetrator_types),
        gazetteer.label_path(place, "en") if known else "",
        " ".join(gazetteer.label_path(place, lang) for lang in ("ru", "ky", "kk")) if known else "",
    ]))
    facets = {
        "act_type": with_ancestors(act_types, [act_type]),
        "perpetrator_type": with_ancestors(perpetrator_types_, perpetrator_types),
        "country": [country] if country else [],
        "region": [gazetteer.coarsen(place)] if known and known.level != "country" else [],
        "place": [place] if place else [],
        "year": [date[:4]] if date else [],
        "date": [date] if date else [],
        "violation_status": [event_details.get("violation_status") or "unknown"],
        "victim_characteristic": characteristics,
        "hrd": ["yes" if "hrd" in characteristics or profile.get("hrd_role") else "no"],
        "gender_identity": [_code(profile.get("gender_identity"))],
        "sexual_orientation": [_code(profile.get("sexual_orientation"))],
        "age_band": [profile.get("age_band") or "unknown"],
        "reliability": reliability,
        "event": [str(act.event_id)],
        # One value per act, "victim id:head count": the distinct values over a search are
        # its distinct victims, and their head counts add up to the people affected
        # (kalkan.records.search.people_affected).
        "people": [f"{act.victim_id}:{head_count(profile)}"],
    }
    fields = {
        "event": str(act.event_id),
        "title": event.get("title", ""),
        "type": act_type,
        "date": date,
        "place": place,
        "victim": victim.get("pseudonym", ""),
        "victim_id": str(act.victim_id),
        "victim_people": str(head_count(profile)),
        "perpetrators": ",".join(dict.fromkeys(perpetrator_types)),
    }
    return Indexed(fields, text, {k: [v for v in vals if v] for k, vals in facets.items()})


def _code(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("code") or "not_stated")
    return str(value or "not_stated")


def index_persons(batch: list[tuple[Any, dict[str, str]]], keyring: Keyring) -> list[Indexed]:
    """Persons are found by pseudonym in any spelling (to pick them while coding and to
    suggest duplicates); their real names are never indexed."""
    out = []
    for person, fields in batch:
        profile = json.loads(fields.get("profile") or "{}")
        pseudonym = fields.get("pseudonym", "")
        out.append(Indexed(
            {"pseudonym": pseudonym, "kind": profile.get("kind") or "individual",
             "age_band": profile.get("age_band") or ""},
            f"{pseudonym}\n{name_tokens(pseudonym, once_per_build('records.names', dict))}",
            {"kind": [profile.get("kind") or "individual"],
             "merged": ["yes" if person.merged_into_id else "no"]},
        ))
    return out


def index_consent(batch: list[tuple[Any, dict[str, str]]], keyring: Keyring) -> list[Indexed]:
    """A consent statement: whose, for what, given or not, on which day. No text: nothing
    finds it by words."""
    out = []
    for entry, fields in batch:
        details = json.loads(fields.get("details") or "{}")
        out.append(Indexed(
            {"person": str(entry.person_id), "purpose": str(details.get("purpose", "")),
             "given": "1" if details.get("given") else "", "on": str(details.get("on", "")),
             "partner": str(details.get("partner", ""))},
            "",
        ))
    return out


def index_events(batch: list[tuple[Any, dict[str, str]]], keyring: Keyring) -> list[Indexed]:
    out = []
    for event, fields in batch:
        details = json.loads(fields.get("details") or "{}")
        place = (details.get("place") or {}).get("code") or ""
        date = fuzzy_iso(details.get("start"))
        out.append(Indexed(
            {"title": fields.get("title", ""), "date": date, "place": place},
            f"{fields.get('title', '')}\n{fields.get('description', '')}",
            {"date": [date] if date else [], "place": [place] if place else [],
             "region": [gazetteer.coarsen(place)] if place and gazetteer.place(place) else [],
             "merged": ["yes" if event.merged_into_id else "no"]},
        ))
    return out
