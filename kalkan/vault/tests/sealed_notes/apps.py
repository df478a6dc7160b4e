from __future__ import annotations

from django.apps import AppConfig


class SealedNotesConfig(AppConfig):
    name = "kalkan.vault.tests.sealed_notes"
    label = "sealed_notes"
