"""Rate limits on the public side without keeping anything about a visitor on the server.

Two counters decide, never an address (behind Tor everyone is 127.0.0.1):

- **per visitor**, in an encrypted cookie the visitor holds. A server-side session would
  leave a `django_session` row whose expiry is the time of the visit to the microsecond,
  and side by side with the write order of reports that dates each report, which reports
  deliberately do not keep. The cookie holds only counts and the window they belong to,
  encrypted under a key derived from the instance's secret key, with a fresh nonce each
  time: a seized browser shows no count, and the value never repeats, so it is no tracking
  ID. It is a browser-session cookie: closing the browser forgets it.
- **for everyone together**, in this process's memory (Kalkan serves from one process),
  set far above real load: a visitor who drops the cookie looks like many visitors, so
  only the global counter bounds a flood, and one honest visitor's refusal never refuses
  another.

What counts per visitor is what the limit is about: a stored report ("submission"), a
receipt that opened nothing ("receipt": guessing). Every attempt counts globally. The
urgent reports face only the global limit (views.report). A refused form always comes
back with what was typed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponseBase

from kalkan.vault import crypto

COOKIE_NAME = "kalkan_pace"
_AAD = crypto.aad("intake-pace-cookie", 1)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    everyone: bool = False  # refused by the global limit (a flood), not this visitor's own
    wait_minutes: int = 0  # until this visitor's own window ends


def _key() -> bytes:
    return hmac.new(
        settings.SECRET_KEY.encode(), b"kalkan intake pace cookie", hashlib.sha256
    ).digest()


def _counts(request: HttpRequest) -> dict[str, list[int]]:
    """This visitor's counts, {action: [window slot, count]}; empty when absent or forged."""
    cached: dict[str, list[int]] | None = getattr(request, "_kalkan_pace", None)
    if cached is not None:
        return cached
    counts: dict[str, list[int]] = {}
    raw = request.COOKIES.get(COOKIE_NAME, "")
    if raw:
        try:
            data = json.loads(crypto.decrypt(_key(), base64.urlsafe_b64decode(raw), _AAD))
            counts = {
                action: [int(slot), int(count)]
                for action, (slot, count) in data.items()
                if action in settings.INTAKE_LIMITS
            }
        except (binascii.Error, ValueError, TypeError, AttributeError, crypto.Tampered):
            counts = {}  # forged or from another instance: start afresh
    request._kalkan_pace = counts  # type: ignore[attr-defined]
    return counts


def _mine(request: HttpRequest, action: str) -> tuple[list[int], int, int]:
    limit, window = settings.INTAKE_LIMITS[action]["visitor"]
    slot = int(time.time()) // window
    counts = _counts(request)
    mine = counts.get(action)
    if mine is None or mine[0] != slot:
        mine = counts[action] = [slot, 0]
    return mine, limit, window


def _hit(key: str, limit: int, window: int) -> bool:
    bucket = f"kalkan-limit:{key}:{int(time.time()) // window}"
    if cache.add(bucket, 1, timeout=window):
        return True
    try:
        count = cache.incr(bucket)
    except ValueError:  # the bucket expired between add and incr
        cache.add(bucket, 1, timeout=window)
        return True
    return count <= limit


def check(request: HttpRequest, action: str, *, per_visitor: bool = True) -> Verdict:
    """Whether one more `action` ("receipt" or "submission") may go ahead now. Counts the
    attempt for everyone; this visitor's count grows only through `spend`. Without
    `per_visitor` only the limit for everyone applies."""
    mine, limit, window = _mine(request, action)
    if per_visitor and mine[1] >= limit:
        left = (mine[0] + 1) * window - time.time()
        return Verdict(False, wait_minutes=max(1, math.ceil(left / 60)))
    everyone, global_window = settings.INTAKE_LIMITS[action]["global"]
    if not _hit(action, everyone, global_window):
        return Verdict(False, everyone=True, wait_minutes=max(1, math.ceil(global_window / 60)))
    return Verdict(True)


def spend(request: HttpRequest, action: str) -> None:
    """Count one `action` against this visitor (a stored report, a receipt that failed)."""
    mine, _limit, _window = _mine(request, action)
    mine[1] += 1


def _write(request: HttpRequest, response: HttpResponseBase) -> None:
    counts = getattr(request, "_kalkan_pace", None)
    if counts is None:
        return  # no limit was consulted: the cookie, if any, stays as it is
    now = int(time.time())
    live = {
        action: mine
        for action, mine in counts.items()
        if mine[1] and mine[0] == now // settings.INTAKE_LIMITS[action]["visitor"][1]
    }
    if not live:
        if COOKIE_NAME in request.COOKIES:
            response.delete_cookie(COOKIE_NAME, samesite="Strict")
        return
    sealed = crypto.encrypt(_key(), json.dumps(live).encode(), _AAD)
    response.set_cookie(
        COOKIE_NAME,
        base64.urlsafe_b64encode(sealed).decode("ascii"),
        # No max_age: a browser-session cookie, gone when the browser closes; the window
        # inside decides how long a count matters.
        secure=settings.HTTPS,
        httponly=True,
        samesite="Strict",
    )


def paced(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """For views that call `check`/`spend`: the visitor's counts go back in the cookie."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        _write(request, response)
        return response

    return wrapper
