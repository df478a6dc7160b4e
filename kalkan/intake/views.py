"""Public pages. Titles stay neutral: a page left open on a phone should not say what it is."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def start(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/start.html")
