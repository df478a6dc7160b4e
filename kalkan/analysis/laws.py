"""The legislation tracker's write operations and its read API.

    law = new_law(keyring, by, title="…", details={"country": "kg", "type": "propaganda"})
    add_stage(law, keyring, stage="first_reading", date=month_date(2026, 3), note="")
    add_deadline(law, keyring, due=date(2026, 4, 1), what="The president has 30 days to sign")
    link_event(law, event, keyring, by, relation="charged_under")

    laws_for("kg", keyring) -> [LawView(...)]   # for the report builder and dashboards
    due_deadlines(keyring)  -> [DueDeadline(...)]  # the reminders on the desk and the list

Everything typed is sealed (kalkan.vault.records); laws are few, so they are decrypted and
filtered in memory. A law's current stage is its latest stage by date (see `ordered`).
Linked events are only those the reader's keys open (records.services.visible_events): an
event of a restricted case stays invisible to non-members, and so does its link.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from kalkan.accounts.models import User
from kalkan.analysis.models import Law, LawDeadline, LawLink, LawStage
from kalkan.intake.models import Report
from kalkan.records import gazetteer
from kalkan.records.indexing import fuzzy_iso
from kalkan.records.models import Act, Event
from kalkan.records.services import json_text, opened, visible_events
from kalkan.records.vocabularies import vocabulary
from kalkan.vault.keyring import Keyring
from kalkan.vault.models import SealedRecord
from kalkan.vault.records import new_sealed, open_content_key, readable_by, write

# Laws are tracked for the Central Asian states, with the gazetteer's country codes.
COUNTRIES = ("kg", "kz", "tj", "tm", "uz")
REMINDER_DAYS = 14

DatePart = dict[str, Any]


def today() -> datetime.date:
    return timezone.localdate()


# --- labels ------------------------------------------------------------------------------


def stage_label(code: str, language: str | None = None) -> str:
    """A stage's name in `language` (default: the active language)."""
    return vocabulary("law_stages").label(code, language)


def type_label(code: str, language: str | None = None) -> str:
    return vocabulary("law_types").label(code, language)


def relation_label(code: str, language: str | None = None) -> str:
    return vocabulary("law_relations").label(code, language)


def country_name(code: str, language: str | None = None) -> str:
    place = gazetteer.place(code)
    return place.name(language) if place else code


def month_date(year: int, month: int, day: int | None = None) -> DatePart:
    """A stage date in the fuzzy-date shape of the documentation model."""
    return {"year": year, "month": month, "day": day,
            "precision": "day" if day else "month", "approximate": False}


# --- what a reader gets ------------------------------------------------------------------


@dataclass(frozen=True)
class StageView:
    id: str
    stage: str
    label: str
    date: DatePart
    iso: str  # "2026-03-14", or "2026-03" when only the month is known
    note: str


@dataclass(frozen=True)
class DeadlineView:
    id: str
    law_id: str
    due: datetime.date
    what: str
    done: bool
    done_on: datetime.date | None
    overdue: bool


@dataclass(frozen=True)
class LawView:
    """A law as the report builder and the dashboards see it: no internal notes."""

    id: str
    country: str  # gazetteer code: "kg", "kz", …
    type: str  # law_types code
    title: str
    summary: str
    reference: str
    link: str
    stages: list[tuple[str, str, str]]  # (date ISO, stage code, label), oldest first
    current_stage: str  # "" when no stage is recorded yet
    current_since: str  # the current stage's date ISO
    deadlines: list[DeadlineView]  # open ones first, by due date
    linked_events: list[str]  # ids of the events the reader's keys open


@dataclass(frozen=True)
class LinkView:
    """An event (or one of its acts) linked to a law. event_id is the event to show: the
    linked one, or the one it was merged into."""

    id: str
    law_id: str
    event_id: str
    act_id: str
    relation: str
    relation_label: str


@dataclass(frozen=True)
class LawPage:
    """Everything of one law for its page: the view plus what only the team reads."""

    view: LawView
    notes: str
    stages: list[StageView]
    links: list[LinkView]  # only to events the reader's keys open


