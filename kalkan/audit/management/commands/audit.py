"""`kalkan audit verify`: check that no audit entry was changed, removed or reordered.

Exit status 0 when the chain is intact, 1 when it is broken. The printed head hash can be
written down elsewhere: a later verify that ends on the same hash proves nothing before it
was rewritten.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kalkan.audit.services import verify


class Command(BaseCommand):
    help = "Audit log tools. `verify` recomputes the hash chain and reports the first break."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify()
        if not result.intact:
            raise CommandError(f"audit log BROKEN: {result.problem}", returncode=1)
        self.stdout.write(
            f"audit log intact: {result.entries} entries, head {result.head_hash}"
        )
