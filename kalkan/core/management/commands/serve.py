"""`kalkan serve`: apply migrations, collect static files, clear expired sessions and run
gunicorn.

One worker process with threads: the unlocked working set (security.md) lives in that
process's memory and is shared by its sessions. No access log is written: it would hold
addresses and user agents.
"""

from __future__ import annotations

import threading
from argparse import SUPPRESS, ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.core.wsgi import get_wsgi_application
from gunicorn.app.base import BaseApplication

from kalkan.core.cleanup import clean_at_start
from kalkan.core.env import envint
from kalkan.core.i18n import compile_catalogues


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return get_wsgi_application()


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--demo", action="store_true", help=SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        # Expired sessions would date what people did; deploy/kalkan-sessions.timer clears
        # them while serving.
        call_command("clearsessions", verbosity=0)
        # What a crash (kill -9, power loss) left half-written: files and keys with no record.
        clean_at_start()
        compile_catalogues()
        host, port = options["host"], options["port"]
        shown_host = f"[{host}]" if ":" in host else host
        if options["demo"]:
            from kalkan.demo import print_codes_forever

            threading.Thread(target=print_codes_forever, args=(self.stdout,), daemon=True).start()
        self.stdout.write(f"Kalkan is serving on http://{shown_host}:{port}/  (Ctrl-C stops it)")
        binds = [f"{shown_host}:{port}"]
        if settings.STAFF_PORT:
            # The staff onion's own port (KALKAN_STAFF_PORT): staff URLs answer only here.
            binds.append(f"{shown_host}:{settings.STAFF_PORT}")
            port = settings.STAFF_PORT
        self.stdout.write(f"Staff log in at http://{shown_host}:{port}/en/staff/login/")
        _Gunicorn(
            {
                "bind": binds,
                "workers": 1,
                "worker_class": "gthread",
                "threads": envint("KALKAN_THREADS", 8, minimum=1, maximum=64),
                # Reports over Tor upload slowly.
                "timeout": 300,
                "accesslog": None,
                "errorlog": "-",
                "loglevel": "warning",
            }
        ).run()
