"""`kalkan escalate`: send the content-free alerts that are due (run it every minute, e.g.
from deploy/kalkan-escalate.timer).

    kalkan escalate              send; one line on stdout ("alerts sent: …" or "nothing new")
    kalkan escalate --dry-run    show who would get which counts; send nothing, change nothing

A failed send (SMTP or webhook) is one line on stderr and exit status 1; nothing is marked as
alerted, so the next run tries again. See docs/alerts.md.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kalkan.desk import alerts


def _emails(count: int) -> str:
    return f"{count} e-mail" if count == 1 else f"{count} e-mails"


def _counts(counts: alerts.Counts) -> str:
    return (
        f"{counts.new_reports} new reports ({counts.urgent} urgent), "
        f"{counts.follow_ups} follow-ups, {counts.escalations} cases needing attention"
    )


class Command(BaseCommand):
    help = "Send the content-free alerts that are due: new reports, follow-ups, escalations."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="show what would be sent; send nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        pending = alerts.collect()
        if options["dry_run"]:
            self._dry_run(pending)
            return
        outcome = alerts.send(pending)
        if outcome.no_recipients:
            self.stdout.write(
                "no recipients: nobody is on call with an e-mail address and "
                "KALKAN_ALERT_WEBHOOK is not set; nothing sent"
            )
            return
        held = self._held_back(outcome.held_back)
        if outcome.nothing_new:
            self.stdout.write("nothing new" + held)
            return
        summary = (
            f"alerts sent: {_emails(outcome.emails_sent)}, "
            f"webhook: {'yes' if outcome.webhook_sent else 'no'}"
        )
        if not outcome.ok:
            if outcome.emails_sent or outcome.webhook_sent:
                self.stdout.write(summary)
            raise CommandError(
                "alert not sent, will retry: " + "; ".join(outcome.errors), returncode=1
            )
        self.stdout.write(summary + held)

    def _held_back(self, count: int) -> str:
        if not count:
            return ""
        return (
            f" ({count} restricted case(s) need attention but none of their members is on call)"
        )

    def _dry_run(self, pending: alerts.Pending) -> None:
        what = alerts.plan(pending)
        if not what.has_recipients:
            self.stdout.write(
                "no recipients: nobody is on call with an e-mail address and "
                "KALKAN_ALERT_WEBHOOK is not set"
            )
            return
        if not what.emails and what.webhook is None:
            self.stdout.write("nothing new (dry run)")
            return
        self.stdout.write(
            f"would send: {_emails(len(what.emails))}, "
            f"webhook: {'yes' if what.webhook is not None else 'no'} (dry run, nothing sent)"
        )
        for person, counts in what.emails:
            self.stdout.write(f"  e-mail to {person.username}: {_counts(counts)}")
        if what.webhook is not None and settings.KALKAN_ALERT_WEBHOOK:
            self.stdout.write(f"  webhook: {_counts(what.webhook)}")
