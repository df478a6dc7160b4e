"""`kalkan cleanup [--grace-hours N]`: remove what a crash left half-written — encrypted
files that no record names and content keys that no record uses — once older than the
grace period (default 6 hours), so an upload still arriving is never touched. `kalkan
serve` runs the same at start. Prints counts only."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kalkan.core.cleanup import DEFAULT_GRACE, clean_orphans


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--grace-hours", type=float, default=DEFAULT_GRACE.total_seconds() / 3600
        )

    def handle(self, *args: Any, **options: Any) -> None:
        hours = options["grace_hours"]
        if hours < 0:
            raise CommandError("--grace-hours cannot be negative")
        cleaned = clean_orphans(timedelta(hours=hours))
        self.stdout.write(
            f"Removed {cleaned.files} orphan files and {cleaned.keys} orphan keys; "
            f"{cleaned.kept_young} younger than the grace period kept."
        )