@dataclass(frozen=True)
class DueDeadline:
    """A reminder: an open deadline due soon or overdue, with its law's title."""

    deadline: DeadlineView
    law_id: str
    law_title: str
    country: str


# --- order of stages ---------------------------------------------------------------------


def _stage_rank() -> dict[str, int]:
    return {code: rank for rank, code in enumerate(vocabulary("law_stages").terms)}


def ordered(stages: Sequence[StageView], revisions: dict[str, int] | None = None
            ) -> list[StageView]:
    """Oldest first. Within a month where some stage is known only to the month, the days
    cannot be compared, so the stages follow the usual legislative order (introduced,
    readings, passed, signed, …) instead; otherwise by day, then that order, then the
    order they were entered in."""
    rank = _stage_rank()
    revisions = revisions or {}
    vague = {(s.date.get("year"), s.date.get("month")) for s in stages if not s.date.get("day")}

    def key(s: StageView) -> tuple[int, int, int, int, int]:
        year, month = int(s.date.get("year") or 0), int(s.date.get("month") or 0)
        day = int(s.date.get("day") or 0)
        by_order = (year, month) in vague
        return (year, month, 0 if by_order else day, rank.get(s.stage, len(rank)),
                revisions.get(s.id, 0))

    return sorted(stages, key=key)


# --- reading -----------------------------------------------------------------------------


def visible_laws(keyring: Keyring | None) -> QuerySet[Law]:
    """The laws this keyring opens (all of them, for anyone holding the organisation keys)."""
    return readable_by(Law.objects.all(), keyring)


def _with_parts(laws: QuerySet[Law]) -> QuerySet[Law]:
    return laws.select_related("content_key").prefetch_related(
        Prefetch("stages", LawStage.objects.select_related("content_key")),
        Prefetch("deadlines", LawDeadline.objects.select_related("content_key")),
        Prefetch("links", LawLink.objects.select_related("content_key")),
    )


def _stage_views(law: Law, keyring: Keyring) -> list[StageView]:
    rows = list(law.stages.all())
    views = []
    for row in rows:
        details = opened(row, keyring)["details"]
        date = details.get("date") or {}
        views.append(StageView(id=str(row.pk), stage=details.get("stage", ""),
                               label=stage_label(details.get("stage", "")), date=date,
                               iso=fuzzy_iso(date), note=details.get("note", "")))
    return ordered(views, {str(row.pk): row.revision for row in rows})


def _deadline_view(row: LawDeadline, keyring: Keyring, on: datetime.date) -> DeadlineView:
    details = opened(row, keyring)["details"]
    due = datetime.date.fromisoformat(details["due"])
    done = row.done_at is not None
    return DeadlineView(
        id=str(row.pk), law_id=str(row.law_id), due=due, what=details.get("what", ""),
        done=done, done_on=timezone.localdate(row.done_at) if row.done_at else None,
        overdue=not done and due < on,
    )


def _deadline_views(law: Law, keyring: Keyring) -> list[DeadlineView]:
    on = today()
    views = [_deadline_view(row, keyring, on) for row in law.deadlines.all()]
    # Open ones first, soonest first; then the done ones, latest first.
    return sorted(views, key=lambda d: (d.done, -d.due.toordinal() if d.done
                                        else d.due.toordinal(), d.id))


def _readable_links(law: Law, keyring: Keyring) -> list[LawLink]:
    """The law's links whose key this keyring holds (not those of others' restricted
    cases); prefetched rows are filtered in memory, without a query per law."""
    held = {str(c) for c in keyring.compartment_secrets}
    return [link for link in law.links.all()
            if link.content_key.compartment_id is None
            or str(link.content_key.compartment_id) in held]


