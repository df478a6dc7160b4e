"""Drafts for UN mechanisms, under /<lang>/staff/drafts/."""

from __future__ import annotations

from django.urls import path

from kalkan.analysis import draft_views as views

app_name = "drafts"

urlpatterns = [
    path("", views.draft_list, name="list"),
    path("<str:pk>/", views.draft_page, name="draft"),
    path("<str:pk>/review/", views.review, name="review"),
    path("<str:pk>/download/", views.download, name="download"),
]
