"""The documentation officer's coding screens: the events list and the reports still to code,
coding a report into an event, the event page (acts with their victims and perpetrators,
sources, interventions, chains of events) and the person page (profile, roles, consent
ledger, real names on request).

Every record is looked up among those the person's keys open (visible_events,
visible_persons, readable_by), so a record of a restricted case is "not found" for anyone
who is not a member of it. Every view and every change is in the audit log, sealed to the
case's members when the record is in a restricted case. Each change is its own small POST
form: it redirects back on success, and on bad input shows the page again with the errors
(status 400) having saved nothing.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from django import forms
from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kalkan.accounts.decorators import acting_user, capability_required
from kalkan.accounts.roles import Capability
from kalkan.analysis import laws as legislation
from kalkan.analysis.law_forms import LawLinkForm
from kalkan.audit import services as audit
from kalkan.core.ids import parse_id
from kalkan.core.pages import page_of
from kalkan.intake.forms import ACTS, PERPETRATORS, REPORTER_ROLES
from kalkan.intake.models import Report
from kalkan.records import consent, gazetteer, once, services
from kalkan.records.evidence_views import event_extras, person_extras
from kalkan.records.forms import (
    NEW,
    SOGIESC,
    ActEditForm,
    ActForm,
    ConsentForm,
    EventForm,
    FindForm,
    IdentityForm,
    InformationForm,
    InterventionForm,
    InvolvementForm,
    LinkFindForm,
    LinkForm,
    NewPerpetratorForm,
    NewVictimForm,
    PersonForm,
    Picks,
)
from kalkan.records.indexing import fuzzy_iso, head_count
from kalkan.records.models import Act, Event, Information, Intervention, Involvement, Person
from kalkan.records.names import alternatives
from kalkan.records.vocabularies import vocabulary
from kalkan.vault import workingset
from kalkan.vault.keyring import Keyring
from kalkan.vault.models import SealedRecord
from kalkan.vault.records import open_content_key, read, readable_by
from kalkan.vault.session import keyring_required

FOUND = 20
SET_ASIDE = (Report.Status.SPAM, Report.Status.DUPLICATE)


# --- small helpers --------------------------------------------------------------------------


def _working(request: HttpRequest, keyring: Keyring) -> workingset.WorkingSet:
    """The person's working set, caught up once per request."""
    cached = getattr(request, "_records_working_set", None)
    if cached is None:
        cached = workingset.for_session(str(request.session.session_key), keyring)
        request._records_working_set = cached  # type: ignore[attr-defined]
    return cached


def _log(request: HttpRequest, action: str, item: SealedRecord,
         **details: str | int | bool) -> None:
    audit.record(action, actor_id=request.user.pk, object_id=str(item.pk),
                 details=details or None, compartment=item.content_key.compartment)


def label(vocabulary_name: str, code: Any) -> str:
    """A code's label in the reader's language (the code itself if the list lacks it)."""
    return vocabulary(vocabulary_name).label(str(code)) if code else ""


def labels(vocabulary_name: str, codes: Any) -> list[str]:
    return [label(vocabulary_name, code) for code in codes or [] if code]


def place_text(place: Any) -> str:
    """The place's path and detail: "Kyrgyzstan › Chüy Region — by the bus station"."""
    place = place or {}
    code, detail = place.get("code") or "", place.get("detail") or ""
    try:
        path = gazetteer.label_path(code) if code else ""
    except KeyError:
        path = code
    return " — ".join(part for part in (path, detail) if part)


def date_text(date: Any) -> str:
    """A fuzzy date as "2025-03-14", "2025-03" or "2025", "about …" if approximate."""
    iso = fuzzy_iso(date if isinstance(date, dict) else None)
    if not iso:
        return ""
    return _("about %(date)s") % {"date": iso} if date.get("approximate") else iso


def period_text(start: Any, end: Any) -> str:
    first, last = date_text(start), date_text(end)
    if first and last and first != last:
        return f"{first} – {last}"
    return first or last


def _yes_no(value: Any) -> str:
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    return _("Unknown")


def _event_title(working: workingset.WorkingSet, event_id: Any, day: Any = None) -> str:
    fields = working.fields(str(event_id)) or {}
    return fields.get("title") or _("Event of %(day)s") % {"day": day or "?"}


# --- who can be linked to an event ----------------------------------------------------------


def _linkable(event: Event, keyring: Keyring) -> QuerySet[Person]:
    """The persons an act, source or intervention of this event may name: any the keys
    open, except those of a restricted case other than the event's own (an organisation-wide
    event naming them would show them to people outside that case)."""
    persons = services.visible_persons(keyring)
    compartment_id = event.content_key.compartment_id
    if compartment_id is None:
        return persons.filter(content_key__compartment__isnull=True)
    return persons.filter(
        Q(content_key__compartment__isnull=True) | Q(content_key__compartment_id=compartment_id)
    )


def _pseudonyms(working: workingset.WorkingSet, ids: list[Any],
                keyring: Keyring) -> dict[str, str]:
    out: dict[str, str] = {}
    missing = []
    for pk in ids:
        fields = working.fields(str(pk))
        if fields is not None:
            out[str(pk)] = fields.get("pseudonym") or ""
        else:
            missing.append(pk)
    for person in readable_by(Person.objects.filter(pk__in=missing), keyring).select_related(
        "content_key"
    ):
        out[str(person.pk)] = read(person, open_content_key(person.content_key, keyring),
                                   ("pseudonym",))["pseudonym"]
    return out


