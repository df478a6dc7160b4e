"""The search page: words, phrases and names in any spelling, filters, facet counts,
sorting and saved searches, over the person's unlocked working set (which holds only what
their keys open: restricted cases only for their members)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Page
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kalkan.accounts.decorators import acting_user, capability_required
from kalkan.accounts.roles import Capability
from kalkan.audit.services import record
from kalkan.core.pages import page_of
from kalkan.records import search
from kalkan.records.models import SavedSearch
from kalkan.vault import workingset
from kalkan.vault.records import new_sealed, open_content_key, read, write
from kalkan.vault.session import keyring_required


class SaveForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name of this search"), max_length=200)
    query = forms.CharField(max_length=4000, required=False, widget=forms.HiddenInput)


def _saved(request: HttpRequest) -> tuple[list[tuple[SavedSearch, dict[str, str]]], Page]:
    """The person's saved searches, one page of them ("saved" in the query), opened."""
    keyring = keyring_required(request)
    page = page_of(request, SavedSearch.objects.filter(owner=acting_user(request)).select_related(
        "content_key"
    ).order_by("-revision", "pk"), param="saved")
    out = [(item, read(item, open_content_key(item.content_key, keyring))) for item in page]
    return out, page


@capability_required(Capability.SEARCH_RECORDS)
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    keyring = keyring_required(request)
    asked = search.asked(request.GET)
    working = workingset.for_session(str(request.session.session_key), keyring)
    found = working.find(asked.query())
    # What was searched is sealed into the log, never in the clear.
    record("records.search", actor_id=request.user.pk,
           details={"results": found.total, "filters": len(asked.filters)})
    pages = (found.total + search.PAGE - 1) // search.PAGE
    if pages and asked.page > pages:
        # A page past the end (an old link, a typed number): the last page, as other lists.
        return redirect(reverse("search:page") + "?" + asked.params(page=pages))
    labels = search.Labels(keyring)
    saved, saved_page = _saved(request)
    return render(
        request,
        "records/search.html",
        {
            "asked": asked,
            "found": found,
            "people": search.people_affected(found),
            "rows": search.rows(working, found, labels),
            "groups": search.facet_groups(found, asked, labels),
            "chosen": [
                {"title": search.FACET_TITLES[name], "label": labels(name, value),
                 "href": "?" + asked.params(remove=(name, value))}
                for name, values in asked.filters.items() for value in values
            ],
            "sorts": [(code, label, "?" + asked.params(sort=code)) for code, label in search.SORTS],
            "previous": "?" + asked.params(page=asked.page - 1) if asked.page > 1 else "",
            "next": "?" + asked.params(page=asked.page + 1) if asked.page < pages else "",
            "pages": pages,
            "save_form": SaveForm(initial={"query": asked.params()}),
            "saved": saved,
            "saved_page": saved_page,
        },
    )


@capability_required(Capability.SEARCH_RECORDS)
@require_POST
def save(request: HttpRequest) -> HttpResponseBase:
    form = SaveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the search a name."))
        return redirect("search:page")
    keyring = keyring_required(request)
    item, key = new_sealed(SavedSearch, keyring, owner=acting_user(request))
    write(item, key, name=form.cleaned_data["name"], query=form.cleaned_data["query"])
    record("records.search_saved", actor_id=request.user.pk, object_id=str(item.pk))
    messages.success(request, _("Search saved."))
    return redirect(f"{request.path.rsplit('save/', 1)[0]}?{form.cleaned_data['query']}")


@capability_required(Capability.SEARCH_RECORDS)
@require_POST
def forget(request: HttpRequest, pk: Any) -> HttpResponseBase:
    item = get_object_or_404(SavedSearch, pk=pk, owner=acting_user(request))
    content_key = item.content_key
    item.delete()
    content_key.delete()
    record("records.search_forgotten", actor_id=request.user.pk, object_id=str(pk))
    messages.success(request, _("Saved search removed."))
    return redirect("search:page")
