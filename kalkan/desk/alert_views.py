"""The on-call page: who gets the content-free alerts, at which address, and a test alert.

Administrators only (MANAGE_ALERTS). Saving and testing need a recent login, and both are in
the audit log. The addresses are plain (alerts go out with nobody unlocked), so the page
says to use one that does not name the person; see docs/alerts.md.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from kalkan.accounts.decorators import capability_required, recent_auth_required
from kalkan.accounts.models import User
from kalkan.accounts.roles import Capability
from kalkan.audit.services import record
from kalkan.desk import alerts
from kalkan.desk.models import OnCall


class OnCallForm(forms.Form):
    """An address and an "on call" box for each active staff member."""

    def __init__(self, people: list[User], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = people
        current = {row.user_id: row for row in OnCall.objects.filter(user__in=people)}
        for person in people:
            row = current.get(person.pk)
            self.fields[f"email_{person.pk}"] = forms.EmailField(
                label=gettext_lazy("E-mail address"),
                required=False,
                max_length=254,
                initial=row.email if row else "",
                widget=forms.TextInput(
                    attrs={"inputmode": "email", "autocomplete": "off", "spellcheck": "false"}
                ),
            )
            self.fields[f"active_{person.pk}"] = forms.BooleanField(
                label=gettext_lazy("On call"),
                required=False,
                initial=row.active if row else False,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for person in self.people:
            email_name = f"email_{person.pk}"
            if data.get(f"active_{person.pk}") and email_name in data and not data[email_name]:
                self.add_error(email_name, _("Someone on call needs an e-mail address."))
        return data

    def rows(self) -> list[tuple[User, forms.BoundField, forms.BoundField]]:
        return [
            (person, self[f"email_{person.pk}"], self[f"active_{person.pk}"])
            for person in self.people
        ]

    def save(self) -> int:
        """Store every row; returns how many people are on call now."""
        on_call = 0
        with transaction.atomic():
            for person in self.people:
                email = str(self.cleaned_data[f"email_{person.pk}"]).strip()
                active = bool(self.cleaned_data[f"active_{person.pk}"])
                OnCall.objects.update_or_create(
                    user=person, defaults={"email": email, "active": active}
                )
                on_call += active
        return on_call


def _people() -> list[User]:
    return list(User.objects.filter(is_active=True).order_by("username"))


@capability_required(Capability.MANAGE_ALERTS)
@require_http_methods(["GET", "POST"])
def on_call(request: HttpRequest) -> HttpResponseBase:
    if request.method == "POST":
        return _save(request)
    return _page(request, OnCallForm(_people()))


def _page(request: HttpRequest, form: OnCallForm, status: int = 200) -> HttpResponse:
    return render(request, "desk/on_call.html", {"form": form}, status=status)


@recent_auth_required
def _save(request: HttpRequest) -> HttpResponseBase:
    form = OnCallForm(_people(), request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    count = form.save()
    record("alerts.on_call", actor_id=request.user.pk, details={"on_call": count})
    messages.success(request, _("Saved. Alerts go to the people on call."))
    return redirect("alerts:on_call")


@capability_required(Capability.MANAGE_ALERTS)
@require_POST
@recent_auth_required
def send_test(request: HttpRequest) -> HttpResponseBase:
    outcome = alerts.send_test()
    record("alerts.test", actor_id=request.user.pk, details={"ok": outcome.ok})
    if outcome.no_recipients:
        messages.error(
            request, _("Nobody is on call and no webhook is set: there is nowhere to send it.")
        )
    elif outcome.ok:
        sent = []
        if outcome.emails_sent:
            sent.append(
                ngettext(
                    "Test alert sent to %(count)d e-mail address.",
                    "Test alert sent to %(count)d e-mail addresses.",
                    outcome.emails_sent,
                )
                % {"count": outcome.emails_sent}
            )
        if outcome.webhook_sent:
            sent.append(_("The webhook accepted the test alert."))
        messages.success(request, " ".join(sent))
    else:
        messages.error(
            request, _("The test alert failed: %(error)s") % {"error": "; ".join(outcome.errors)}
        )
    return redirect("alerts:on_call")
