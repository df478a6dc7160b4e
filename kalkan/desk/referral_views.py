"""The partner registry (administrators) and a case's referral page (responders): consent
per partner, its withdrawal, and the encrypted package to download.

Every opening of a case's referral page and every change is in the audit log; entries
about a restricted case are sealed to its members (compartment=case.compartment). A
restricted case is not found for anyone outside it. Making a package or changing the
partners needs a recent login (the passphrase and a code again after a while).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from kalkan.accounts.decorators import (
    acting_user,
    capability_required,
    recent_auth_required,
)
from kalkan.accounts.roles import Capability
from kalkan.audit.services import record
from kalkan.core.pages import page_of
from kalkan.desk import referrals
from kalkan.desk.models import Case, Partner
from kalkan.desk.services import DeskError, json_field, open_fields, visible_cases
from kalkan.desk.vocab import REFERRAL_FIELDS
from kalkan.intake.models import Report
from kalkan.vault.keyring import Keyring
from kalkan.vault.session import keyring_of, keyring_required

View = Callable[..., HttpResponseBase]
DAY_FORMAT = "%Y-%m-%d"


def _day_field(label: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=[DAY_FORMAT],
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format=DAY_FORMAT),
    )


def _not_in_future(day: date) -> date:
    if day > timezone.localdate():
        raise forms.ValidationError(_("The date cannot be in the future."))
    return day


class PartnerForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name of the organisation"), max_length=200)
    contact = forms.CharField(
        label=gettext_lazy("How to reach them"), max_length=2000, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    services = forms.CharField(
        label=gettext_lazy("What they offer"), max_length=2000, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    public_key = forms.CharField(
        label=gettext_lazy("Their public key"),
        max_length=200,
        help_text=gettext_lazy(
            "The line of base64 that `kalkan_referral.py keygen` printed for them "
            "(44 characters). Before the first referral, check its fingerprint with them by "
            "phone or Signal."
        ),
    )

    def clean_public_key(self) -> bytes:
        try:
            return referrals.parse_public_key(self.cleaned_data["public_key"])
        except referrals.BadPublicKey:
            raise forms.ValidationError(
                _("This is not a public key made by kalkan_referral.py keygen. Paste the whole "
                  "line of base64 it printed (44 characters, ending in \"=\").")
            ) from None


class _PartnerChoice(forms.Form):
    # Several of these forms share a page: ids of their own ("consentform_partner").
    def __init__(self, *args: Any, partners: list[referrals.PartnerView], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{type(self).__name__.lower()}_%s")
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = [  # type: ignore[attr-defined]
            ("", "—"), *((str(p.partner.pk), p.name) for p in partners)
        ]

    def chosen_partner(self) -> Partner:
        return Partner.objects.get(pk=self.cleaned_data["partner"])


class ConsentForm(_PartnerChoice):
    partner = forms.ChoiceField(label=gettext_lazy("Partner"))
    parts = forms.MultipleChoiceField(
        label=gettext_lazy("What may go to this partner"),
        choices=REFERRAL_FIELDS,
        widget=forms.CheckboxSelectMultiple,
    )
    how = forms.CharField(
        label=gettext_lazy("How the person gave consent"),
        max_length=referrals.HOW_MAX_LENGTH,
        help_text=gettext_lazy(
            "For example: in person at the office; by phone; in a signed form; by Signal message."
        ),
    )
    given_on = _day_field(gettext_lazy("Date the person agreed"))

    def clean_given_on(self) -> date:
        return _not_in_future(self.cleaned_data["given_on"])


class WithdrawForm(_PartnerChoice):
    partner = forms.ChoiceField(widget=forms.HiddenInput)
    withdrawn_on = _day_field(gettext_lazy("Date the person withdrew consent"))

    def clean_withdrawn_on(self) -> date:
        return _not_in_future(self.cleaned_data["withdrawn_on"])


class PackageForm(_PartnerChoice):
    partner = forms.ChoiceField(label=gettext_lazy("Partner"))


# --- helpers -------------------------------------------------------------------------------------


def _fresh_for_changes(view: View) -> View:
    """A recent login for POSTs (changes, packages); reading needs none."""
    guarded = recent_auth_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return (guarded if request.method == "POST" else view)(request, *args, **kwargs)

    return wrapper






def _case(request: HttpRequest, pk: Any) -> tuple[Case, Keyring]:
    """The case, if this person may see it: a restricted case is not found for others."""
    keyring = keyring_required(request)
    case = get_object_or_404(visible_cases(keyring_of(request)).select_related("content_key"),
                             pk=pk)
    return case, keyring


def _partners(keyring: Keyring, *, active_only: bool = False) -> list[referrals.PartnerView]:
    try:
        return referrals.partners(keyring, active_only=active_only)
    except PermissionError:
        raise PermissionDenied from None


def _log(action: str, request: HttpRequest, case: Case, **details: str) -> None:
    record(action, actor_id=request.user.pk, object_id=str(case.pk),
           details=dict(details) or None, compartment=case.compartment)


# --- partners ------------------------------------------------------------------------------------


@capability_required(Capability.MANAGE_PARTNERS)
@require_http_methods(["GET", "POST"])
@_fresh_for_changes
def partners(request: HttpRequest) -> HttpResponse:
    keyring = keyring_required(request)
    form = PartnerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            partner = referrals.add_partner(
                keyring, data["name"],
                {"contact": data["contact"], "services": data["services"], "notes": ""},
                data["public_key"],
            )
        except PermissionError:
            raise PermissionDenied from None
        record("partner.add", actor_id=request.user.pk, object_id=str(partner.pk))
        messages.success(
            request,
            _("The partner is added. Before the first referral, read them this fingerprint by "
              "phone or Signal; they must see the same: %(fingerprint)s")
            % {"fingerprint": referrals.fingerprint(bytes(partner.public_key))},
        )
        return redirect("referrals:partners")
    try:
        rows = referrals.partners(keyring)
    except PermissionError:
        raise PermissionDenied from None
    # Sorted by their opened names, so every partner is opened; they are a few dozen at most.
    page = page_of(request, rows)
    return render(request, "desk/partner_list.html",
                  {"partners": page, "page": page, "form": form})


@capability_required(Capability.MANAGE_PARTNERS)
@require_POST
@recent_auth_required
def deactivate(request: HttpRequest, pk: Any) -> HttpResponse:
    partner = get_object_or_404(Partner, pk=pk)
    if partner.active:
        referrals.deactivate_partner(partner)
        record("partner.deactivate", actor_id=request.user.pk, object_id=str(partner.pk))
        messages.success(request, _("The partner no longer receives referrals."))
    return redirect("referrals:partners")


# --- a case's referrals ------------------------------------------------------------------------


def _state(consent: referrals.Consent, current: referrals.Consent | None) -> str:
    if consent.withdrawn_on is not None:
        return "withdrawn"
    if current is not None and consent.record.pk == current.record.pk:
        return "current"
    return "replaced"


def _page(
    request: HttpRequest,
    case: Case,
    keyring: Keyring,
    *,
    consent_form: ConsentForm | None = None,
    package_form: PackageForm | None = None,
    error: str = "",
) -> HttpResponse:
    """The referral page of one case; every showing of it is in the audit log."""
    try:
        everyone = referrals.partners(keyring)
        active = [p for p in everyone if p.partner.active]
        names = {p.partner.pk: p.name for p in everyone}
        case_fields = open_fields(case, keyring)
        intake = []
        for report in Report.objects.filter(case_link__case=case).select_related("content_key"):
            consent = json_field(open_fields(report, keyring), "consent", {})
            intake.append((report.created_on, bool(consent.get("referral"))))
        records = referrals.consents(case, keyring)
        current = {
            p.partner.pk: referrals.current_consent(case, p.partner, keyring) for p in everyone
        }
        sent = referrals.referrals_of(case, keyring)
    except PermissionError:
        raise PermissionDenied from None
    labels = dict(REFERRAL_FIELDS)
    rows = [
        {
            "partner": c.record.partner_id,
            "partner_name": names.get(c.record.partner_id, ""),
            "fields": [labels[f] for f in c.fields],
            "how": c.how,
            "given_on": c.given_on,
            "withdrawn_on": c.withdrawn_on,
            "state": _state(c, current.get(c.record.partner_id)),
        }
        for c in reversed(records)
    ]
    _log("referral.view", request, case)
    return render(
        request,
        "desk/referral_case.html",
        {
            "case": case,
            "title": case_fields.get("title", ""),
            "intake": intake,
            "rows": rows,
            "sent": [
                {"day": r.record.created_on, "partner_name": names.get(r.record.partner_id, ""),
                 "fields": [labels.get(f, f) for f in r.fields], "sha256": r.sha256}
                for r in reversed(sent)
            ],
            "consent_form": consent_form or ConsentForm(partners=active),
            "package_form": package_form or PackageForm(partners=active),
            "today": timezone.localdate(),
            "error": error,
        },
    )


@capability_required(Capability.WORK_CASES)
def case(request: HttpRequest, pk: Any) -> HttpResponse:
    item, keyring = _case(request, pk)
    return _page(request, item, keyring)


@capability_required(Capability.WORK_CASES)
@require_POST
def consent(request: HttpRequest, pk: Any) -> HttpResponse:
    item, keyring = _case(request, pk)
    form = ConsentForm(request.POST, partners=_partners(keyring, active_only=True))
    if form.is_valid():
        data = form.cleaned_data
        partner = form.chosen_partner()
        try:
            referrals.record_consent(item, partner, data["parts"], data["how"],
                                     data["given_on"], keyring, acting_user(request))
        except DeskError as refused:
            form.add_error(None, str(refused))
        else:
            _log("referral.consent", request, item, partner=str(partner.pk),
                 fields=",".join(data["parts"]))
            messages.success(request, _("The consent is recorded."))
            return redirect("referrals:case", pk=item.pk)
    return _page(request, item, keyring, consent_form=form)


@capability_required(Capability.WORK_CASES)
@require_POST
def withdraw(request: HttpRequest, pk: Any) -> HttpResponse:
    item, keyring = _case(request, pk)
    form = WithdrawForm(request.POST, partners=_partners(keyring))
    if not form.is_valid():
        problems = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        return _page(request, item, keyring, error=problems)
    partner = form.chosen_partner()
    try:
        marked = referrals.withdraw_consent(
            item, partner, form.cleaned_data["withdrawn_on"], keyring, acting_user(request)
        )
    except DeskError as refused:
        return _page(request, item, keyring, error=str(refused))
    if marked:
        _log("referral.withdraw", request, item, partner=str(partner.pk))
        messages.success(
            request,
            _("The consent is withdrawn: nothing more will be sent to this partner unless the "
              "person agrees again."),
        )
    return redirect("referrals:case", pk=item.pk)


@capability_required(Capability.WORK_CASES)
@require_POST
@recent_auth_required
def package(request: HttpRequest, pk: Any) -> HttpResponse:
    item, keyring = _case(request, pk)
    form = PackageForm(request.POST, partners=_partners(keyring, active_only=True))
    if not form.is_valid():
        return _page(request, item, keyring, package_form=form)
    try:
        sealed = referrals.make_referral(item, form.chosen_partner(), keyring, acting_user(request))
    except referrals.ReferralRefused as refused:
        # make_referral has logged the refusal; nothing was stored or sent.
        return _page(request, item, keyring, package_form=form, error=str(refused))
    response = HttpResponse(sealed, content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"referral-{timezone.localdate():%Y-%m-%d}.kalkan"
    )
    return response

