"""The retention page: the rules, what they would remove now (counts only), and applying
them after a fresh confirmation. Every step is in the audit log, with counts only."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kalkan.accounts.decorators import capability_required, recent_auth_required
from kalkan.accounts.roles import Capability
from kalkan.audit.services import record
from kalkan.retention import services
from kalkan.retention.forms import ApplyForm, RulesForm
from kalkan.vault.session import keyring_of


def _page(
    request: HttpRequest,
    rules_form: RulesForm | None = None,
    apply_form: ApplyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    tallies = services.preview()
    record("retention.preview", actor_id=request.user.pk, details=services.as_details(tallies))
    return render(request, "retention/page.html", {
        "rules_form": rules_form or RulesForm(services.rules()),
        "apply_form": apply_form or ApplyForm(),
        "tallies": tallies,
        "any_on": any(t.enabled for t in tallies),
    }, status=status)


@capability_required(Capability.MANAGE_RETENTION)
@require_GET
def page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@capability_required(Capability.MANAGE_RETENTION)
@require_POST
@recent_auth_required
def save_rules(request: HttpRequest) -> HttpResponseBase:
    form = RulesForm(services.rules(), request.POST)
    if not form.is_valid():
        return _page(request, rules_form=form, status=400)
    details: dict[str, str | int | bool] = {}
    for kind in services.Kind.values:
        enabled = form.cleaned_data[f"{kind}_enabled"]
        days = form.cleaned_data.get(f"{kind}_days") or 0
        services.set_rule(kind, enabled=enabled, days=days)
        details[kind] = f"{'on' if enabled else 'off'} {days}" if days else (
            "on" if enabled else "off")
    record("retention.rules", actor_id=request.user.pk, details=details)
    messages.success(request, _("Saved. Nothing is removed until the rules are applied."))
    return redirect("retention:page")


@capability_required(Capability.MANAGE_RETENTION)
@require_POST
@recent_auth_required
def apply_rules(request: HttpRequest) -> HttpResponseBase:
    form = ApplyForm(request.POST)
    if not form.is_valid():
        return _page(request, apply_form=form, status=400)
    tallies = services.apply(keyring_of(request))
    record("retention.apply", actor_id=request.user.pk, details=services.as_details(tallies))
    applied = [t for t in tallies if t.enabled]
    if not applied:
        messages.info(request, _("No rule is on: nothing was removed."))
    else:
        summary = "; ".join(f"{t.label}: {t.items}" for t in applied)
        messages.success(request, _("The rules were applied: %(summary)s.") % {
            "summary": summary})
    return redirect("retention:page")
