from __future__ import annotations

from django.urls import path

from kalkan.records import vocab_views as views

app_name = "vocabularies"

urlpatterns = [
    path("", views.vocabularies, name="all"),
    path("<slug:name>/", views.vocabulary_page, name="list"),
    path("<slug:name>/switch/", views.switch, name="switch"),
]
