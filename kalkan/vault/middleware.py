"""Gives each staff request its unlocked keys, and ends a session whose keys are gone."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from kalkan.vault import session


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
