"""Partners and referrals, under /<lang>/staff/referrals/."""

from __future__ import annotations

from django.urls import path

from kalkan.desk import referral_views as views

app_name = "referrals"

urlpatterns = [
    path("partners/", views.partners, name="partners"),
    path("partners/<uuid:pk>/deactivate/", views.deactivate, name="partner_deactivate"),
    path("case/<uuid:pk>/", views.case, name="case"),
    path("case/<uuid:pk>/consent/", views.consent, name="consent"),
    path("case/<uuid:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("case/<uuid:pk>/package/", views.package, name="package"),
]
