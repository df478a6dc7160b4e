"""A middleware that looks at a request once its view is known, before the view (and before
the CSRF check, when listed ahead of it) runs: it answers instead of the view, or lets it be."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponseBase


class ViewGateMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., HttpResponseBase],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        return self.refuse(request, view)

    def refuse(
        self, request: HttpRequest, view: Callable[..., HttpResponseBase]
    ) -> HttpResponseBase | None:
        """A response that stops the request, or None to let the view run."""
        raise NotImplementedError
