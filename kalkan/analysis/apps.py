from __future__ import annotations

from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    """Analysis and advocacy: dashboards, the legislation tracker, redaction, the publication
    gate and drafts for UN mechanisms (product.md, part 5)."""

    name = "kalkan.analysis"
    label = "analysis"

    def ready(self) -> None:
        # The publication gate's system check (KALKAN_PUBLICATION_* never below 5).
        from kalkan.analysis import gate  # noqa: F401

        # Restricting a case seals the law links of the events coded from its reports in the
        # case's key too, like the events themselves.
        from kalkan.analysis.laws import links_of_reports
        from kalkan.desk.services import CASE_RECORD_HOOKS

        if links_of_reports not in CASE_RECORD_HOOKS:
            CASE_RECORD_HOOKS.append(links_of_reports)

        # The redaction model (seconds to load) is ready before the first draft is opened.
        from kalkan.core.startup import at_serve_start

        at_serve_start(_load_redaction_model)


def _load_redaction_model() -> None:
    from kalkan.analysis.redaction import warm_up

    warm_up()
