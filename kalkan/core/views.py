"""Friendly error pages: never a stack trace, always a way on, in the person's language."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

_CODES = "|".join(re.escape(code) for code, _name in settings.LANGUAGES)
# /staff/… with or without a language prefix (kalkan/urls.py puts every staff route there).
STAFF_PATH = re.compile(rf"^/(?:(?:{_CODES})/)?staff(?:/|$)")


def is_staff_path(path: str) -> bool:
    return STAFF_PATH.match(path) is not None


def _way_on(request: HttpRequest) -> dict[str, Any]:
    """Staff addresses lead back to the staff home page (which asks a stranger to log in),
    not to the public start page with its quick exit."""
    if is_staff_path(request.path):
        return {"staff_home": reverse("accounts:home")}
    return {}


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # The reason is technical and stays out of the page; the person gets an explanation and
    # a link back to the same page to try again with a fresh form. A public form that only
    # expired comes back with what was typed (a foreign origin gets nothing back).
    if not reason.startswith("Origin checking failed"):
        from kalkan.intake.views import refused_by_csrf

        kept = refused_by_csrf(request)
        if kept is not None:
            return kept
    return render(request, "errors/csrf.html", {"retry_url": request.path}, status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/400.html", _way_on(request), status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", _way_on(request), status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # The language links lead to the start pages, as for an address that never existed: a
    # 404 must not tell that the path is a real route.
    return render(request, "errors/404.html", {"not_found": True, **_way_on(request)},
                  status=404)


def hidden_page_not_found(request: HttpRequest) -> HttpResponse:
    """The 404 of a staff address asked on the public side: byte for byte the page of an
    address that does not exist there, so it shows neither a login nor the staff home."""
    return render(request, "errors/404.html", {"not_found": True}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)