def _people(
    request: HttpRequest, event: Event, keyring: Keyring
) -> tuple[list[tuple[str, str]], int | None]:
    """The radio options for picking a person: the event's persons, then those found by the
    search box (`?find=`), as (id, pseudonym); and how many the search found (None: no
    search)."""
    ids: list[Any] = []
    ids += Act.objects.filter(event=event).order_by("revision").values_list("victim_id",
                                                                           flat=True)
    ids += Involvement.objects.filter(act__event=event).values_list("perpetrator_id", flat=True)
    ids += Information.objects.filter(event=event).values_list("source_id", flat=True)
    for victim, party in Intervention.objects.filter(event=event).values_list("victim_id",
                                                                            "party_id"):
        ids += [victim, party]
    ids = [str(pk) for pk in dict.fromkeys(ids) if pk is not None]
    working = _working(request, keyring)
    words = (request.GET.get("find") or "").strip()[:200]
    found: list[str] | None = None
    if words:
        found = working.find(workingset.Query(
            kind="person", words=words, alternatives=alternatives, limit=FOUND,
            filters={"merged": ["no"]},
        )).ids
        ids = list(dict.fromkeys([*ids, *found]))
    allowed = {str(pk) for pk in _linkable(event, keyring).filter(pk__in=ids)
               .values_list("pk", flat=True)}
    ids = [pk for pk in ids if pk in allowed]
    names = _pseudonyms(working, ids, keyring)
    options = [(pk, names.get(pk) or _("(no pseudonym)")) for pk in ids]
    return options, None if found is None else len([pk for pk in found if pk in allowed])


# --- the list ---------------------------------------------------------------------------------


@capability_required(Capability.CODE_RECORDS)
@require_GET
def events(request: HttpRequest) -> HttpResponse:
    keyring = keyring_required(request)
    working = _working(request, keyring)
    visible = services.visible_events(keyring).select_related("content_key").order_by(
        "-created_on", "-revision", "pk"
    )
    page = page_of(request, visible)
    rows = []
    for event in page:
        fields = working.fields(str(event.pk)) or {}
        place = fields.get("place") or ""
        rows.append({
            "event": event,
            "title": fields.get("title") or _("Event of %(day)s") % {"day": event.created_on},
            "date": fields.get("date") or "",
            "place": place_text({"code": place}) if place else "",
        })
    uncoded = (
        readable_by(Report.objects.filter(events__isnull=True), keyring)
        .exclude(status__in=SET_ASIDE)
        .select_related("content_key")
        .order_by("-urgent", "-created_on", "-revision", "pk")
    )
    # The reports waiting to be coded turn their own pages ("waiting" in the query).
    waiting_page = page_of(request, uncoded, param="waiting")
    reports = []
    for report in waiting_page:
        narrative = (working.fields(str(report.pk)) or {}).get("narrative", "")
        reports.append((report, narrative[:200] + ("…" if len(narrative) > 200 else "")))
    return render(request, "records/events.html", {
        "rows": rows, "total": page.paginator.count, "page": page,
        "reports": reports, "waiting": waiting_page.paginator.count,
        "waiting_page": waiting_page,
    })


# --- coding a report into an event ------------------------------------------------------------

_ROLES, _ACTS, _PERPETRATORS = dict(REPORTER_ROLES), dict(ACTS), dict(PERPETRATORS)


def report_facts(answers: dict[str, Any]) -> list[tuple[str, str]]:
    """What the reporter answered besides the story, in words."""
    region = gazetteer.place(answers.get("region") or "")
    where = ", ".join(part for part in (
        region.name() if region else answers.get("country") or "", answers.get("place") or ""
    ) if part)
    when = " · ".join(part for part in (answers.get("when") or "",
                                         date_text(answers.get("fuzzy_date"))) if part)
    facts = [
        (_("Who is telling"), str(_ROLES.get(answers.get("reporter_role") or "", ""))),
        (_("What was done"), ", ".join(str(_ACTS.get(a, a)) for a in answers.get("acts") or [])),
        (_("Who did it"), ", ".join(str(_PERPETRATORS.get(p, p))
                                    for p in answers.get("perpetrators") or [])),
        (_("When"), when),
        (_("Where"), where),
    ]
    return [(name, value) for name, value in facts if value]


def _report_view(report: Report, keyring: Keyring) -> dict[str, Any] | None:
    try:
        fields = read(report, open_content_key(report.content_key, keyring),
                      ("narrative", "answers"))
    except PermissionError:
        return None
    answers = json.loads(fields.get("answers") or "{}")
    return {"report": report, "narrative": fields.get("narrative", ""),
            "answers": answers, "facts": report_facts(answers)}


def _initial_from_report(answers: dict[str, Any]) -> dict[str, Any]:
    region, country = answers.get("region") or "", (answers.get("country") or "").lower()
    code = region if gazetteer.place(region) else country if gazetteer.place(country) else ""
    return {"start": answers.get("fuzzy_date"), "place": code,
            "place_detail": answers.get("place") or ""}


