"""`kalkan recover --admin NAME`: open the server again with the offline escrow secret.

Reads the escrow words (as printed by `kalkan init`), or any K of the trustees' shares when
the secret was split, from standard input, checks them against
the escrow public key, and enrols NAME as an administrator holding every organisation key:
an existing account is enrolled again (new passphrase, keys and authenticator code), a new
name becomes a new administrator. Other staff are then enrolled again from the Team page.
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kalkan.accounts.models import User
from kalkan.accounts.roles import Role
from kalkan.accounts.services import enrol_staff, reenrol_staff
from kalkan.accounts.totp import qr_terminal
from kalkan.audit.services import record
from kalkan.vault.escrow_shares import read_typed, secret_from_typed
from kalkan.vault.escrow_words import BadEscrowWords
from kalkan.vault.services import BadEscrowSecret, open_with_escrow, unseal


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--admin", required=True, help="the administrator to enrol")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            keyring = open_with_escrow(secret_from_typed(read_typed(sys.stdin, self.stdout)))
        except BadEscrowWords as e:
            raise CommandError(f"these escrow words are not right: {e}") from None
        except BadEscrowSecret:
            raise CommandError("these escrow words belong to another Kalkan instance") from None
        username = options["admin"].strip().lower()
        with transaction.atomic():
            existing = User.objects.filter(username=username).first()
            if existing is not None:
                existing.role = Role.ADMIN
                existing.save(update_fields=["role"])
                enrolment = reenrol_staff(existing, actor=existing, keyring=keyring)
            else:
                enrolment = enrol_staff(username, Role.ADMIN, actor=None, keyring=keyring)
            unseal()
            record("recover", actor_id=None, object_id=str(enrolment.user.pk))
        self.stdout.write(f"Recovered. Administrator: {enrolment.user.username}")
        self.stdout.write(f"Passphrase: {enrolment.passphrase}")
        self.stdout.write(qr_terminal(enrolment.totp_uri))
        self.stdout.write(f"TOTP_URI={enrolment.totp_uri}")
