from __future__ import annotations

from django.urls import path

from kalkan.records import search_views as views

app_name = "search"

urlpatterns = [
    path("", views.search_page, name="page"),
    path("save/", views.save, name="save"),
    path("saved/<uuid:pk>/forget/", views.forget, name="forget"),
]
