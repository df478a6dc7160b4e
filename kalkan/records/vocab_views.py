"""Administrators keep the vocabularies: add local terms (labels in four languages) and
make terms inactive or active again. Nothing is deleted: records keep their codes."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from kalkan.accounts.decorators import capability_required
from kalkan.accounts.roles import Capability
from kalkan.audit.services import record
from kalkan.records import local_terms
from kalkan.records.vocabularies import VOCABULARIES
from kalkan.vault.session import keyring_required


class LocalTermForm(forms.Form):
    parent = forms.ChoiceField(label=gettext_lazy("Under"), required=False)
    en = forms.CharField(label="English", max_length=200)
    ru = forms.CharField(label="Русский", max_length=200)
    ky = forms.CharField(label="Кыргызча", max_length=200)
    kk = forms.CharField(label="Қазақша", max_length=200)

    def __init__(self, *args: object, choices: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["parent"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 (declared above)
        field.choices = [("", _("(top of the list)")), *choices]


@capability_required(Capability.MANAGE_VOCABULARIES)
def vocabularies(request: HttpRequest) -> HttpResponse:
    lists = sorted(VOCABULARIES.values(), key=lambda v: v.title())
    return render(request, "records/vocabularies.html", {"lists": lists})


@capability_required(Capability.MANAGE_VOCABULARIES)
@require_http_methods(["GET", "POST"])
def vocabulary_page(request: HttpRequest, name: str) -> HttpResponseBase:
    if name not in VOCABULARIES:
        raise Http404
    keyring = keyring_required(request)
    current = local_terms.current(name, keyring)
    form = LocalTermForm(request.POST if request.method == "POST" else None,
                         choices=current.choices(include_inactive=False))
    if request.method == "POST" and form.is_valid():
        labels = {lang: form.cleaned_data[lang] for lang in local_terms.LANGUAGES}
        term = local_terms.add(name, parent=form.cleaned_data["parent"], labels=labels,
                               keyring=keyring)
        record("vocabulary.add", actor_id=request.user.pk, object_id=f"{name}:{term.code}")
        messages.success(request, _("Term added."))
        return redirect("vocabularies:list", name=name)
    rows = [(term, current.depth(term.code), current.is_active(term.code))
            for term in (current.get(code) for code, _label in
                         current.choices(include_inactive=True)) if term is not None]
    return render(request, "records/vocabulary.html",
                  {"vocabulary": current, "rows": rows, "form": form},
                  status=400 if form.errors else 200)


@capability_required(Capability.MANAGE_VOCABULARIES)
@require_POST
def switch(request: HttpRequest, name: str) -> HttpResponseBase:
    code = request.POST.get("code", "")
    keyring = keyring_required(request)
    if name not in VOCABULARIES or local_terms.current(name, keyring).get(code) is None:
        raise Http404
    active = request.POST.get("active") == "1"
    local_terms.set_active(name, code, active)
    record("vocabulary.activate" if active else "vocabulary.retire", actor_id=request.user.pk,
           object_id=f"{name}:{code}")
    messages.success(request, _("Saved."))
    return redirect("vocabularies:list", name=name)