@capability_required(Capability.CODE_RECORDS)
@require_http_methods(["GET", "POST"])
def code_report(request: HttpRequest, report: Any) -> HttpResponseBase:
    keyring = keyring_required(request)
    item = get_object_or_404(
        readable_by(Report.objects.all(), keyring).select_related("content_key"), pk=report
    )
    shown = _report_view(item, keyring)
    if shown is None:
        raise Http404  # sealed with a key this person does not hold
    if request.method == "POST":
        if (done := once.earlier(request)) is not None:
            return done
        form = EventForm(request.POST)
        if form.is_valid():
            def make() -> tuple[str, str]:
                event = services.new_event(
                    keyring, acting_user(request), title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"], details=form.details(),
                    reports=[item],
                )
                _log(request, "event.code", event, report=str(item.pk))
                return _address(event), _("The event is coded. Now add its acts.")
            return once.save(request, make)
    else:
        form = EventForm(initial=_initial_from_report(shown["answers"]))
        audit.record("report.view", actor_id=request.user.pk, object_id=str(item.pk),
                     compartment=item.content_key.compartment)
    coded = [(event.pk, _event_title(_working(request, keyring), event.pk, event.created_on))
             for event in services.visible_events(keyring).filter(reports=item)]
    return render(request, "records/event_new.html",
                  {"form": form, "shown": shown, "coded": coded},
                  status=400 if form.is_bound else 200)


@capability_required(Capability.CODE_RECORDS)
@require_http_methods(["GET", "POST"])
def new_event(request: HttpRequest) -> HttpResponseBase:
    """An event that no report brought in (from the press, a partner, a court record)."""
    keyring = keyring_required(request)
    if request.method == "POST" and (done := once.earlier(request)) is not None:
        return done
    form = EventForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        def make() -> tuple[str, str]:
            event = services.new_event(
                keyring, acting_user(request), title=form.cleaned_data["title"],
                description=form.cleaned_data["description"], details=form.details(),
            )
            _log(request, "event.new", event)
            return _address(event), _("The event is recorded. Now add its acts.")
        return once.save(request, make)
    return render(request, "records/event_new.html", {"form": form, "shown": None},
                  status=400 if form.is_bound else 200)


# --- the event page ---------------------------------------------------------------------------


def _event(request: HttpRequest, pk: Any) -> tuple[Event, Keyring]:
    keyring = keyring_required(request)
    event = get_object_or_404(
        services.visible_events(keyring).select_related("content_key__compartment"), pk=pk
    )
    return event, keyring


def _subformat_facts(key: str, values: dict[str, Any]) -> list[tuple[str, str]]:
    """A subformat's stored values with the act form's labels, in the form's order."""
    out = []
    for name, field in ActForm.base_fields.items():
        if not name.startswith(f"{key}_") or name == f"{key}_applies":
            continue
        value = values.get(name[len(key) + 1:])
        vocabulary_name = ActForm.coded.get(name)
        if vocabulary_name:
            text = ", ".join(labels(vocabulary_name, value if isinstance(value, list)
                                    else [value]))
        elif isinstance(field, forms.NullBooleanField):
            text = _yes_no(value)
        elif isinstance(value, list):
            text = ", ".join(str(v) for v in value)
        else:
            text = "" if value is None else str(value)
        if text:
            out.append((str(field.label), text))
    return out


def _act_view(number: int, act: dict[str, Any]) -> dict[str, Any]:
    details = act.get("details") or {}
    facts = [
        (_("When"), period_text(details.get("start"), details.get("end"))),
        (_("Where"), place_text(details.get("place"))),
        (_("Type of place"), label("type_of_place", details.get("type_of_place"))),
        (_("Methods of violence"), ", ".join(labels("methods_of_violence",
                                                   details.get("methods")))),
        (_("Reason given by the perpetrators"), details.get("stated_reason") or ""),
        (_("Consequences"), ", ".join(labels("consequences", details.get("consequences")))),
        (_("The victim at the time"), ", ".join(labels("victim_characteristics",
                                                      details.get("victim_characteristics")))),
        (_("Rights affected"), ", ".join(labels("rights", details.get("rights")))),
        (_("Notes"), details.get("notes") or ""),
    ]
    subformats = [
        (str(title), _subformat_facts(key, details[key]))
        for key, title in ActForm.SUBFORMATS if isinstance(details.get(key), dict)
    ]
    involvements = []
    for involvement in act["involvements"]:
        inv = involvement.get("details") or {}
        involvements.append({
            "id": involvement["id"],
            "perpetrator": involvement["perpetrator"],
            "types": labels("perpetrator_types", inv.get("perpetrator_types")),
            "degree": label("degree_of_involvement", inv.get("degree")),
            "status_after": label("perpetrator_status_after", inv.get("status_after")),
            "notes": inv.get("notes") or "",
        })
    return {
        "id": act["id"], "number": number, "type": label("act_types", details.get("type")),
        "victim": act["victim"], "people": head_count((act["victim"] or {}).get("profile")),
        "facts": [(k, v) for k, v in facts if v],
        "subformats": subformats, "involvements": involvements,
    }


def _source_view(item: dict[str, Any]) -> dict[str, Any]:
    details = item.get("details") or {}
    return {
        "id": item["id"],
        "source": item["source"],
        "type": label("source_types", details.get("source_type")),
        "connection": label("connection_to_information", details.get("connection")),
        "reliability": label("reliability", details.get("reliability")),
        "date": date_text(details.get("date")),
        "language": label("language", details.get("language")),
        "notes": details.get("notes") or "",
    }


