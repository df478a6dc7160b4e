"""`kalkan panic`: make the whole server unreadable, now.

Deletes every staff member's wrap of the organisation keys and every session. Nothing on the
server can then be decrypted, by anyone, until the offline escrow secret is brought back with
`kalkan recover`. Asks for the word PANIC unless --yes is given.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kalkan.audit.services import record
from kalkan.vault.services import panic


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            if not sys.stdin.isatty():
                raise CommandError("pass --yes when nobody can be asked")
            answer = input("Type PANIC to make this server unreadable until escrow recovery: ")
            if answer.strip() != "PANIC":
                raise CommandError("nothing was changed")
        panic()
        record("panic", actor_id=None)
        self.stdout.write(
            "The server is sealed: no staff key opens anything any more and every session has "
            "ended. To recover, bring the escrow secret and run `kalkan recover`."
        )
