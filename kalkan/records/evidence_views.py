"""Evidence items and duplicates on the coding screens: take a reporter's file in as an
item of the event, describe evidence held elsewhere, download with custody logged, and merge
an event or a person suggested as a duplicate (history kept)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kalkan.accounts.decorators import acting_user, capability_required
from kalkan.accounts.roles import Capability
from kalkan.audit.services import record
from kalkan.core.ids import parse_id
from kalkan.intake.models import Evidence
from kalkan.records import duplicates, evidence, gazetteer, services
from kalkan.records.models import Event, EvidenceItem, Person
from kalkan.vault import workingset
from kalkan.vault.keyring import Keyring
from kalkan.vault.records import open_content_key, read, readable_by
from kalkan.vault.session import keyring_required


class HeldElsewhereForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("What it is"), max_length=300)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=5000,
                                  required=False, widget=forms.Textarea(attrs={"rows": 2}))
    held_by = forms.CharField(label=gettext_lazy("Who keeps it"), max_length=300)


def _event(request: HttpRequest, pk: Any) -> tuple[Event, Keyring]:
    keyring = keyring_required(request)
    event = get_object_or_404(services.visible_events(keyring).select_related("content_key"),
                              pk=pk)
    return event, keyring


def _log(request: HttpRequest, action: str, record_: Any, **details: str | int | bool) -> None:
    record(action, actor_id=request.user.pk, object_id=str(record_.pk),
           details=details or None, compartment=record_.content_key.compartment)


def event_extras(request: HttpRequest, event: Event, keyring: Keyring) -> dict[str, Any]:
    """What the event page shows of evidence and likely duplicates."""
    items = [(item, evidence.meta_of(item, keyring))
             for item in readable_by(event.evidence.all(), keyring).select_related("content_key")]
    taken = {item.from_intake_id for item, _meta in items}
    files = []
    for upload in readable_by(Evidence.objects.filter(report__in=event.reports.all()), keyring) \
            .select_related("content_key"):
        if upload.pk not in taken:
            meta = json.loads(read(upload, open_content_key(upload.content_key, keyring))["meta"])
            files.append((upload, meta))
    working = workingset.for_session(str(request.session.session_key), keyring)
    fields = services.opened(event, keyring)
    place = ((fields.get("details") or {}).get("place") or {}).get("code") or ""
    region = gazetteer.coarsen(place) if place and gazetteer.place(place) else ""
    similar = duplicates.similar_events(working, event_id=str(event.pk),
                                        start=(fields.get("details") or {}).get("start"),
                                        region=region)
    return {"evidence_items": items, "report_files": files, "similar_events": similar,
            "held_form": HeldElsewhereForm()}


@capability_required(Capability.CODE_RECORDS)
@require_POST
def take_file(request: HttpRequest, pk: Any, upload: Any) -> HttpResponseBase:
    event, keyring = _event(request, pk)
    source = get_object_or_404(
        readable_by(Evidence.objects.filter(report__in=event.reports.all()), keyring)
        .select_related("content_key"), pk=upload)
    item = evidence.from_intake(source, keyring, acting_user(request), events=[event])
    _log(request, "evidence.add", item)
    messages.success(request, _("The file is now evidence of this event."))
    return redirect("records:evidence", pk=item.pk)


@capability_required(Capability.CODE_RECORDS)
@require_POST
def held_elsewhere(request: HttpRequest, pk: Any) -> HttpResponseBase:
    event, keyring = _event(request, pk)
    form = HeldElsewhereForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what it is and who keeps it."))
        return redirect(f"{_event_url(event)}#evidence")
    item = evidence.describe(keyring, acting_user(request), events=[event], **form.cleaned_data)
    _log(request, "evidence.add", item)
    messages.success(request, _("Evidence recorded."))
    return redirect("records:evidence", pk=item.pk)


def _event_url(event: Event) -> str:
    from django.urls import reverse

    return reverse("records:event", args=[event.pk])


@capability_required(Capability.CODE_RECORDS)
@require_GET
def item_page(request: HttpRequest, pk: Any) -> HttpResponse:
    keyring = keyring_required(request)
    item = get_object_or_404(readable_by(EvidenceItem.objects.all(), keyring)
                             .select_related("content_key"), pk=pk)
    evidence.log(item, "viewed", acting_user(request))
    _log(request, "evidence.view", item)
    return render(request, "records/evidence.html", {
        "item": item, "meta": evidence.meta_of(item, keyring),
        "custody": evidence.custody(item),
        "events": readable_by(item.events.all(), keyring),
    })


@capability_required(Capability.CODE_RECORDS)
@require_GET
def download(request: HttpRequest, pk: Any) -> HttpResponseBase:
    keyring = keyring_required(request)
    item = get_object_or_404(readable_by(EvidenceItem.objects.all(), keyring)
                             .select_related("content_key", "from_intake__content_key"), pk=pk)
    if item.from_intake is None and not item.stored_file:
        raise Http404
    meta = evidence.meta_of(item, keyring)
    _log(request, "evidence.download", item)
    response = StreamingHttpResponse(evidence.open_item(item, keyring, acting_user(request)),
                                     content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=str(meta.get("name") or "evidence"))
    return response


@capability_required(Capability.CODE_RECORDS)
@require_POST
def merge_event(request: HttpRequest, pk: Any) -> HttpResponseBase:
    """Merge another event (a duplicate) into this one."""
    event, keyring = _event(request, pk)
    other = get_object_or_404(services.visible_events(keyring).select_related("content_key"),
                              pk=parse_id(request.POST.get("other")))
    try:
        duplicates.merge_events(event, other)
    except ValueError:
        messages.error(request, _("These events cannot be merged."))
        return redirect("records:event", pk=event.pk)
    _log(request, "event.merge", event, merged=str(other.pk))
    messages.success(request, _("Merged. The other record is kept, marked as merged."))
    return redirect("records:event", pk=event.pk)


@capability_required(Capability.CODE_RECORDS)
@require_POST
def merge_person(request: HttpRequest, pk: Any) -> HttpResponseBase:
    keyring = keyring_required(request)
    person = get_object_or_404(services.visible_persons(keyring).select_related("content_key"),
                               pk=pk)
    other = get_object_or_404(services.visible_persons(keyring).select_related("content_key"),
                              pk=parse_id(request.POST.get("other")))
    if other.content_key.compartment_id != person.content_key.compartment_id or other == person:
        messages.error(request, _("These persons cannot be merged."))
        return redirect("records:person", pk=person.pk)
    duplicates.merge_persons(person, other)
    _log(request, "person.merge", person, merged=str(other.pk))
    messages.success(request, _("Merged. The other record is kept, marked as merged."))
    return redirect("records:person", pk=person.pk)


def person_extras(request: HttpRequest, person: Person, keyring: Keyring) -> dict[str, Any]:
    working = workingset.for_session(str(request.session.session_key), keyring)
    pseudonym = services.opened(person, keyring).get("pseudonym", "")
    return {"similar_persons": duplicates.similar_persons(working, pseudonym,
                                                          exclude=str(person.pk))}