def _intervention_view(item: dict[str, Any]) -> dict[str, Any]:
    details = item.get("details") or {}
    return {
        "id": item["id"],
        "victim": item["victim"],
        "party": label("intervening_parties", details.get("party_type")),
        "type": label("intervention_types", details.get("type")),
        "date": date_text(details.get("date")),
        "status": label("intervention_status", details.get("status")),
        "response": details.get("response") or "", "impact": details.get("impact") or "",
        "notes": details.get("notes") or "",
    }


def _link_words(request: HttpRequest) -> str:
    return (request.GET.get("link_find") or "").strip()[:200]


def _other_events(request: HttpRequest, event: Event,
                  keyring: Keyring) -> list[tuple[str, str]]:
    """The events found by the words of the link search box (`?link_find=`), to pick the
    one to link to: found in the working set in memory, kept if the keys open them."""
    words = _link_words(request)
    if not words:
        return []
    working = _working(request, keyring)
    found = working.find(workingset.Query(
        kind="event", words=words, alternatives=alternatives, limit=FOUND,
        filters={"merged": ["no"]},
    )).ids
    allowed = {str(pk) for pk in services.visible_events(keyring).exclude(pk=event.pk)
               .filter(pk__in=found).values_list("pk", flat=True)}
    out = []
    for pk in found:
        if pk in allowed:
            fields = working.fields(pk) or {}
            title = fields.get("title") or _("(no title)")
            out.append((pk, f"{title} ({fields['date']})" if fields.get("date") else title))
    return out


def _acts_choices(bundle: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (act["id"], f"{number}. {label('act_types', (act.get('details') or {}).get('type'))}"
                    f" — {(act['victim'] or {}).get('pseudonym', '')}")
        for number, act in enumerate(bundle["acts"], 1)
    ]


def _reported_type(reports: list[dict[str, Any]], bundle: dict[str, Any]) -> str:
    """The first "what happened" a reporter ticked that no act of the event has yet: the
    form stores act_types codes, so the documenter starts from the reporter's answer and
    refines it ("raid" to "raid.attempted"). "Something else" suggests nothing."""
    acts = vocabulary("act_types")
    coded = {(act.get("details") or {}).get("type", "") for act in bundle["acts"]}
    coded |= {term.code for code in coded if code in acts for term in acts.ancestors(code)}
    for shown in reports:
        for code in shown["answers"].get("acts") or []:
            if code in acts and code != "other" and code not in coded:
                return str(code)
    return ""


def _event_page(request: HttpRequest, event: Event, keyring: Keyring,
                **bound: forms.Form) -> HttpResponse:
    bundle = services.event_bundle(event, keyring)
    details = bundle.get("details") or {}
    people, found = _people(request, event, keyring)
    allowed = _linkable(event, keyring)
    find = (request.GET.get("find") or "").strip()[:200]
    working = _working(request, keyring)
    reports = [shown for report in readable_by(event.reports.all(), keyring)
               .select_related("content_key")
               if (shown := _report_view(report, keyring)) is not None]
    acts_choices = _acts_choices(bundle)
    linkable_events = _other_events(request, event, keyring)
    chosen_act = request.GET.get("act", "")
    reported = _reported_by_victims(event, keyring)
    page_forms: dict[str, forms.Form] = {
        "event_form": EventForm(initial=EventForm.initial_from(bundle)),
        "act_form": ActForm(allowed=allowed, initial={"type": _reported_type(reports, bundle)}),
        # The first act coded from a victim's own report is, most often, against them.
        "victim_form": NewVictimForm(prefix="victim", reports=_reporter_choices(reported),
                                     initial={"reporter": next(iter(reported), "")
                                              if not bundle["acts"] else ""}),
        "perpetrator_form": InvolvementForm(
            acts=acts_choices, allowed=allowed,
            initial={"act": [chosen_act] if chosen_act in dict(acts_choices) else []},
        ),
        "perpetrator_person_form": NewPerpetratorForm(prefix="perpetrator"),
        "source_form": InformationForm(allowed=allowed),
        "intervention_form": InterventionForm(allowed=allowed),
        "link_form": LinkForm(events=linkable_events),
        "law_link_form": LawLinkForm(laws=legislation.law_choices(keyring), acts=acts_choices),
    }
    page_forms.update(bound)
    for form in page_forms.values():
        if isinstance(form, Picks):
            for field in form.fields.values():
                if hasattr(field, "offer"):
                    field.offer(people)
    chain = [
        {"to": link["to"], "title": _event_title(working, link["to"]),
         "relation": label("chain_relations", (link.get("details") or {}).get("relation")),
         "notes": (link.get("details") or {}).get("notes") or ""}
        for link in bundle["links"]
    ]
    return render(request, "records/event.html", {
        "event": event,
        "bundle": bundle,
        "facts": [(k, v) for k, v in (
            (_("When"), period_text(details.get("start"), details.get("end"))),
            (_("Where"), place_text(details.get("place"))),
            (_("Violation status"), label("violation_status", details.get("violation_status"))),
            (_("Monitoring status"), label("monitoring_status",
                                           details.get("monitoring_status"))),
        ) if v],
        "acts": [_act_view(n, act) for n, act in enumerate(bundle["acts"], 1)],
        "sources": [_source_view(item) for item in bundle["sources"]],
        "interventions": [_intervention_view(item) for item in bundle["interventions"]],
        "chain": chain,
        # Laws the event (or one of its acts) is linked to; the forms post to analysis.
        "law_links": [{"link": link, "title": title, "type": kind,
                       "act": {a["id"]: n for n, a in enumerate(bundle["acts"], 1)}
                       .get(link.act_id)}
                      for link, title, kind in legislation.links_of_event(event, keyring)],
        "reports": reports,
        "people": people,
        "found": found,
        "find": find,
        "find_form": FindForm(initial={"find": find}),
        "link_find": _link_words(request),
        "link_found": len(linkable_events),
        "link_find_form": LinkFindForm(initial={"link_find": _link_words(request)}),
        **event_extras(request, event, keyring),
        **page_forms,
    }, status=400 if bound else 200)


