"""Friendly error pages: never a stack trace, always a way on, in the person's language."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


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
    return render(request, "errors/400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)
