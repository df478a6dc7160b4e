from __future__ import annotations

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "kalkan.audit"
    label = "audit"

    def ready(self) -> None:
        from kalkan.audit.services import reseal_restricted
        from kalkan.vault.services import REWRAP_HOOKS

        if reseal_restricted not in REWRAP_HOOKS:
            REWRAP_HOOKS.append(reseal_restricted)
