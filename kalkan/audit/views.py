"""The audit log as an administrator sees it: newest first, with the chain's state."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kalkan.accounts.decorators import capability_required
from kalkan.accounts.models import User
from kalkan.accounts.roles import Capability
from kalkan.audit.models import AuditEntry
from kalkan.audit.services import read_details, record, verify
from kalkan.core.pages import page_of
from kalkan.vault.session import keyring_of


@capability_required(Capability.VIEW_AUDIT_LOG)
def audit_log(request: HttpRequest) -> HttpResponse:
    record("audit.view", actor_id=request.user.pk)
    page = page_of(request, AuditEntry.objects.order_by("-seq"))
    names = dict(User.objects.values_list("pk", "username"))
    keyring = keyring_of(request)
    rows = [
        (
            entry,
            names.get(entry.actor_id or 0, ""),
            read_details(entry, keyring) if keyring else None,
        )
        for entry in page
    ]
    return render(
        request, "audit/log.html", {"page": page, "rows": rows, "verification": verify()}
    )
