from __future__ import annotations

from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "kalkan.intake"
    label = "intake"

    def ready(self) -> None:
        from kalkan.intake.models import Message, Report
        from kalkan.vault.workingset import register

        # What staff can search once they unlock.
        register(Report, kind="report", fields=("narrative", "answers"))
        register(Message, kind="message", fields=("body",))
