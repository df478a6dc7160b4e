from __future__ import annotations

from django.urls import path

from kalkan.desk import alert_views

app_name = "alerts"

urlpatterns = [
    path("", alert_views.on_call, name="on_call"),
    path("test/", alert_views.send_test, name="test"),
]
