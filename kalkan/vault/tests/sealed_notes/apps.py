from __future__ import annotations

from django.apps import AppConfig


class SealedNotesConfig(AppConfig):
    name = "kalkan.vault.tests.sealed_notes"
    label = "sealed_notes"

    def ready(self) -> None:
        from kalkan.vault.tests.sealed_notes.models import Note
        from kalkan.vault.workingset import register

        register(Note, kind="note", fields=("title", "body"))
