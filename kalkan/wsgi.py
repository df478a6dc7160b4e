"""WSGI entry point for gunicorn (`kalkan serve` starts it for you)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalkan.settings")
application = get_wsgi_application()
