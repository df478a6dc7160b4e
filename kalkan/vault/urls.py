from __future__ import annotations

from django.urls import path

from kalkan.vault import views

app_name = "vault"

urlpatterns = [path("", views.emergency, name="emergency")]
