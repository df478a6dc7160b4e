"""Template helpers: links to the same page in another language (no JavaScript needed)."""

from __future__ import annotations

import functools
from typing import Any

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language

register = template.Library()


@functools.lru_cache(maxsize=1024)
def _translated(path: str, code: str, current: str) -> str:
    """translate_url, kept: it resolves and reverses the path (in the active language, hence
    `current` in the key) on every page, four times, and the public form is every visitor's
    page. The URLs never change while the server runs."""
    return translate_url(path, code)


@register.simple_tag
def quick_exit_url() -> str:
    return str(settings.QUICK_EXIT_URL)


@register.simple_tag(takes_context=True)
def language_links(context: dict[str, Any]) -> list[dict[str, object]]:
    request = context.get("request")
    path = request.get_full_path() if request is not None and not context.get("not_found") else "/"
    current = get_language()
    links = []
    for code, name in settings.LANGUAGES:
        url = _translated(path, code, current)
        if url == path and code != current:
            # The page has no language prefix (an error page): go to that language's start page.
            url = f"/{code}/"
        links.append({"code": code, "name": name, "url": url, "current": code == current})
    return links