@capability_required(Capability.CODE_RECORDS)
@require_GET
def event_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    event, keyring = _event(request, pk)
    _log(request, "event.view", event)
    return _event_page(request, event, keyring)


def _address(event: Event, anchor: str = "") -> str:
    return reverse("records:event", kwargs={"pk": event.pk}) + (f"#{anchor}" if anchor else "")


def _back(event: Event, anchor: str, text: str, request: HttpRequest) -> HttpResponseBase:
    messages.success(request, text)
    return redirect(_address(event, anchor))


@capability_required(Capability.CODE_RECORDS)
@require_POST
def edit_event(request: HttpRequest, pk: Any) -> HttpResponseBase:
    event, keyring = _event(request, pk)
    form = EventForm(request.POST)
    if not form.is_valid():
        return _event_page(request, event, keyring, event_form=form)
    before = services.opened(event, keyring).get("details") or {}
    services.update_event(event, keyring, title=form.cleaned_data["title"],
                          description=form.cleaned_data["description"],
                          details=form.details(before))
    _log(request, "event.edit", event)
    return _back(event, "top", _("Saved."), request)


# Who, writing a report, speaks for the victim: a witness or a relative cannot consent for
# someone else, so their answers never go into a victim's ledger.
SPEAKS_FOR_THE_VICTIM = ("self", "organisation")


class Reported(NamedTuple):
    report: Report
    role: str
    consent: dict[str, Any]  # the form's answers about consent


def _reported_by_victims(event: Event, keyring: Keyring) -> dict[str, Reported]:
    """The event's reports written by the victim (or the victim organisation) whose form
    answered the consent question, by report id, oldest first."""
    out: dict[str, Reported] = {}
    for report in readable_by(event.reports.all(), keyring).select_related(
            "content_key").order_by("created_on", "revision"):
        fields = read(report, open_content_key(report.content_key, keyring),
                      ("answers", "consent"))
        role = json.loads(fields.get("answers") or "{}").get("reporter_role") or ""
        answers = json.loads(fields.get("consent") or "{}")
        if role in SPEAKS_FOR_THE_VICTIM and consent.answers_of_form(answers):
            out[str(report.pk)] = Reported(report, role, answers)
    return out


def _reporter_choices(reported: dict[str, Reported]) -> list[tuple[str, str]]:
    return [(pk, _("Yes: the one who wrote the report of %(date)s (“%(role)s”)") % {
        "date": item.report.created_on.isoformat(), "role": _ROLES.get(item.role, item.role)})
        for pk, item in reported.items()]


def _new_person(form: PersonForm, event: Event, keyring: Keyring) -> Person:
    """Someone new, sealed like the event (in its restricted case, if it is in one)."""
    return services.new_person(keyring, pseudonym=form.cleaned_data["pseudonym"],
                               profile=form.profile(),
                               compartment=event.content_key.compartment)


@capability_required(Capability.CODE_RECORDS)
@require_POST
def add_act(request: HttpRequest, pk: Any) -> HttpResponseBase:
    event, keyring = _event(request, pk)
    if (done := once.earlier(request)) is not None:
        return done
    form = ActForm(request.POST, allowed=_linkable(event, keyring))
    reported = _reported_by_victims(event, keyring)
    victim_form = NewVictimForm(request.POST, prefix="victim",
                                needed=request.POST.get("victim") == NEW,
                                reports=_reporter_choices(reported))
    valid = form.is_valid()
    if not valid or (victim_form.needed and not victim_form.is_valid()):
        return _event_page(request, event, keyring, act_form=form, victim_form=victim_form)

    def make() -> tuple[str, str]:
        carried = 0
        victim = form.picked("victim")
        if victim == NEW:
            victim = _new_person(victim_form, event, keyring)
            reporter = victim_form.cleaned_data.get("reporter") or ""
            if reporter in reported:
                carried = consent.carry_over(victim, reported[reporter].report,
                                             reported[reporter].consent, keyring=keyring,
                                             by=acting_user(request))
        act = services.add_act(event, keyring, victim=victim, details=form.details())
        _log(request, "event.add_act", event, act=str(act.pk), new_victim=victim_form.needed,
             consent_from_report=carried)
        return _address(event, f"act-{act.pk}"), _("The act is added.")
    return once.save(request, make)


