from __future__ import annotations

from django.urls import path

from kalkan.records import exchange_views as views

app_name = "exchange"

urlpatterns = [
    path("", views.exchange_page, name="page"),
    path("export/", views.export, name="export"),
    path("import/", views.import_records, name="import"),
    path("archive/export/", views.archive_export, name="archive_export"),
    path("archive/import/", views.archive_import, name="archive_import"),
    path("archive/import/<str:job_id>/", views.archive_import_job, name="archive_import_job"),
]
