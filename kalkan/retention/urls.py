from __future__ import annotations

from django.urls import path

from kalkan.retention import views

app_name = "retention"

urlpatterns = [
    path("", views.page, name="page"),
    path("rules/", views.save_rules, name="rules"),
    path("apply/", views.apply_rules, name="apply"),
]
