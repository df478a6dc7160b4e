"""`kalkan retention [--data-dir DIR] [--apply]`: what the retention rules would remove now,
rule by rule (counts, never content); with --apply, remove it. Rules that are off are shown
and never applied; an administrator turns them on on the staff page "Retention". Both runs
are written to the audit log, with counts only. docs/operations.md, "Retention"."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from kalkan.audit.services import record
from kalkan.retention import services
from kalkan.retention.services import Kind, Tally

NOUNS = {
    Kind.SET_ASIDE: "reports",
    Kind.CLOSED_CASES: "cases",
    Kind.MAILBOXES: "mailboxes",
    Kind.SESSIONS: "sessions",
    Kind.ORPHANS: "orphan keys",
}


def line(tally: Tally, *, applied: bool) -> str:
    # Mailboxes are closed (the receipt opens nothing), not removed: their messages stay.
    close = tally.kind == Kind.MAILBOXES
    if applied:
        verb = ("closed" if close else "removed") if tally.enabled else "(rule off)"
    else:
        verb = "would close" if close else "would go"
        verb += "" if tally.enabled else " if the rule were on"
    if not tally.enabled:
        rule = "off"
    elif tally.clocked:
        rule = f"on, after {tally.days} days"
    else:
        rule = "on"
    parts = [f"{tally.items} {NOUNS[Kind(tally.kind)]}"]
    if tally.kind == Kind.CLOSED_CASES:
        parts.append(f"{tally.reports} reports")
    if tally.kind in (Kind.SET_ASIDE, Kind.CLOSED_CASES, Kind.ORPHANS):
        parts.append(f"{tally.files} files")
    kept = f"; {tally.kept} kept" if tally.kept else ""
    return f"{tally.kind:<13} {rule:<22} {', '.join(parts)} {verb}{kept}"


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--apply", action="store_true",
                            help="remove what the rules that are on select")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["apply"]:
            tallies = services.apply()
            record("retention.apply", actor_id=None, details=services.as_details(tallies))
            for tally in tallies:
                self.stdout.write(line(tally, applied=True))
            return
        tallies = services.preview()
        record("retention.preview", actor_id=None, details=services.as_details(tallies))
        for tally in tallies:
            self.stdout.write(line(tally, applied=False))
        self.stdout.write("Nothing was removed: run with --apply to apply the rules that are on.")
