"""Estimating the undocumented, under /<lang>/staff/estimates/."""

from __future__ import annotations

from django.urls import path

from kalkan.analysis import estimation_views as views

app_name = "estimates"

urlpatterns = [
    path("", views.page, name="page"),
    path("attach/", views.attach, name="attach"),
    path("job/<str:job_id>/", views.job_page, name="job"),
]
