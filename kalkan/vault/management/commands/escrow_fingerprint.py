"""`kalkan escrow_fingerprint`: the fingerprint of the escrow key the words on a sheet spell.

Reads the escrow words (or K shares of a split) from standard input and prints their key's
fingerprint and whether it is the key this server seals to (the one pinned in the data
directory). Nothing else happens: use it to check an escrow sheet printed before sheets
carried a fingerprint, or after the Emergency page shows one you do not recognise.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kalkan.vault import crypto
from kalkan.vault.escrow_shares import read_typed, secret_from_typed
from kalkan.vault.escrow_words import BadEscrowWords
from kalkan.vault.services import escrow_fingerprint


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            secret = secret_from_typed(read_typed(sys.stdin, self.stdout))
        except BadEscrowWords as e:
            raise CommandError(f"these escrow words are not right: {e}") from None
        theirs = crypto.fingerprint(crypto.public_of(secret))
        ours = escrow_fingerprint()
        self.stdout.write(f"Fingerprint of these words: {theirs}")
        if not ours:
            self.stdout.write("This server has not pinned its escrow key yet.")
        elif ours == theirs:
            self.stdout.write("They match the escrow key this server seals to.")
        else:
            raise CommandError(
                f"they do NOT match the escrow key this server seals to ({ours})"
            )
