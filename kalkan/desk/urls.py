from __future__ import annotations

from django.urls import path

from kalkan.desk import views

app_name = "desk"

urlpatterns = [
    path("", views.reports, name="reports"),
    path("new/", views.enter_on_behalf, name="enter"),
    path("new/urgent/", views.enter_on_behalf, {"urgent": True}, name="enter_urgent"),
    path("<uuid:pk>/", views.report, name="report"),
    path("evidence/<uuid:pk>/<str:kind>/", views.evidence_file, name="evidence"),
]