def _visible_targets(event_ids: Iterable[Any], keyring: Keyring) -> dict[str, str]:
    """Linked event id -> the event to show: itself, or the event it was merged into;
    only events the keyring opens."""
    ids = set(event_ids)
    if not ids:
        return {}
    survivor = dict(Event.objects.filter(pk__in=ids, merged_into__isnull=False)
                    .values_list("pk", "merged_into_id"))
    wanted = {survivor.get(pk, pk) for pk in ids}
    visible = set(visible_events(keyring).filter(pk__in=wanted).values_list("pk", flat=True))
    return {str(pk): str(survivor.get(pk, pk)) for pk in ids
            if survivor.get(pk, pk) in visible}


def _law_view(law: Law, keyring: Keyring, targets: dict[str, str]) -> tuple[LawView, str,
                                                                               list[StageView]]:
    fields = opened(law, keyring)
    details: dict[str, Any] = fields["details"]
    stages = _stage_views(law, keyring)
    current = stages[-1] if stages else None
    linked = list(dict.fromkeys(
        targets[str(link.event_id)] for link in _readable_links(law, keyring)
        if str(link.event_id) in targets
    ))
    view = LawView(
        id=str(law.pk), country=details.get("country", ""), type=details.get("type", ""),
        title=fields.get("title", ""), summary=details.get("summary", ""),
        reference=details.get("reference", ""), link=details.get("link", ""),
        stages=[(s.iso, s.stage, s.label) for s in stages],
        current_stage=current.stage if current else "",
        current_since=current.iso if current else "",
        deadlines=_deadline_views(law, keyring), linked_events=linked,
    )
    return view, details.get("notes", ""), stages


def _targets_of(laws: Sequence[Law], keyring: Keyring) -> dict[str, str]:
    return _visible_targets(
        (link.event_id for law in laws for link in _readable_links(law, keyring)), keyring
    )


def laws_for(country: str | None, keyring: Keyring) -> list[LawView]:
    """Every law the keyring opens (of one country: "kg" or "KG"; None for all), newest
    first by the date of their latest stage. For the report builder and the dashboards."""
    laws = list(_with_parts(visible_laws(keyring)))
    targets = _targets_of(laws, keyring)
    views = [_law_view(law, keyring, targets)[0] for law in laws]
    if country:
        views = [v for v in views if v.country == country.lower()]
    views.sort(key=lambda v: v.title.casefold())
    views.sort(key=lambda v: v.current_since, reverse=True)  # stable: titles stay A–Z
    return views


def law_page(law: Law, keyring: Keyring) -> LawPage:
    law = _with_parts(Law.objects.filter(pk=law.pk)).get()
    readable = _readable_links(law, keyring)
    targets = _visible_targets((link.event_id for link in readable), keyring)
    view, notes, stages = _law_view(law, keyring, targets)
    links = [link for link in readable if str(link.event_id) in targets]
    return LawPage(view=view, notes=notes, stages=stages,
                   links=_link_views(links, keyring, targets))


def _link_views(links: Iterable[LawLink], keyring: Keyring,
                targets: dict[str, str] | None = None) -> list[LinkView]:
    out = []
    for link in links:
        relation = opened(link, keyring)["details"].get("relation", "")
        event_id = str(link.event_id)
        out.append(LinkView(id=str(link.pk), law_id=str(link.law_id),
                            event_id=(targets or {}).get(event_id, event_id),
                            act_id=str(link.act_id or ""), relation=relation,
                            relation_label=relation_label(relation)))
    return out


def links_of_event(event: Event, keyring: Keyring) -> list[tuple[LinkView, str, str]]:
    """For the event page: its links (and those of events merged into it) as
    (link, law title, law type label)."""
    links = readable_by(
        LawLink.objects.filter(Q(event=event) | Q(event__merged_into=event)), keyring
    ).select_related("content_key", "law__content_key").order_by("revision")
    out = []
    for link in links:
        law = opened(link.law, keyring)
        out.append((_link_views([link], keyring)[0], law.get("title", ""),
                    type_label(law["details"].get("type", ""))))
    return out


