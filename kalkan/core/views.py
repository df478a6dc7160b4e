"""Friendly error pages: never a stack trace, always a way on, in the person's language."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

_CODES = "|".join(re.escape(code) for code, _name in settings.LANGUAGES)
STAFF_PATH = re.compile(rf"^/({_CODES})/staff(/|$)")


def _way_on(request: HttpRequest) -> dict[str, Any]:
    """Staff addresses lead back to the staff home page (which asks a stranger to log in),
    not to the public start page with its quick exit."""
    if STAFF_PATH.match(request.path):
        return {"staff_home": reverse("accounts:home")}
    return {}


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # The reason is technical and stays out of the page; the person gets an explanation and
    # a link back to the same page to try again with a fresh form.
    return render(request, "errors/csrf.html", {"retry_url": request.path}, status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/400.html", _way_on(request), status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", _way_on(request), status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", _way_on(request), status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)
