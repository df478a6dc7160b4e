"""CSRF protection that works with `Referrer-Policy: no-referrer`.

With that policy browsers send `Origin: null` on every form POST (Fetch standard), which
Django's origin check refuses, so no form would ever work. A literal "null" origin is
therefore treated as "no origin given", and the secret token decides: it sits in a
SameSite=Strict cookie and in the form, and no other site can read or send either. A real
foreign origin is still refused.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware as DjangoCsrfViewMiddleware


class CsrfViewMiddleware(DjangoCsrfViewMiddleware):
    def _origin_verified(self, request: HttpRequest) -> bool:
        if request.META.get("HTTP_ORIGIN") == "null":
            return True
        return bool(super()._origin_verified(request))  # type: ignore[misc]
