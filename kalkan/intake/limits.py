"""Rate limits without tracking people: counted globally and per browser session, never per
address (behind Tor everyone is 127.0.0.1) and never stored beyond the window.

Counters live in Django's cache (local memory: Kalkan serves from one process).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


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


def allow(request: HttpRequest, action: str) -> bool:
    """Whether one more `action` ("receipt" or "submission") is allowed now."""
    limits = settings.INTAKE_LIMITS[action]
    per_session, session_window = limits["session"]
    everyone, global_window = limits["global"]
    counts = request.session.get("kalkan_limits", {})
    slot = int(time.time()) // session_window
    mine = counts.get(action, [slot, 0])
    if mine[0] != slot:
        mine = [slot, 0]
    mine[1] += 1
    counts[action] = mine
    request.session["kalkan_limits"] = counts
    return mine[1] <= per_session and _hit(action, everyone, global_window)
