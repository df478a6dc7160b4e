"""Coding reports into the documentation model: persons, events, acts, involvements,
sources, interventions and chains, all sealed through the vault.

    victim = new_person(keyring, pseudonym="Timur K.", profile={...})
    event = new_event(keyring, by, title="…", description="…", details={...}, reports=[r])
    act = add_act(event, keyring, victim=victim, details={"type": "detention", ...})
    add_involvement(act, keyring, perpetrator=police, details={"perpetrator_types": [...]})

The records of an event are sealed with the event's key family: the organisation's, or the
compartment of the restricted case its report belongs to. Whenever something an act's
search entry is made of changes (its event, victim, perpetrators), the act's revision moves
so that working sets re-index it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q

from kalkan.accounts.models import User
from kalkan.intake.models import Report
from kalkan.records.models import (
    Act,
    ChainLink,
    Event,
    Information,
    Intervention,
    Involvement,
    Person,
)
from kalkan.vault import workingset
from kalkan.vault.keyring import Keyring
from kalkan.vault.models import Compartment, SealedRecord
from kalkan.vault.records import (
    bump_revisions,
    new_sealed,
    open_content_key,
    read,
    readable_by,
    remove_sealed,
    write,
)


def json_text(value: Any) -> str:
    """JSON as sealed fields keep it: readable letters, keys sorted (stable bytes)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def opened(
    record: SealedRecord, keyring: Keyring, fields_: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """The record's sealed fields (or only `fields_`), JSON ones parsed."""
    fields = read(record, open_content_key(record.content_key, keyring), fields_)
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if name in ("details", "profile", "identity"):
            out[name] = json.loads(value) if value else {}
        else:
            out[name] = value
    return out


def _compartment_of_reports(reports: Iterable[Report]) -> Compartment | None:
    compartments = {
        r.content_key.compartment_id for r in reports if r.content_key.compartment_id
    }
    if len(compartments) > 1:
        raise ValueError("reports from different restricted cases cannot make one event")
    return Compartment.objects.filter(pk__in=compartments).first()


def _family(record: SealedRecord) -> Compartment | None:
    return record.content_key.compartment


# --- persons ----------------------------------------------------------------------------------


def new_person(
    keyring: Keyring,
    *,
    pseudonym: str,
    profile: dict[str, Any] | None = None,
    identity: dict[str, Any] | None = None,
    compartment: Compartment | None = None,
) -> Person:
    with transaction.atomic():
        person, key = new_sealed(Person, keyring, compartment)
        write(person, key, pseudonym=pseudonym, profile=json_text(profile or {}),
              identity=json_text(identity or {}))
    return person


def update_person(
    person: Person,
    keyring: Keyring,
    *,
    pseudonym: str,
    profile: dict[str, Any],
    identity: dict[str, Any] | None = None,
) -> None:
    key = open_content_key(person.content_key, keyring)
    fields = {"pseudonym": pseudonym, "profile": json_text(profile)}
    if identity is not None:
        fields["identity"] = json_text(identity)
    with transaction.atomic():
        write(person, key, **fields)
        _reindex_acts_of_persons([person.pk])


def _reindex_acts_of_persons(person_ids: list[Any]) -> None:
    acts = set(Act.objects.filter(victim_id__in=person_ids).values_list("pk", flat=True))
    acts |= set(
        Involvement.objects.filter(perpetrator_id__in=person_ids).values_list("act_id", flat=True)
    )
    bump_revisions(Act, acts)


# --- events and what they are made of ------------------------------------------------------------


def new_event(
    keyring: Keyring,
    by: User | None,
    *,
    title: str,
    description: str = "",
    details: dict[str, Any] | None = None,
    reports: Iterable[Report] = (),
) -> Event:
    """An event, coded from zero or more reports (sealed in their restricted case's
    compartment if they are in one)."""
    reports = list(reports)
    with transaction.atomic():
        event, key = new_sealed(Event, keyring, _compartment_of_reports(reports), coded_by=by)
        write(event, key, title=title, description=description, details=json_text(details or {}))
        event.reports.set(reports)
    return event


def update_event(
    event: Event, keyring: Keyring, *, title: str, description: str, details: dict[str, Any]
) -> None:
    key = open_content_key(event.content_key, keyring)
    with transaction.atomic():
        write(event, key, title=title, description=description, details=json_text(details))
        bump_revisions(Act, list(event.acts.values_list("pk", flat=True)))


def add_act(event: Event, keyring: Keyring, *, victim: Person, details: dict[str, Any]) -> Act:
    with transaction.atomic():
        position = event.acts.count() + 1
        act, key = new_sealed(Act, keyring, _family(event), event=event, victim=victim,
                              position=position)
        write(act, key, details=json_text(details))
    return act


def update_act(act: Act, keyring: Keyring, *, details: dict[str, Any]) -> None:
    write(act, open_content_key(act.content_key, keyring), details=json_text(details))


def remove_part(part: Involvement | Information | Intervention) -> None:
    """A perpetrator, source or intervention recorded by mistake: the row and its key go
    (crypto-shredded). The event's acts are indexed again: their perpetrators and the
    reliability of their sources are part of what search finds and counts."""
    event_id = part.act.event_id if isinstance(part, Involvement) else part.event_id
    with transaction.atomic():
        remove_sealed([part])
        bump_revisions(Act, list(Act.objects.filter(event_id=event_id)
                                 .values_list("pk", flat=True)))


def remove_act(act: Act, keyring: Keyring) -> list[str]:
    """An act recorded by mistake (a duplicate from a double submit, an act that did not
    happen): it goes for good with its involvements and law links, keys destroyed, and
    leaves every working set and snapshot at once, so that no count includes it. The
    victim's person record stays (it may be named elsewhere; persons are merged, not
    removed). Returns the ids of the records removed."""
    removed = remove_sealed([act])
    workingset.forget_removed_everywhere(keyring)
    return removed


def what_an_event_holds(event: Event) -> dict[str, int]:
    """How many records removing the event would take with it, for the confirmation page."""
    return {
        "acts": event.acts.count(),
        "perpetrators": Involvement.objects.filter(act__event=event).count(),
        "sources": event.sources.count(),
        "interventions": event.interventions.count(),
        "links": ChainLink.objects.filter(Q(from_event=event) | Q(to_event=event)).count(),
        "reports": event.reports.count(),
    }


def remove_event(event: Event, keyring: Keyring) -> list[str]:
    """An event coded by mistake (twice from one report, or not a violation at all): it
    goes for good with its acts, perpetrators, sources, interventions, links and law links,
    and with the events merged into it (they hold nothing any more). Its reports stay and
    are "not yet coded" again; persons and evidence items stay. Returns the ids removed."""
    merged = list(Event.objects.filter(merged_into=event))
    removed = remove_sealed([event, *merged])
    workingset.forget_removed_everywhere(keyring)
    return removed


def add_involvement(
    act: Act, keyring: Keyring, *, perpetrator: Person, details: dict[str, Any]
) -> Involvement:
    with transaction.atomic():
        involvement, key = new_sealed(
            Involvement, keyring, _family(act), act=act, perpetrator=perpetrator
        )
        write(involvement, key, details=json_text(details))
        bump_revisions(Act, [act.pk])
    return involvement


def add_information(
    event: Event, keyring: Keyring, *, source: Person | None, details: dict[str, Any]
) -> Information:
    with transaction.atomic():
        information, key = new_sealed(
            Information, keyring, _family(event), event=event, source=source
        )
        write(information, key, details=json_text(details))
        bump_revisions(Act, list(event.acts.values_list("pk", flat=True)))
    return information


def add_intervention(
    event: Event,
    keyring: Keyring,
    *,
    details: dict[str, Any],
    victim: Person | None = None,
    party: Person | None = None,
) -> Intervention:
    with transaction.atomic():
        intervention, key = new_sealed(
            Intervention, keyring, _family(event), event=event, victim=victim, party=party
        )
        write(intervention, key, details=json_text(details))
    return intervention


def link_events(
    first: Event, second: Event, keyring: Keyring, *, relation: str, notes: str = ""
) -> ChainLink:
    with transaction.atomic():
        link, key = new_sealed(
            ChainLink, keyring, _family(first), from_event=first, to_event=second
        )
        write(link, key, details=json_text({"relation": relation, "notes": notes}))
    return link


# --- restricted cases ---------------------------------------------------------------------------


def records_of_reports(reports: Any) -> list[tuple[type[SealedRecord], Any]]:
    """The documentation coded from these reports, for a case being restricted: its events
    and everything in them, and the persons who appear in no other event (a person also
    named elsewhere stays where the other events can reach them)."""
    from kalkan.records.models import ConsentEntry, EvidenceItem

    events = Event.objects.filter(reports__in=reports).distinct()
    acts = Act.objects.filter(event__in=events)
    involvements = Involvement.objects.filter(act__in=acts)
    mentioned = set(acts.values_list("victim_id", flat=True))
    mentioned |= set(involvements.values_list("perpetrator_id", flat=True))
    mentioned |= set(Information.objects.filter(event__in=events, source__isnull=False)
                     .values_list("source_id", flat=True))
    elsewhere = set(Act.objects.exclude(event__in=events).values_list("victim_id", flat=True))
    elsewhere |= set(Involvement.objects.exclude(act__in=acts)
                     .values_list("perpetrator_id", flat=True))
    elsewhere |= set(Information.objects.exclude(event__in=events)
                     .values_list("source_id", flat=True))
    persons = Person.objects.filter(pk__in=mentioned - elsewhere)
    return [
        (Event, events),
        (Act, acts),
        (Involvement, involvements),
        (Information, Information.objects.filter(event__in=events)),
        (Intervention, Intervention.objects.filter(event__in=events)),
        (ChainLink, ChainLink.objects.filter(from_event__in=events)),
        (Person, persons),
        (ConsentEntry, ConsentEntry.objects.filter(person__in=persons)),
        (EvidenceItem, EvidenceItem.objects.filter(events__in=events).distinct()),
    ]


# --- reading --------------------------------------------------------------------------------


def visible_events(keyring: Keyring | None) -> Any:
    return readable_by(Event.objects.filter(merged_into__isnull=True), keyring)


def visible_persons(keyring: Keyring | None) -> Any:
    return readable_by(Person.objects.filter(merged_into__isnull=True), keyring)


def event_bundle(event: Event, keyring: Keyring) -> dict[str, Any]:
    """Everything of an event, decrypted: for its page and for exports."""
    persons: dict[Any, dict[str, Any]] = {}

    def person(pk: Any) -> dict[str, Any] | None:
        if pk is None:
            return None
        if pk not in persons:
            row = Person.objects.select_related("content_key").get(pk=pk)
            persons[pk] = {"id": str(pk), **opened(row, keyring)}
        return persons[pk]

    acts = []
    for act in event.acts.select_related("content_key").order_by("position", "revision"):
        involvements = [
            {"id": str(inv.pk), "perpetrator": person(inv.perpetrator_id),
             **opened(inv, keyring)}
            for inv in act.involvements.select_related("content_key").order_by("revision")
        ]
        acts.append({"id": str(act.pk), "victim": person(act.victim_id),
                     "involvements": involvements, **opened(act, keyring)})
    sources = [
        {"id": str(info.pk), "source": person(info.source_id), **opened(info, keyring)}
        for info in event.sources.select_related("content_key").order_by("revision")
    ]
    interventions = [
        {"id": str(item.pk), "victim": person(item.victim_id), "party": person(item.party_id),
         **opened(item, keyring)}
        for item in event.interventions.select_related("content_key").order_by("revision")
    ]
    links = [
        {"id": str(link.pk), "to": str(link.to_event_id), **opened(link, keyring)}
        for link in readable_by(
            ChainLink.objects.filter(from_event=event), keyring
        ).select_related("content_key")
    ]
    return {
        "id": str(event.pk),
        **opened(event, keyring),
        "reports": [str(pk) for pk in event.reports.values_list("pk", flat=True)],
        "acts": acts,
        "sources": sources,
        "interventions": interventions,
        "links": links,
    }
