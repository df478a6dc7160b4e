from __future__ import annotations

from django.urls import path

from kalkan.records import exchange_views as views

app_name = "exchange"

urlpatterns = [
    path("", views.exchange_page, name="page"),
    path("export/", views.export, name="export"),
    path("import/", views.import_records, name="import"),
]
