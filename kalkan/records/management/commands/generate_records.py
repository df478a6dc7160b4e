"""`kalkan generate_records`: fill an instance with fictional records, for a demonstration,
for training or to measure search at scale.

    kalkan generate_records --acts 100000 [--seed 0] --as USERNAME [--add]

The records are sealed like real ones, so the keys must be unlocked: an administrator or a
documentation officer gives their passphrase (asked on the terminal, or read as one line
from standard input). Everything is invented (kalkan.records.generator) and every event
says so in its details, but generated records would still sit among real ones in lists and
counts: an instance that already holds events is refused unless --add is given.
"""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kalkan.accounts.roles import Capability
from kalkan.audit.services import record
from kalkan.records.generator import generate
from kalkan.records.models import Event
from kalkan.vault import terminal


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--acts", type=int, required=True, help="how many acts to make")
        parser.add_argument("--seed", type=int, default=0,
                            help="the same seed makes the same records")
        parser.add_argument("--as", dest="acting", required=True,
                            help="an administrator or documentation officer")
        parser.add_argument("--add", action="store_true",
                            help="add to an instance that already holds events")

    def handle(self, *args: Any, **options: Any) -> None:
        acts = options["acts"]
        if acts < 1:
            raise CommandError("--acts must be at least 1")
        existing = Event.objects.count()
        if existing and not options["add"]:
            raise CommandError(
                f"this instance already holds {existing} events: fictional records would "
                "mix with them. Pass --add to add them anyway."
            )
        user, keyring = terminal.unlock(options["acting"], Capability.CODE_RECORDS,
                                        "may not code records")
        began = time.perf_counter()
        counts = generate(keyring, acts=acts, seed=options["seed"], by=user)
        elapsed = time.perf_counter() - began
        record("records.generated", actor_id=user.pk,
               details={"seed": options["seed"], **counts})
        self.stdout.write(
            f"Made {counts['acts']} acts in {counts['events']} events, "
            f"{counts['persons']} persons ({counts['victims']} victims, "
            f"{counts['perpetrators']} perpetrators), {counts['involvements']} involvements "
            f"and {counts['sources']} sources in {elapsed:.1f} s (seed {options['seed']})."
        )
