"""Staff URLs only on the staff host, and the end of a staff session after
KALKAN_IDLE_MINUTES without a request."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.utils import translation
from django.utils.translation import gettext as _

from kalkan.audit.services import record
from kalkan.core.views import hidden_page_not_found, is_staff_path

LAST_SEEN_KEY = "kalkan_seen"

class StaffHostMiddleware:
    """With KALKAN_STAFF_HOSTS / KALKAN_STAFF_PORT set, a staff URL asked for any other host,
    or arriving on any other local port, is a 404, the same page as for an address that
    does not exist: the public onion does not even show that a login is there. The staff
    onion is protected by Tor client authorisation (deploy/torrc.snippet), so strangers
    cannot reach its login at all. The port is what a visitor cannot forge: the server sets
    SERVER_PORT from the socket the request came in on, whatever the Host header says."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        separate = settings.STAFF_HOSTS or settings.STAFF_PORT
        if separate and is_staff_path(request.path_info) and not _on_staff_side(request):
            # Runs before the locale middleware: the 404 page in the address's language.
            language = translation.get_language_from_path(request.path_info)
            with translation.override(language or settings.LANGUAGE_CODE):
                return hidden_page_not_found(request)
        return self.get_response(request)


def _on_staff_side(request: HttpRequest) -> bool:
    if settings.STAFF_PORT and request.META.get("SERVER_PORT") != str(settings.STAFF_PORT):
        return False
    host = split_domain_port(request.get_host())[0].rstrip(".")
    return not settings.STAFF_HOSTS or host in settings.STAFF_HOSTS


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