def law_choices(keyring: Keyring) -> list[tuple[str, str]]:
    """(id, "Kyrgyzstan — title") for picking a law, by country then title."""
    rows = []
    for law in visible_laws(keyring).select_related("content_key"):
        fields = opened(law, keyring)
        country = fields["details"].get("country", "")
        rows.append((country_name(country) if country else "", fields.get("title", ""),
                     str(law.pk)))
    return [(pk, f"{country} — {title}" if country else title)
            for country, title, pk in sorted(rows)]


def due_deadlines(keyring: Keyring, *, days: int = REMINDER_DAYS,
                  on: datetime.date | None = None) -> list[DueDeadline]:
    """Open deadlines due within `days` days, or overdue: the reminders, soonest first."""
    on = on or today()
    horizon = on + datetime.timedelta(days=days)
    rows = (readable_by(LawDeadline.objects.filter(done_at__isnull=True), keyring)
            .select_related("content_key", "law__content_key"))
    titles: dict[Any, dict[str, Any]] = {}
    out = []
    for row in rows:
        deadline = _deadline_view(row, keyring, on)
        if deadline.due > horizon:
            continue
        if row.law_id not in titles:
            titles[row.law_id] = opened(row.law, keyring)
        law = titles[row.law_id]
        out.append(DueDeadline(deadline=deadline, law_id=str(row.law_id),
                               law_title=law.get("title", ""),
                               country=law["details"].get("country", "")))
    return sorted(out, key=lambda d: (d.deadline.due, d.law_title))


# --- writing -----------------------------------------------------------------------------


def new_law(keyring: Keyring, by: User | None, *, title: str, details: dict[str, Any]) -> Law:
    with transaction.atomic():
        law, key = new_sealed(Law, keyring, added_by=by)
        write(law, key, title=title, details=json_text(details))
    return law


def update_law(law: Law, keyring: Keyring, *, title: str, details: dict[str, Any]) -> None:
    write(law, open_content_key(law.content_key, keyring), title=title, details=json_text(details))


def law_fields(law: Law, keyring: Keyring) -> dict[str, Any]:
    """The law's title and details, decrypted (details parsed)."""
    return opened(law, keyring)


def add_stage(law: Law, keyring: Keyring, *, stage: str, date: DatePart,
              note: str = "") -> LawStage:
    with transaction.atomic():
        row, key = new_sealed(LawStage, keyring, law=law)
        write(row, key, details=json_text({"stage": stage, "date": date, "note": note}))
    return row


def remove_stage(stage: LawStage) -> None:
    """A stage recorded by mistake: the row and its key go (crypto-shredded)."""
    content_key = stage.content_key
    with transaction.atomic():
        stage.delete()
        content_key.delete()


def add_deadline(law: Law, keyring: Keyring, *, due: datetime.date, what: str) -> LawDeadline:
    with transaction.atomic():
        row, key = new_sealed(LawDeadline, keyring, law=law)
        write(row, key, details=json_text({"due": due.isoformat(), "what": what}))
    return row


def mark_done(deadline: LawDeadline, by: User | None) -> bool:
    """True when this call marked it (False: it was done already)."""
    return bool(LawDeadline.objects.filter(pk=deadline.pk, done_at__isnull=True)
                .update(done_at=timezone.now(), done_by=by))


def link_event(law: Law, event: Event, keyring: Keyring, by: User | None, *, relation: str,
               act: Act | None = None) -> LawLink:
    """Sealed with the event's key family, so that a restricted case's link is opened only
    by the case's members."""
    if act is not None and act.event_id != event.pk:
        raise ValueError("the act belongs to another event")
    with transaction.atomic():
        link, key = new_sealed(LawLink, keyring, event.content_key.compartment, law=law,
                               event=event, act=act, by=by)
        write(link, key, details=json_text({"relation": relation}))
    return link


def unlink(link: LawLink) -> None:
    content_key = link.content_key
    with transaction.atomic():
        link.delete()
        content_key.delete()


def links_of_reports(reports: QuerySet[Report]) -> list[tuple[type[SealedRecord], Any]]:
    """Registered with the desk: restricting a case seals the law links of the events
    coded from its reports in the case's key too, like the events themselves."""
    return [(LawLink, LawLink.objects.filter(event__reports__in=reports).distinct())]
