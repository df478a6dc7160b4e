"""The baseline for benchmarks/intake.py: a plain Django form that stores the same text
unencrypted, served the way `kalkan serve` serves (waitress, the same number of threads), on
SQLite with the same durability (WAL, synchronous=FULL). Nothing else: no sessions, no
encryption, no limits, one INSERT per report.

    python benchmarks/plain_form.py --port 8123 --data-dir /tmp/plain
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django
from django.conf import settings

PAGE = """<!doctype html><html><head><title>Report</title></head><body>{body}</body></html>"""


def configure(data_dir: Path) -> None:
    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        SECRET_KEY=secrets.token_hex(32),
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=["django.contrib.contenttypes"],
        MIDDLEWARE=[
            "django.middleware.security.SecurityMiddleware",
            "django.middleware.common.CommonMiddleware",
            # Tor Browser's "Origin: null", as Kalkan accepts it (the token decides).
            "kalkan.core.csrf.CsrfViewMiddleware",
        ],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": data_dir / "plain.sqlite3",
                "OPTIONS": {
                    "transaction_mode": "IMMEDIATE",
                    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
                },
            }
        },
        CSRF_TRUSTED_ORIGINS=[],
        USE_TZ=True,
    )
    django.setup()


def make_report_model():  # type: ignore[no-untyped-def]
    from django.db import models

    class PlainReport(models.Model):
        reporter_role = models.CharField(max_length=40)
        narrative = models.TextField()
        receipt = models.CharField(max_length=40)
        created = models.DateTimeField(auto_now_add=True)

        class Meta:
            app_label = "contenttypes"

        def __str__(self) -> str:
            return self.receipt

    return PlainReport


def urls():  # type: ignore[no-untyped-def]
    from django import forms
    from django.http import HttpResponse
    from django.middleware.csrf import get_token
    from django.urls import path
    from django.utils.html import escape

    class ReportForm(forms.Form):
        reporter_role = forms.CharField(max_length=40)
        narrative = forms.CharField(max_length=20000)

    def report(request):  # type: ignore[no-untyped-def]
        if request.method == "POST":
            form = ReportForm(request.POST)
            if form.is_valid():
                receipt = secrets.token_hex(8)
                Report.objects.create(receipt=receipt, **form.cleaned_data)
                return HttpResponse(PAGE.format(body=f'<p class="secret">{receipt}</p>'))
        token = escape(get_token(request))
        return HttpResponse(PAGE.format(body=(
            f'<form method="post"><input type="hidden" name="csrfmiddlewaretoken" '
            f'value="{token}"><textarea name="narrative"></textarea>'
            '<input name="reporter_role"><button>Send</button></form>'
        )))

    def home(request):  # type: ignore[no-untyped-def]
        return HttpResponse(PAGE.format(body="<p>Plain</p>"))

    return [path("en/report/", report), path("en/", home)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    configure(args.data_dir)
    global Report, urlpatterns
    Report = make_report_model()
    urlpatterns = urls()
    from django.db import connection

    with connection.schema_editor() as editor:
        editor.create_model(Report)
    connection.close()
    import waitress
    from django.core.wsgi import get_wsgi_application

    waitress.serve(get_wsgi_application(), host="127.0.0.1", port=args.port,
                   threads=args.threads, _quiet=True)


Report = None
urlpatterns: list[object] = []

if __name__ == "__main__":
    main()
