"""The emergency page: an administrator seals the whole server (panic)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from kalkan.accounts.decorators import capability_required, recent_auth_required
from kalkan.accounts.roles import Capability
from kalkan.audit.services import record
from kalkan.vault.services import escrow_fingerprint, panic


class PanicForm(forms.Form):
    understood = forms.BooleanField(
        label=gettext_lazy(
            "I understand that nobody, me included, can read anything on this server until "
            "the escrow secret is brought back."
        )
    )


@capability_required(Capability.SEAL_SERVER)
@recent_auth_required
@require_http_methods(["GET", "POST"])
def emergency(request: HttpRequest) -> HttpResponse:
    form = PanicForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        record("panic", actor_id=request.user.pk)
        panic()
        logout(request)
        messages.warning(
            request,
            _(
                "The server is sealed. Every session has ended and no staff key opens "
                "anything. Recovery needs the escrow secret: `kalkan recover`."
            ),
        )
        return redirect("accounts:login")
    return render(
        request, "vault/emergency.html", {"form": form, "escrow_fingerprint": escrow_fingerprint()}
    )