@capability_required(Capability.CODE_RECORDS)
@require_http_methods(["GET", "POST"])
def edit_act(request: HttpRequest, pk: Any, act: Any) -> HttpResponseBase:
    """Correct a coded act (its type, dates, place, details and subformats)."""
    event, keyring = _event(request, pk)
    row = get_object_or_404(Act.objects.select_related("content_key", "victim__content_key"),
                            event=event, pk=parse_id(act))
    before = services.opened(row, keyring).get("details") or {}
    if request.method == "POST":
        form = ActEditForm(request.POST, allowed=_linkable(event, keyring))
        if form.is_valid():
            services.update_act(row, keyring, details=form.details_over(before))
            _log(request, "event.edit_act", event, act=str(row.pk))
            return _back(event, f"act-{row.pk}", _("The act is saved."), request)
    else:
        form = ActEditForm(initial=ActEditForm.initial_from(before),
                           allowed=_linkable(event, keyring))
    victim = services.opened(row.victim, keyring, ("pseudonym",)).get("pseudonym", "")
    return render(request, "records/act_edit.html",
                  {"event": event, "act": row, "victim": victim, "act_form": form},
                  status=400 if form.is_bound else 200)


def _act_summary(act: Act, keyring: Keyring) -> dict[str, Any]:
    """What the confirmation page says of an act: its type, dates, victim, perpetrators."""
    details = services.opened(act, keyring).get("details") or {}
    perpetrators = [
        services.opened(inv.perpetrator, keyring, ("pseudonym",)).get("pseudonym", "")
        for inv in act.involvements.select_related("perpetrator__content_key")
    ]
    return {
        "type": label("act_types", details.get("type")),
        "when": period_text(details.get("start"), details.get("end")),
        "victim": services.opened(act.victim, keyring, ("pseudonym",)).get("pseudonym", ""),
        "perpetrators": [name or _("(no pseudonym)") for name in perpetrators],
    }


@capability_required(Capability.CODE_RECORDS)
@require_http_methods(["GET", "POST"])
def remove_act(request: HttpRequest, pk: Any, act: Any) -> HttpResponseBase:
    """An act recorded by mistake (a duplicate): a page that says what goes, then removal
    for good with its perpetrators' involvements (keys destroyed), out of every count."""
    event, keyring = _event(request, pk)
    row = get_object_or_404(Act.objects.select_related("content_key", "victim__content_key"),
                            event=event, pk=parse_id(act))
    if request.method == "POST":
        removed = str(row.pk)  # the row loses its id when deleted
        services.remove_act(row, keyring)
        _log(request, "event.remove_act", event, act=removed)
        return _back(event, "acts", _("The act is removed."), request)
    number = list(event.acts.values_list("pk", flat=True)).index(row.pk) + 1
    return render(request, "records/remove.html", {
        "event": event, "act": row, "number": number, "summary": _act_summary(row, keyring),
        "title": _event_title(_working(request, keyring), event.pk, event.created_on),
    })


@capability_required(Capability.CODE_RECORDS)
@require_http_methods(["GET", "POST"])
def remove_event(request: HttpRequest, pk: Any) -> HttpResponseBase:
    """An event coded by mistake (twice from one report): a page that says what goes with
    it, then removal for good; its reports are "not yet coded" again."""
    event, keyring = _event(request, pk)
    if request.method == "POST":
        holds = services.what_an_event_holds(event)
        compartment = event.content_key.compartment
        services.remove_event(event, keyring)
        # Logged by its id (the record is gone), sealed to the case's members if restricted.
        audit.record("event.remove", actor_id=request.user.pk, object_id=str(pk),
                     details={"acts": holds["acts"]}, compartment=compartment)
        messages.success(request, _("The event is removed."))
        return redirect("records:events")
    return render(request, "records/remove.html", {
        "event": event, "holds": services.what_an_event_holds(event),
        "title": _event_title(_working(request, keyring), event.pk, event.created_on),
    })


# What "remove" may take from an event, by the name in the URL.
PARTS: dict[str, tuple[type[Involvement] | type[Information] | type[Intervention], str]] = {
    "perpetrator": (Involvement, "acts"),
    "source": (Information, "sources"),
    "intervention": (Intervention, "interventions"),
}


@capability_required(Capability.CODE_RECORDS)
@require_POST
def remove_part(request: HttpRequest, pk: Any, kind: str, part: Any) -> HttpResponseBase:
    """Take out a perpetrator, source or intervention recorded by mistake."""
    event, _keyring = _event(request, pk)
    if kind not in PARTS:
        raise Http404
    model, anchor = PARTS[kind]
    scope = {"act__event": event} if model is Involvement else {"event": event}
    row = get_object_or_404(model.objects.select_related("content_key"), pk=parse_id(part),
                            **scope)
    assert isinstance(row, Involvement | Information | Intervention)  # noqa: S101 (PARTS)
    services.remove_part(row)
    _log(request, f"event.remove_{kind}", event)
    return _back(event, anchor, _("Removed."), request)


