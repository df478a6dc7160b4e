from __future__ import annotations

from django.apps import AppConfig


class RetentionConfig(AppConfig):
    """Retention rules: what the organisation lets go, and when (docs/operations.md,
    "Retention"). Removal destroys each record's content key (crypto-shredding)."""

    name = "kalkan.retention"
    label = "retention"
