from __future__ import annotations

from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    """Analysis and advocacy: dashboards, the legislation tracker, redaction, the publication
    gate and drafts for UN mechanisms (product.md, part 5)."""

    name = "kalkan.analysis"
    label = "analysis"