@capability_required(Capability.CODE_RECORDS)
@require_POST
def add_perpetrator(request: HttpRequest, pk: Any) -> HttpResponseBase:
    """One perpetrator for one or several acts of the event (police on eight acts: one
    form, eight involvements, each sealed on its own)."""
    event, keyring = _event(request, pk)
    if (done := once.earlier(request)) is not None:
        return done
    acts = [(str(act), "") for act in Act.objects.filter(event=event)
            .values_list("pk", flat=True)]
    form = InvolvementForm(request.POST, acts=acts, allowed=_linkable(event, keyring))
    person_form = NewPerpetratorForm(request.POST, prefix="perpetrator",
                                     needed=request.POST.get("perpetrator") == NEW)
    valid = form.is_valid()
    if not valid or (person_form.needed and not person_form.is_valid()):
        return _event_page(request, event, keyring, perpetrator_form=form,
                           perpetrator_person_form=person_form)
    chosen = list(Act.objects.select_related("content_key").filter(
        event=event, pk__in=form.cleaned_data["act"]))

    def make() -> tuple[str, str]:
        perpetrator = form.picked("perpetrator")
        if perpetrator == NEW:
            perpetrator = _new_person(person_form, event, keyring)
        for act in chosen:
            services.add_involvement(act, keyring, perpetrator=perpetrator,
                                     details=form.details())
        _log(request, "event.add_perpetrator", event, acts=len(chosen),
             new_perpetrator=person_form.needed)
        return _address(event, f"act-{chosen[0].pk}"), ngettext(
            "The perpetrator is added to %(count)d act.",
            "The perpetrator is added to %(count)d acts.", len(chosen)) % {"count": len(chosen)}
    return once.save(request, make)


@capability_required(Capability.CODE_RECORDS)
@require_POST
def add_source(request: HttpRequest, pk: Any) -> HttpResponseBase:
    event, keyring = _event(request, pk)
    if (done := once.earlier(request)) is not None:
        return done
    form = InformationForm(request.POST, allowed=_linkable(event, keyring))
    if not form.is_valid():
        return _event_page(request, event, keyring, source_form=form)

    def make() -> tuple[str, str]:
        services.add_information(event, keyring, source=form.picked("source"),
                                 details=form.details())
        _log(request, "event.add_source", event)
        return _address(event, "sources"), _("The source is added.")
    return once.save(request, make)


@capability_required(Capability.CODE_RECORDS)
@require_POST
def add_intervention(request: HttpRequest, pk: Any) -> HttpResponseBase:
    event, keyring = _event(request, pk)
    if (done := once.earlier(request)) is not None:
        return done
    form = InterventionForm(request.POST, allowed=_linkable(event, keyring))
    if not form.is_valid():
        return _event_page(request, event, keyring, intervention_form=form)

    def make() -> tuple[str, str]:
        services.add_intervention(event, keyring, victim=form.picked("victim"),
                                  details=form.details())
        _log(request, "event.add_intervention", event)
        return _address(event, "interventions"), _("The intervention is added.")
    return once.save(request, make)


@capability_required(Capability.CODE_RECORDS)
@require_POST
def link_event(request: HttpRequest, pk: Any) -> HttpResponseBase:
    event, keyring = _event(request, pk)
    if (done := once.earlier(request)) is not None:
        return done
    form = LinkForm(request.POST, events=_other_events(request, event, keyring),
                    allowed=services.visible_events(keyring).exclude(pk=event.pk))
    if not form.is_valid():
        return _event_page(request, event, keyring, link_form=form)
    other = form.cleaned_data["to_event"]

    def make() -> tuple[str, str]:
        services.link_events(event, other, keyring, relation=form.cleaned_data["relation"],
                             notes=form.cleaned_data["notes"])
        _log(request, "event.link", event, to=str(other.pk))
        return _address(event, "chain"), _("The events are linked.")
    return once.save(request, make)


# --- the person page --------------------------------------------------------------------------

def _person(request: HttpRequest, pk: Any) -> tuple[Person, Keyring]:
    keyring = keyring_required(request)
    person = get_object_or_404(
        services.visible_persons(keyring).select_related("content_key__compartment"), pk=pk
    )
    return person, keyring


def _profile_facts(profile: dict[str, Any]) -> list[tuple[str, str]]:
    facts = [
        (_("Individual or collective"), label("person_kind", profile.get("kind"))),
        (_("How many people"), str(profile["head_count"]) if profile.get("head_count") else ""),
        (_("Age"), label("age_band", profile.get("age_band"))),
    ]
    for name, title in SOGIESC:
        value = profile.get(name) or {}
        if not isinstance(value, dict):
            value = {"code": str(value), "self_described": ""}
        text = label(name, value.get("code"))
        if value.get("self_described"):
            text = f"{text} ({value['self_described']})" if text else value["self_described"]
        facts.append((str(title), text))
    facts += [
        (_("Occupation"), label("occupation", profile.get("occupation"))),
        (_("Characteristics"), ", ".join(labels("victim_characteristics",
                                                 profile.get("characteristics")))),
        (_("Role as a human rights defender"), profile.get("hrd_role") or ""),
        (_("Organisation"), profile.get("organisation") or ""),
    ]
    return [(k, v) for k, v in facts if v]


def _roles(request: HttpRequest, person: Person, keyring: Keyring) -> dict[str, list[Any]]:
    """The acts the person suffered or committed, and the events they informed about."""
    working = _working(request, keyring)
    events = services.visible_events(keyring)

    def act_row(act: Act) -> dict[str, Any]:
        details = services.opened(act, keyring).get("details") or {}
        return {"event": act.event_id,
                "title": _event_title(working, act.event_id, act.event.created_on),
                "type": label("act_types", details.get("type")),
                "date": period_text(details.get("start"), details.get("end"))}

    suffered = readable_by(Act.objects.filter(victim=person, event__in=events), keyring)
    committed = readable_by(
        Act.objects.filter(involvements__perpetrator=person, event__in=events), keyring
    ).distinct()
    informed = readable_by(Information.objects.filter(source=person, event__in=events), keyring)
    return {
        "victim": [act_row(a) for a in suffered.select_related("content_key", "event")],
        "perpetrator": [act_row(a) for a in committed.select_related("content_key", "event")],
        "source": [{"event": info.event_id,
                    "title": _event_title(working, info.event_id, info.event.created_on)}
                   for info in informed.select_related("event")],
    }


