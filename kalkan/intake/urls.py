from __future__ import annotations

from django.urls import path

from kalkan.intake import views

app_name = "intake"

urlpatterns = [path("", views.start, name="start")]
