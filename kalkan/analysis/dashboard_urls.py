from __future__ import annotations

from django.urls import path

from kalkan.analysis import dashboard_views as views

app_name = "dashboards"

urlpatterns = [
    path("", views.dashboard, name="page"),
    path("chart/<str:name>.svg", views.chart, name="chart"),
]
