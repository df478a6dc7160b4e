"""Ends a staff session after KALKAN_IDLE_MINUTES without a request."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from kalkan.audit.services import record

LAST_SEEN_KEY = "kalkan_seen"


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_KEY, now)
            if now - last_seen > settings.IDLE_MINUTES * 60:
                record("logout.idle", actor_id=request.user.pk, object_id=str(request.user.pk))
                logout(request)
                messages.info(
                    request,
                    _("You were logged out after %(minutes)d minutes without activity.")
                    % {"minutes": settings.IDLE_MINUTES},
                )
            else:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)
