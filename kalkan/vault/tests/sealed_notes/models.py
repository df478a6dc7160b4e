"""A sealed model used only by the vault's tests (installed by kalkan.test_settings): the
real mechanism, on the real database, before the apps that store reports exist."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from kalkan.vault.models import SealedRecord


class Note(SealedRecord):
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("title", "body", "file_meta")

    title = models.BinaryField(default=b"")
    body = models.BinaryField(default=b"")
    file_meta = models.BinaryField(default=b"")
    file_name = models.CharField(max_length=64, blank=True)

    class Meta:
        app_label = "sealed_notes"

    def __str__(self) -> str:
        return f"note {self.id}"
