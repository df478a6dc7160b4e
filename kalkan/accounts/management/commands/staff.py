"""`kalkan staff`: manage staff from the terminal, as an administrator would on the web.

    kalkan staff list
    kalkan staff add NAME --role ROLE --as ADMIN     new person: passphrase + TOTP shown once
    kalkan staff reenrol NAME --as ADMIN             forgotten passphrase or lost phone
    kalkan staff remove NAME --as ADMIN              cut off now; new organisation keys
    kalkan staff passphrase NAME                     the person changes their own passphrase
    kalkan staff unlock NAME                         end NAME's wait after failed logins

Rules: every change except `list` and `unlock` needs the acting administrator's passphrase
and a fresh TOTP code (asked on the terminal, or read as two lines from standard input),
because the organisation keys must be unlocked to give them to someone. Failures count towards the
person's wait after failed logins, exactly as on the web, and every change is in the audit
log. `unlock` asks for nothing: whoever runs it is on the server already, and it is the way
back in for an administrator whom failed logins keep waiting (it is audited).
"""

from __future__ import annotations

import getpass
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kalkan.accounts import services
from kalkan.accounts.models import User
from kalkan.accounts.roles import Capability, Role
from kalkan.accounts.totp import qr_terminal
from kalkan.audit.services import record
from kalkan.core.words import new_passphrase
from kalkan.vault import services as vault
from kalkan.vault.keyring import Keyring


def _ask(prompt: str, *, secret: bool) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(prompt) if secret else input(prompt)
    return sys.stdin.readline().rstrip("\n")


def _waiting(name: str) -> str:
    return (
        f"{name} must wait after too many failed attempts "
        f"(or someone on the server runs `kalkan staff unlock {name}`)"
    )


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "action", choices=["list", "add", "reenrol", "remove", "passphrase", "unlock"]
        )
        parser.add_argument("name", nargs="?", default="")
        parser.add_argument("--role", choices=[role.value for role in Role])
        parser.add_argument("--as", dest="acting", default="", help="the acting administrator")

    def handle(self, *args: Any, **options: Any) -> None:
        action, name = options["action"], options["name"].strip().lower()
        if action == "list":
            for user in User.objects.all():
                state = "active" if user.is_active else "disabled"
                state += ", waiting after failed logins" if user.is_locked() else ""
                self.stdout.write(f"{user.username:<24} {user.role:<12} {state}")
            return
        if not name:
            raise CommandError(f"`kalkan staff {action}` needs a username")
        if action == "passphrase":
            self._change_passphrase(name)
            return
        if action == "unlock":
            self._unlock(name)
            return
        admin, keyring = self._unlock_admin(options["acting"])
        if action == "add":
            if not options["role"]:
                raise CommandError("--role is needed: " + ", ".join(r.value for r in Role))
            if User.objects.filter(username=name).exists():
                raise CommandError(f"{name!r} already exists")
            enrolment = services.enrol_staff(name, options["role"], actor=admin, keyring=keyring)
            self._show(enrolment)
            return
        person = User.objects.filter(username=name).first()
        if person is None:
            raise CommandError(f"there is no staff member {name!r}")
        try:
            if action == "reenrol":
                self._show(services.reenrol_staff(person, actor=admin, keyring=keyring))
            else:
                epoch = services.disable_staff(person, actor=admin, keyring=keyring)
                self.stdout.write(
                    f"{name} is cut off: sessions ended, keys removed, organisation keys now "
                    f"at epoch {epoch}."
                )
        except services.StaffChangeRefused as refused:
            raise CommandError(str(refused)) from None

    def _unlock_admin(self, acting: str) -> tuple[User, Keyring]:
        if not acting:
            raise CommandError("--as ADMIN is needed: an administrator must unlock the keys")
        if vault.is_sealed():
            raise CommandError("the server is sealed (panic): run `kalkan recover` first")
        passphrase = _ask(f"Passphrase of {acting}: ", secret=True)
        code = _ask("Code from the authenticator app: ", secret=False)
        result = services.check_credentials(acting.lower(), passphrase, code, purpose="cli")
        if result.refusal is services.Refusal.DELAYED:
            raise CommandError(_waiting(acting))
        if result.refusal is not None or result.user is None or result.keyring is None:
            raise CommandError("the username, passphrase or code is not right")
        if not result.user.can(Capability.MANAGE_STAFF):
            raise CommandError(f"{acting} is not an administrator")
        return result.user, result.keyring

    def _change_passphrase(self, name: str) -> None:
        person = User.objects.filter(username=name, is_active=True).first()
        if person is None:
            raise CommandError(f"there is no active staff member {name!r}")
        current = _ask("Current passphrase: ", secret=True)
        code = _ask("Code from the authenticator app: ", secret=False)
        suggestion = new_passphrase()
        if sys.stdin.isatty():
            self.stdout.write(f"A strong new passphrase, if you like it: {suggestion}")
        new = _ask("New passphrase: ", secret=True)
        from django.contrib.auth import password_validation
        from django.core.exceptions import ValidationError

        try:
            password_validation.validate_password(new, person)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        # Checked and counted like a login, as on the web.
        result = services.check_credentials(name, current, code, purpose="passphrase")
        if result.refusal is services.Refusal.DELAYED:
            raise CommandError(_waiting(name))
        if result.refusal is not None or not vault.change_passphrase(person, current, new):
            raise CommandError("the passphrase or code is not right")
        record("passphrase.change", actor_id=person.pk, object_id=str(person.pk))
        self.stdout.write("The passphrase is changed.")

    def _unlock(self, name: str) -> None:
        person = User.objects.filter(username=name).first()
        if person is None:
            raise CommandError(f"there is no staff member {name!r}")
        services.unlock(person, actor=None, via="terminal")
        self.stdout.write(f"{name} can log in again at once.")

    def _show(self, enrolment: services.Enrolment) -> None:
        self.stdout.write(f"Staff member: {enrolment.user.username} ({enrolment.user.role})")
        self.stdout.write(f"Passphrase:   {enrolment.passphrase}")
        self.stdout.write(qr_terminal(enrolment.totp_uri))
        self.stdout.write(f"TOTP_URI={enrolment.totp_uri}")
        self.stdout.write("Shown only now: hand it over in person.")
