from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kalkan.core"
    label = "core"

    def ready(self) -> None:
        from kalkan.core import randomness

        randomness.use_for_csrf_tokens()
