"""Two URL spaces under a language prefix: the public side at /<lang>/, staff at /<lang>/staff/."""

from __future__ import annotations

from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path

urlpatterns = i18n_patterns(
    path("", include("kalkan.intake.urls")),
    path("staff/audit/", include("kalkan.audit.urls")),
    path("staff/emergency/", include("kalkan.vault.urls")),
    path("staff/retention/", include("kalkan.retention.urls")),
    path("staff/reports/", include("kalkan.desk.urls")),
    path("staff/cases/", include("kalkan.desk.case_urls")),
    path("staff/on-call/", include("kalkan.desk.alert_urls")),
    path("staff/referrals/", include("kalkan.desk.referral_urls")),
    path("staff/search/", include("kalkan.records.search_urls")),
    path("staff/vocabularies/", include("kalkan.records.vocab_urls")),
    path("staff/records/", include("kalkan.records.urls")),
    path("staff/exchange/", include("kalkan.records.exchange_urls")),
    path("staff/laws/", include("kalkan.analysis.law_urls")),
    path("staff/dashboards/", include("kalkan.analysis.dashboard_urls")),
    path("staff/drafts/", include("kalkan.analysis.draft_urls")),
    path("staff/linkage/", include("kalkan.analysis.linkage_urls")),
    path("staff/estimates/", include("kalkan.analysis.estimation_urls")),
    path("staff/", include("kalkan.accounts.urls")),
)

handler400 = "kalkan.core.views.bad_request"
handler403 = "kalkan.core.views.permission_denied"
handler404 = "kalkan.core.views.page_not_found"
handler500 = "kalkan.core.views.server_error"
