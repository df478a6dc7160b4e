from __future__ import annotations

from django.urls import path

from kalkan.intake import views

app_name = "intake"

urlpatterns = [
    path("", views.start, name="start"),
    path("report/", views.report, name="report"),
    # Someone has just been detained (where, since when); someone is in danger now.
    path("report/urgent/", views.report, {"urgent": "detained"}, name="report_urgent"),
    path("report/danger/", views.report, {"urgent": "danger"}, name="report_danger"),
    path("report/saved/", views.receipt_saved, name="receipt_saved"),
    path("mailbox/", views.mailbox, name="mailbox"),
]
