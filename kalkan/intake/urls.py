from __future__ import annotations

from django.urls import path

from kalkan.intake import views

app_name = "intake"

urlpatterns = [
    path("", views.start, name="start"),
    path("report/", views.report, name="report"),
    path("report/urgent/", views.report, {"urgent": True}, name="report_urgent"),
    path("report/saved/", views.receipt_saved, name="receipt_saved"),
    path("mailbox/", views.mailbox, name="mailbox"),
]
