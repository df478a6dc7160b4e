"""The linkage export, under /<lang>/staff/linkage/."""

from __future__ import annotations

from django.urls import path

from kalkan.analysis import linkage_views as views

app_name = "linkage"

urlpatterns = [
    path("", views.export_page, name="export"),
]
