"""`kalkan serve`: apply migrations, collect static files, clear expired sessions and run
waitress.

One process with a pool of threads: the unlocked working set (security.md) lives in that
process's memory and is shared by its sessions. No access log is written: it would hold
addresses and user agents.

Why waitress (threat 7, "Silencing"): its event loop reads each request whole, headers and
body, before a worker thread takes it. A visitor trickling a header or a body one byte at a
time holds a socket, never a thread, so 60 of them leave the threads free for everyone else;
and a body cut off half-way (a dropped Tor circuit) never reaches Django at all.
"""

from __future__ import annotations

import sys
import threading
from argparse import SUPPRESS, ArgumentParser
from typing import Any

import waitress
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.core.wsgi import get_wsgi_application

from kalkan.core.cleanup import clean_at_start
from kalkan.core.env import envint
from kalkan.core.i18n import compile_catalogues
from kalkan.core.startup import prepare_in_background

# Room for the form's text fields on top of the files (Django's own limit then refuses an
# oversized report politely, with the typed text shown back).
_FORM_MARGIN_BYTES = 2 * 1048576
# Never: waitress keeps a request or response in memory up to its "overflow" size and spills
# the rest into a temporary file, which would put a report (or a decrypted file a staff member
# downloads) on disk in plaintext. Bodies are capped by max_request_body_size instead, and
# a response waits for the socket above outbuf_high_watermark.
_NEVER_SPILL = sys.maxsize


def waitress_options(listen: list[str]) -> dict[str, Any]:
    """The settings `kalkan serve` gives waitress; a function so a test can check them."""
    max_body = (
        settings.INTAKE_MAX_REPORT_BYTES + settings.INTAKE_MAX_FILE_BYTES + _FORM_MARGIN_BYTES
    )
    return {
        "listen": " ".join(listen),
        "threads": envint("KALKAN_THREADS", 8, minimum=1, maximum=64),
        # Slow clients cost a socket each; past this many, new ones wait in the backlog.
        # Tor's proof-of-work defence and per-circuit stream limit (deploy/torrc.snippet)
        # make it costly for one visitor to reach it.
        "connection_limit": envint("KALKAN_CONNECTIONS", 500, minimum=20, maximum=5000),
        # A connection that sends nothing for this long is dropped (uploads over Tor are slow
        # but not silent for minutes).
        # poll(), not select(): select() fails past 1024 open descriptors.
        "asyncore_use_poll": True,
        "channel_timeout": envint("KALKAN_IDLE_SECONDS", 120, minimum=10, maximum=3600),
        "max_request_body_size": max_body,
        "max_request_header_size": 65536,
        "inbuf_overflow": _NEVER_SPILL,
        "outbuf_overflow": _NEVER_SPILL,
        "outbuf_high_watermark": 16 * 1048576,
        # No "Server: waitress" header and no tracebacks on error pages.
        "ident": "",
        "expose_tracebacks": False,
        # X-Forwarded-Proto reaches Django as it did under gunicorn: Django trusts it only with
        # KALKAN_HTTPS (SECURE_PROXY_SSL_HEADER, behind a TLS proxy). Waitress would strip it.
        "clear_untrusted_proxy_headers": False,
    }


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
        # Models and word lists load now, beside the server, not in someone's first request.
        prepare_in_background()
        host, port = options["host"], options["port"]
        shown_host = f"[{host}]" if ":" in host else host
        if options["demo"]:
            from kalkan.demo import print_codes_forever

            threading.Thread(target=print_codes_forever, args=(self.stdout,), daemon=True).start()
        self.stdout.write(f"Kalkan is serving on http://{shown_host}:{port}/  (Ctrl-C stops it)")
        listen = [f"{shown_host}:{port}"]
        if settings.STAFF_PORT:
            # The staff onion's own port (KALKAN_STAFF_PORT): staff URLs answer only here.
            # Each listening socket gives its own SERVER_PORT, which the staff check reads.
            listen.append(f"{shown_host}:{settings.STAFF_PORT}")
            port = settings.STAFF_PORT
        self.stdout.write(f"Staff log in at http://{shown_host}:{port}/en/staff/login/")
        self.stdout.flush()
        waitress.serve(get_wsgi_application(), **waitress_options(listen))
