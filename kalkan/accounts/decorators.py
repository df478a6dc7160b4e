"""Decorators that guard staff views: logged in with TOTP, a role's capability, a fresh login."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from kalkan.accounts.models import User
from kalkan.accounts.roles import Capability
from kalkan.accounts.staff_gate import is_logged_in

View = Callable[..., HttpResponseBase]
REAUTH_KEY = "kalkan_reauth_at"


def _to(name: str, next_url: str) -> HttpResponseBase:
    return redirect(f"{reverse(name)}?{urlencode({'next': next_url})}")


def staff_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_logged_in(request):
            return _to("accounts:login", request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def capability_required(capability: Capability) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @staff_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.can(capability):  # type: ignore[union-attr]
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def mark_recent_auth(request: HttpRequest) -> None:
    request.session[REAUTH_KEY] = int(time.time())


def recent_auth_required(view: View) -> View:
    """Sensitive actions need the passphrase and a code again if the last one is not fresh.

    A POST that arrives too late is not carried out; the person confirms and presses the
    button again on the page they came from.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        at = request.session.get(REAUTH_KEY, 0)
        if time.time() - at > settings.REAUTH_MINUTES * 60:
            back = request.get_full_path()
            if request.method == "POST":
                back = request.POST.get("back", "") or reverse("accounts:home")
            return _to("accounts:confirm", back)
        return view(request, *args, **kwargs)

    return wrapper


def acting_user(request: HttpRequest) -> User:
    """The logged-in staff member (the view's decorators have made sure there is one)."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user
