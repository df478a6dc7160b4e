"""The legislation tracker's screens, under /<lang>/staff/laws/: the list (filters by
country, type and current stage; deadlines due soon at the top), a new law, and the law's
page (details, a timeline of its stages, deadlines, the events linked to it, and a small
form for each change). Linking an event to a law happens on the event's page; those two
posts live here so that the tracker's writes stay in one place.

Every view and every change is in the audit log. Each change is its own POST form: it
redirects back on success, and on bad input shows the page again with the errors (status
400) having saved nothing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kalkan.accounts.decorators import acting_user, capability_required
from kalkan.accounts.roles import Capability
from kalkan.analysis import laws
from kalkan.analysis.law_forms import DeadlineForm, LawFilterForm, LawForm, LawLinkForm, StageForm
from kalkan.analysis.models import Law, LawDeadline, LawLink, LawStage
from kalkan.audit import services as audit
from kalkan.core.ids import parse_id
from kalkan.core.pages import page_of
from kalkan.records import services as records
from kalkan.records.models import Act, Event
from kalkan.records.views import _acts_choices, _event_page, label, period_text
from kalkan.vault.keyring import Keyring
from kalkan.vault.records import readable_by
from kalkan.vault.session import keyring_required


def _log(request: HttpRequest, action: str, object_id: Any, *, compartment: Any = None,
         **details: str | int | bool) -> None:
    audit.record(action, actor_id=request.user.pk, object_id=str(object_id),
                 details=details or None, compartment=compartment)


def _law(request: HttpRequest, pk: Any) -> tuple[Law, Keyring]:
    keyring = keyring_required(request)
    law = get_object_or_404(laws.visible_laws(keyring).select_related("content_key"), pk=pk)
    return law, keyring


def _row(view: laws.LawView) -> dict[str, Any]:
    """What the list shows of a law."""
    open_deadlines = [d for d in view.deadlines if not d.done]
    return {
        "view": view,
        "country": laws.country_name(view.country) if view.country else "",
        "type": label("law_types", view.type),
        "stage": laws.stage_label(view.current_stage) if view.current_stage else "",
        "next_deadline": open_deadlines[0] if open_deadlines else None,
    }


# --- the list and a new law ----------------------------------------------------------------


@capability_required(Capability.TRACK_LEGISLATION)
@require_GET
def law_list(request: HttpRequest) -> HttpResponse:
    keyring = keyring_required(request)
    filters = LawFilterForm(request.GET or None)
    wanted = filters.wanted() if request.GET else {}
    views = laws.laws_for(wanted.get("country"), keyring)
    if wanted.get("type"):
        views = [v for v in views if v.type == wanted["type"]]
    if wanted.get("stage"):
        views = [v for v in views if v.current_stage == wanted["stage"]]
    page = page_of(request, views)
    return render(request, "analysis/laws.html", {
        "rows": [_row(view) for view in page],
        "page": page,
        "filters": filters,
        "filtered": bool(wanted),
        "reminders": laws.due_deadlines(keyring),
        "reminder_days": laws.REMINDER_DAYS,
    })


@capability_required(Capability.TRACK_LEGISLATION)
@require_http_methods(["GET", "POST"])
def new_law(request: HttpRequest) -> HttpResponse:
    keyring = keyring_required(request)
    form = LawForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        law = laws.new_law(keyring, acting_user(request), title=form.cleaned_data["title"],
                           details=form.details())
        _log(request, "law.new", law.pk)
        messages.success(request, _("The law is recorded. Now add its stages."))
        return redirect("laws:law", pk=law.pk)
    return render(request, "analysis/law_new.html", {"form": form},
                  status=400 if form.is_bound else 200)


# --- the law's page --------------------------------------------------------------------------


def _linked_events(page: laws.LawPage, keyring: Keyring) -> list[dict[str, Any]]:
    """The linked events (only those the reader's keys open: page.links is filtered),
    with their title, dates and how they relate to the law."""
    ids = {link.event_id for link in page.links}
    events = {str(e.pk): e for e in records.visible_events(keyring).filter(pk__in=ids)
              .select_related("content_key")}
    acts = {str(a.pk): a.position for a in Act.objects.filter(
        pk__in=[link.act_id for link in page.links if link.act_id])}
    rows = []
    for link in page.links:
        event = events.get(link.event_id)
        if event is None:
            continue
        fields = records.opened(event, keyring, ("title", "details"))
        details = fields.get("details") or {}
        rows.append({
            "event": event,
            "title": fields.get("title") or _("Event of %(day)s") % {"day": event.created_on},
            "when": period_text(details.get("start"), details.get("end")),
            "relation": link.relation_label,
            "act": acts.get(link.act_id),
        })
    return rows


def _law_page(request: HttpRequest, law: Law, keyring: Keyring,
              **bound: forms.Form) -> HttpResponse:
    page = laws.law_page(law, keyring)
    view = page.view
    details = {"country": view.country, "type": view.type, "summary": view.summary,
               "reference": view.reference, "link": view.link, "notes": page.notes}
    page_forms: dict[str, forms.Form] = {
        "law_form": LawForm(initial=LawForm.initial_from(view.title, details)),
        "stage_form": StageForm(),
        "deadline_form": DeadlineForm(),
    }
    page_forms.update(bound)
    current = page.stages[-1].id if page.stages else ""
    return render(request, "analysis/law.html", {
        "law": law,
        "view": view,
        "notes": page.notes,
        "facts": [(k, v) for k, v in (
            (_("Country"), laws.country_name(view.country) if view.country else ""),
            (_("Type of law"), label("law_types", view.type)),
            (_("Official number or reference"), view.reference),
            (_("Current stage"), " · ".join(part for part in (
                laws.stage_label(view.current_stage) if view.current_stage else "",
                view.current_since) if part)),
        ) if v],
        "timeline": [(stage, stage.id == current) for stage in page.stages],
        "deadlines": view.deadlines,
        "linked": _linked_events(page, keyring),
        **page_forms,
    }, status=400 if bound else 200)


@capability_required(Capability.TRACK_LEGISLATION)
@require_GET
def law_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    law, keyring = _law(request, pk)
    _log(request, "law.view", law.pk)
    return _law_page(request, law, keyring)


def _back(law: Law, anchor: str, text: str, request: HttpRequest) -> HttpResponseBase:
    messages.success(request, text)
    return redirect(reverse("laws:law", kwargs={"pk": law.pk}) + f"#{anchor}")


@capability_required(Capability.TRACK_LEGISLATION)
@require_POST
def edit_law(request: HttpRequest, pk: Any) -> HttpResponseBase:
    law, keyring = _law(request, pk)
    form = LawForm(request.POST)
    if not form.is_valid():
        return _law_page(request, law, keyring, law_form=form)
    before = laws.law_fields(law, keyring).get("details") or {}
    laws.update_law(law, keyring, title=form.cleaned_data["title"],
                    details=form.details(before))
    _log(request, "law.edit", law.pk)
    return _back(law, "top", _("Saved."), request)


@capability_required(Capability.TRACK_LEGISLATION)
@require_POST
def add_stage(request: HttpRequest, pk: Any) -> HttpResponseBase:
    law, keyring = _law(request, pk)
    form = StageForm(request.POST)
    if not form.is_valid():
        return _law_page(request, law, keyring, stage_form=form)
    stage = laws.add_stage(law, keyring, stage=form.cleaned_data["stage"],
                           date=form.cleaned_data["date"], note=form.cleaned_data["note"])
    _log(request, "law.add_stage", law.pk, stage=str(stage.pk))
    return _back(law, "timeline", _("The stage is added."), request)


@capability_required(Capability.TRACK_LEGISLATION)
@require_POST
def remove_stage(request: HttpRequest, pk: Any, stage: Any) -> HttpResponseBase:
    law, _keyring = _law(request, pk)
    row = get_object_or_404(LawStage.objects.select_related("content_key"), pk=stage, law=law)
    laws.remove_stage(row)
    _log(request, "law.remove_stage", law.pk, stage=str(stage))
    return _back(law, "timeline", _("The stage is removed."), request)


@capability_required(Capability.TRACK_LEGISLATION)
@require_POST
def add_deadline(request: HttpRequest, pk: Any) -> HttpResponseBase:
    law, keyring = _law(request, pk)
    form = DeadlineForm(request.POST)
    if not form.is_valid():
        return _law_page(request, law, keyring, deadline_form=form)
    deadline = laws.add_deadline(law, keyring, due=form.cleaned_data["due"],
                                 what=form.cleaned_data["what"])
    _log(request, "law.add_deadline", law.pk, deadline=str(deadline.pk))
    return _back(law, "deadlines", _("The deadline is added."), request)


@capability_required(Capability.TRACK_LEGISLATION)
@require_POST
def deadline_done(request: HttpRequest, pk: Any, deadline: Any) -> HttpResponseBase:
    law, _keyring = _law(request, pk)
    row = get_object_or_404(LawDeadline, pk=deadline, law=law)
    if laws.mark_done(row, acting_user(request)):
        _log(request, "law.deadline_done", law.pk, deadline=str(row.pk))
    return _back(law, "deadlines", _("The deadline is marked done."), request)


# --- links from the event page -----------------------------------------------------------------


def _event(request: HttpRequest, pk: Any) -> tuple[Event, Keyring]:
    keyring = keyring_required(request)
    event = get_object_or_404(
        records.visible_events(keyring).select_related("content_key__compartment"), pk=pk
    )
    return event, keyring


def _back_to_event(event: Event, text: str, request: HttpRequest) -> HttpResponseBase:
    messages.success(request, text)
    return redirect(reverse("records:event", kwargs={"pk": event.pk}) + "#laws")


@capability_required(Capability.CODE_RECORDS)
@require_POST
def link_event(request: HttpRequest, event: Any) -> HttpResponseBase:
    item, keyring = _event(request, event)
    choices = laws.law_choices(keyring)
    acts = [(str(pk), "") for pk in Act.objects.filter(event=item).values_list("pk", flat=True)]
    form = LawLinkForm(request.POST, laws=choices, acts=acts)
    if not form.is_valid():
        # The event page again with this form's errors, its acts named as the page names them.
        form = LawLinkForm(request.POST, laws=choices,
                           acts=_acts_choices(records.event_bundle(item, keyring)))
        return _event_page(request, item, keyring, law_link_form=form)
    law_id = parse_id(form.cleaned_data["law"])  # one of the choices, so an id
    law = laws.visible_laws(keyring).filter(pk=law_id).first() if law_id else None
    if law is None:
        raise Http404
    act = Act.objects.get(pk=form.cleaned_data["act"]) if form.cleaned_data["act"] else None
    link = laws.link_event(law, item, keyring, acting_user(request),
                           relation=form.cleaned_data["relation"], act=act)
    _log(request, "event.link_law", item.pk, compartment=item.content_key.compartment,
         law=str(law.pk), link=str(link.pk))
    return _back_to_event(item, _("The law is linked."), request)


@capability_required(Capability.CODE_RECORDS)
@require_POST
def unlink_event(request: HttpRequest, event: Any, link: Any) -> HttpResponseBase:
    item, keyring = _event(request, event)
    # The event page also lists the links of events merged into this one.
    row = get_object_or_404(
        readable_by(LawLink.objects.filter(Q(event=item) | Q(event__merged_into=item)),
                    keyring).select_related("content_key"),
        pk=link,
    )
    laws.unlink(row)
    _log(request, "event.unlink_law", item.pk, compartment=item.content_key.compartment,
         law=str(row.law_id))
    return _back_to_event(item, _("The law is unlinked."), request)
