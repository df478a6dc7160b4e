"""Gives each staff request its unlocked keys, and ends a session whose keys are gone."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from kalkan.vault import authentic, session, workingset


class VaultMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and session.keyring_of(request) is None:
            # Panic, an expired cookie or a tampered session: without keys the session is
            # useless, and a half-working one would only confuse.
            logout(request)
            messages.info(request, _("Your session has ended. Please log in again."))
        response = self.get_response(request)
        session.write_cookie(request, response)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A key, wrap or flag the vault did not write (threat 6): the action's transaction
        has rolled back; log it, audit it, and say so rather than answer 500. A page that
        needs the working set while it is being built: how far it is, again shortly."""
        if isinstance(exception, workingset.Preparing):
            return preparing(request, exception.progress, request.get_full_path())
        if not isinstance(exception, authentic.Untrusted):
            return None
        actor = request.user.pk if request.user.is_authenticated else None
        authentic.report(exception, actor_id=actor)
        return render(request, "vault/untrusted.html", status=503)


def preparing(request: HttpRequest, progress: workingset.Progress, refresh: str) -> HttpResponse:
    """The page that refreshes itself (no JavaScript) until the working set is ready. 200,
    not 503: it is an answer, refreshed every few seconds, and not a server error to log."""
    return render(request, "vault/preparing.html", {"progress": progress, "refresh": refresh})