def _person_page(request: HttpRequest, person: Person, keyring: Keyring, *,
                 identity: dict[str, Any] | None = None, **bound: forms.Form) -> HttpResponse:
    fields = services.opened(person, keyring)
    profile = fields.get("profile") or {}
    statements = consent.ledger(person, keyring)
    now = consent.status_now(statements)
    purposes = dict(consent.PURPOSES)
    page_forms: dict[str, forms.Form] = {
        "person_form": PersonForm(initial=PersonForm.initial_from(fields.get("pseudonym", ""),
                                                                  profile)),
        "consent_form": ConsentForm(),
    }
    if identity is not None:
        page_forms["identity_form"] = IdentityForm(initial={
            "names": "\n".join(identity.get("names") or []),
            "contacts": "\n".join(identity.get("contacts") or []),
            "notes": identity.get("notes") or "",
        })
    page_forms.update(bound)
    return render(request, "records/person.html", {
        "person": person,
        "pseudonym": fields.get("pseudonym", ""),
        "facts": _profile_facts(profile),
        "nobody_to_ask": profile.get("kind") in consent.NOBODY_TO_ASK,
        "roles": _roles(request, person, keyring),
        "ledger": [{"purpose": purposes.get(s.purpose, s.purpose), "status": s.status,
                    "on": s.on, "how": _how(s), "partner": s.partner, "by": s.by}
                   for s in statements],
        "now": [(label_text, now.get(code, "")) for code, label_text in consent.PURPOSES],
        "identity": identity,
        **person_extras(request, person, keyring),
        **page_forms,
    }, status=400 if bound else 200)


def _how(statement: consent.Statement) -> str:
    """How a statement was given, in the reader's language when it came from the form (it
    is dated the day of the report)."""
    if statement.report and statement.how == consent.FROM_REPORT_FORM:
        return _("On the public report form, %(date)s") % {"date": statement.on.isoformat()}
    return statement.how


@capability_required(Capability.CODE_RECORDS)
@require_GET
def person_detail(request: HttpRequest, pk: Any) -> HttpResponseBase:
    keyring = keyring_required(request)
    merged = readable_by(Person.objects.filter(pk=pk, merged_into__isnull=False), keyring).first()
    if merged is not None and merged.merged_into_id:
        return redirect("records:person", pk=merged.merged_into_id)
    person, keyring = _person(request, pk)
    _log(request, "person.view", person)
    return _person_page(request, person, keyring)


def _back_to_person(person: Person, anchor: str, text: str,
                    request: HttpRequest) -> HttpResponseBase:
    messages.success(request, text)
    return redirect(reverse("records:person", kwargs={"pk": person.pk}) + f"#{anchor}")


@capability_required(Capability.CODE_RECORDS)
@require_POST
def edit_person(request: HttpRequest, pk: Any) -> HttpResponseBase:
    person, keyring = _person(request, pk)
    form = PersonForm(request.POST)
    if not form.is_valid():
        return _person_page(request, person, keyring, person_form=form)
    before = services.opened(person, keyring).get("profile") or {}
    services.update_person(person, keyring, pseudonym=form.cleaned_data["pseudonym"],
                           profile=form.profile(before))
    _log(request, "person.edit", person)
    return _back_to_person(person, "profile", _("Saved."), request)


@capability_required(Capability.CODE_RECORDS)
@require_POST
def record_consent(request: HttpRequest, pk: Any) -> HttpResponseBase:
    person, keyring = _person(request, pk)
    form = ConsentForm(request.POST)
    if not form.is_valid():
        return _person_page(request, person, keyring, consent_form=form)
    data = form.cleaned_data
    consent.record(person, data["purpose"], given=data["given"] == "given",
                   refused=data["given"] == "refused", on=data["on"], how=data["how"],
                   partner=data["partner"], keyring=keyring, by=acting_user(request))
    _log(request, "person.consent", person, purpose=data["purpose"], statement=data["given"])
    return _back_to_person(person, "consent", _("The statement is in the ledger."), request)


@capability_required(Capability.CODE_RECORDS)
@require_POST
def show_identity(request: HttpRequest, pk: Any) -> HttpResponse:
    """Real names and contacts, on this response only, after the audit log has it."""
    person, keyring = _person(request, pk)
    _log(request, "person.identity", person)
    identity = services.opened(person, keyring).get("identity") or {}
    return _person_page(request, person, keyring, identity=identity)


@capability_required(Capability.CODE_RECORDS)
@require_POST
def edit_identity(request: HttpRequest, pk: Any) -> HttpResponseBase:
    person, keyring = _person(request, pk)
    form = IdentityForm(request.POST)
    if not form.is_valid():
        return _person_page(request, person, keyring, identity={}, identity_form=form)
    fields = services.opened(person, keyring)
    services.update_person(person, keyring, pseudonym=fields.get("pseudonym", ""),
                           profile=fields.get("profile") or {}, identity=form.identity())
    _log(request, "person.identity_edit", person)
    return _back_to_person(person, "identity", _("The real names are saved."), request)
