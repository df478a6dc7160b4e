"""One page of a staff list, with links that keep the list's filters (no JavaScript needed).

Every staff list that can grow goes through ``page_of``: the rows of the shown page only are
fetched (and so only they are decrypted by the caller); the order is the queryset's (end it
with a unique key, so that no row falls between two pages); a page number that is not a
number or is out of range shows the first or the last page instead of an error. The page size
is KALKAN_PAGE_SIZE (settings.STAFF_PAGE_SIZE).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

T = TypeVar("T")


def page_of(
    request: HttpRequest, rows: QuerySet[Any] | Sequence[T], per_page: int | None = None,
    param: str = "page",
) -> Page:
    """The requested page of ``rows``; ``page.query`` is the request's other GET parameters,
    url-encoded and ending in ``&`` when not empty, for staff/pages.html to put before
    ``page=N`` (so a search or a filter stays on when the reader turns the page)."""
    page = Paginator(rows, per_page or settings.STAFF_PAGE_SIZE).get_page(request.GET.get(param))
    others = request.GET.copy()
    others.pop(param, None)
    encoded = others.urlencode()
    page.query = f"{encoded}&" if encoded else ""  # type: ignore[attr-defined]
    page.param = param  # type: ignore[attr-defined]
    return page
