"""The linkage export page, under /<lang>/staff/linkage/ (kalkan.analysis.linkage_export).

The coalition's secret is pasted into the form (the one line of the secret file), used for
this request and never stored; the file is built in memory and sent as a download."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kalkan.accounts.decorators import capability_required
from kalkan.accounts.roles import Capability
from kalkan.analysis import linkage
from kalkan.analysis.draft_views import check_period
from kalkan.analysis.laws import COUNTRIES, country_name
from kalkan.analysis.linkage_export import export, scope_of
from kalkan.records import local_terms
from kalkan.vault import workingset
from kalkan.vault.keyring import Keyring
from kalkan.vault.session import keyring_required


class ExportForm(forms.Form):
    act_type = forms.MultipleChoiceField(
        label=gettext_lazy("Types of act (none ticked: all)"), required=False,
        widget=forms.CheckboxSelectMultiple)
    country = forms.ChoiceField(label=gettext_lazy("Country"))
    year_from = forms.IntegerField(label=gettext_lazy("From the year"))
    year_to = forms.IntegerField(label=gettext_lazy("To the year"))
    secret = forms.CharField(
        label=gettext_lazy("The coalition's secret"), strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=gettext_lazy("The last line of the secret file the coalition agreed on. "
                               "It is used for this export only and never stored."))

    def __init__(self, *args: Any, keyring: Keyring | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["country"]).choices = [
            (code, country_name(code)) for code in COUNTRIES]
        cast(forms.ChoiceField, self.fields["act_type"]).choices = [
            (term.code, term.label()) for term in local_terms.current("act_types", keyring)
            if not term.parent and not term.inactive]
        year = timezone.localdate().year
        if not self.is_bound:
            self.initial.update({"year_from": year - 4, "year_to": year})

    def clean_secret(self) -> linkage.Secret:
        try:
            return linkage.Secret.from_text(self.cleaned_data["secret"])
        except linkage.LinkageError:
            raise forms.ValidationError(_("This is not a Kalkan linkage secret: paste the "
                                          "last line of the secret file.")) from None

    def clean(self) -> dict[str, Any]:
        return check_period(self, super().clean() or {})

    def scope(self) -> dict[str, list[str]]:
        data = self.cleaned_data
        params = QueryDict(mutable=True)
        params.setlist("act_type", list(data["act_type"]))
        params.setlist("country", [data["country"]])
        params.setlist("year", [str(y) for y in range(data["year_from"], data["year_to"] + 1)])
        return scope_of(params)


@capability_required(Capability.BUILD_REPORTS)
@require_http_methods(["GET", "POST"])
@never_cache
def export_page(request: HttpRequest) -> HttpResponse:
    keyring = keyring_required(request)
    form = ExportForm(request.POST or None, keyring=keyring)
    if request.method == "POST" and form.is_valid():
        working = workingset.for_session(str(request.session.session_key), keyring)
        made = export(working, keyring, form.scope(), form.cleaned_data["secret"],
                      actor_id=request.user.pk)
        response = HttpResponse(made.data, content_type="application/octet-stream")
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = (
            f'attachment; filename="linkage-{stamp}.kalkan-linkage"')
        response["X-Kalkan-Victims"] = str(made.victims)
        return response
    return render(request, "analysis/linkage.html", {"form": form})
