"""`kalkan escrow split --shares N --threshold K`: split the escrow secret among N trustees.

Reads the current escrow secret from standard input (the 21 words of a single sheet, or K
shares of the current split, typed as printed) and makes a NEW escrow key: every escrow
wrap is sealed again to it and the data directory's pin names it. The new key is printed as
N shares, each on a numbered sheet of its own; any K give it back (`kalkan recover`). The old
sheet and the old shares open nothing of this instance afterwards. Where the sheets go
follows `kalkan init`'s rules: a terminal, --escrow-fd N, or --show-escrow.

Why the escrow secret and not an administrator's passphrase: docs/administration.md.
"""

from __future__ import annotations

import os
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kalkan.audit.services import record
from kalkan.core.management.commands.init import escrow_shown, escrow_split_of
from kalkan.vault import crypto
from kalkan.vault.escrow_shares import (
    MAX_SHARES,
    read_typed,
    secret_from_typed,
    split,
    write_sheets,
)
from kalkan.vault.escrow_words import BadEscrowWords
from kalkan.vault.services import (
    BadEscrowSecret,
    EscrowIncomplete,
    replace_escrow_key,
)


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["split"])
        parser.add_argument("--shares", type=int, required=True, metavar="N",
                            help=f"how many trustees get a share (2-{MAX_SHARES})")
        parser.add_argument("--threshold", type=int, required=True, metavar="K",
                            help="how many shares give the escrow secret back (2-N)")
        parser.add_argument("--escrow-fd", type=int, metavar="N",
                            help="write the sheets to this open file descriptor")
        parser.add_argument("--show-escrow", action="store_true",
                            help="print the sheets even when the output is not a terminal")

    def handle(self, *args: Any, **options: Any) -> None:
        shares, threshold = escrow_split_of(options["shares"], options["threshold"]) or (0, 0)
        show = escrow_shown(options, on_terminal=self.stdout.isatty())
        try:
            current = secret_from_typed(read_typed(sys.stdin, self.stdout))
        except BadEscrowWords as e:
            raise CommandError(f"these escrow words are not right: {e}") from None
        try:
            new_secret = replace_escrow_key(current)
        except BadEscrowSecret:
            raise CommandError("these escrow words belong to another Kalkan instance") from None
        except EscrowIncomplete:
            raise CommandError(
                "an escrow wrap did not open (see the log): nothing was changed"
            ) from None
        except RuntimeError as e:
            raise CommandError(str(e)) from None
        sheets = split(new_secret, threshold, shares)
        new_fingerprint = crypto.fingerprint(crypto.public_of(new_secret))
        record("escrow_split", actor_id=None,
               details={"shares": shares, "threshold": threshold})
        if options["escrow_fd"] is not None:
            with os.fdopen(options["escrow_fd"], "w", encoding="ascii", closefd=False) as out:
                write_sheets(out, sheets, threshold, new_fingerprint, pages=True)
        if show:
            write_sheets(self.stdout, sheets, threshold, new_fingerprint, pages=False)
        else:
            self.stdout.write(
                f"The {shares} sheets were written to file descriptor {options['escrow_fd']}."
            )
        self.stdout.write(
            f"\nA new escrow key is in force (fingerprint {new_fingerprint}; the Emergency "
            f"page shows the same): any {threshold} of these {shares} shares give it back.\n"
            "The old escrow words or shares open nothing of this instance any more; see "
            "docs/administration.md for what to do with them."
        )
