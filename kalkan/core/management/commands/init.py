"""`kalkan init`: set up a new instance and its first administrator.

Rules: the data directory must be new or empty (an existing instance is never overwritten);
the administrator's passphrase is generated (six diceware words), never chosen here; the
TOTP enrolment is shown once, as a QR code in the terminal and as an otpauth URI. With
--non-interactive the result is printed as KEY=VALUE lines for scripts.

The escrow words open everything; on a terminal they are shown once, as words and a QR
code. When the output is not a terminal (a script, a pipe, a log) they are written only
where asked: --escrow-fd N writes them to an open file descriptor (`3>escrow.txt`), and
--show-escrow prints them with the rest. Asked for neither, init refuses before creating
anything, rather than make a server whose escrow secret nobody kept.

With --escrow-shares N --escrow-threshold K the escrow secret is split among N trustees
instead (SLIP-39): each share on a numbered sheet of its own, any K of them give it back
(`kalkan recover`). The same rules say where the sheets go.
"""

from __future__ import annotations

import os
import sys
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from kalkan.accounts.models import username_validator
from kalkan.accounts.roles import Role
from kalkan.accounts.services import enrol_staff
from kalkan.accounts.totp import qr_terminal
from kalkan.vault.crypto import fingerprint, public_of
from kalkan.vault.escrow_shares import MAX_SHARES, split, write_sheets
from kalkan.vault.escrow_words import show_escrow_secret, to_words
from kalkan.vault.services import found_organisation


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--admin", help="username of the first administrator")
        parser.add_argument(
            "--non-interactive", action="store_true", help="ask nothing; print KEY=VALUE lines"
        )
        parser.add_argument(
            "--escrow-fd", type=int, metavar="N",
            help="write the escrow words to this open file descriptor (e.g. 3>escrow.txt)",
        )
        parser.add_argument(
            "--show-escrow", action="store_true",
            help="print the escrow words even when the output is not a terminal",
        )
        parser.add_argument(
            "--escrow-shares", type=int, metavar="N",
            help=f"split the escrow secret into N shares for N trustees (2-{MAX_SHARES})",
        )
        parser.add_argument(
            "--escrow-threshold", type=int, metavar="K",
            help="how many of the shares give the escrow secret back (2-N)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interactive = not options["non_interactive"]
        username = options["admin"]
        if not username:
            if not interactive or not sys.stdin.isatty():
                raise CommandError("--admin NAME is needed when nobody can be asked")
            username = input("Username of the first administrator (a nickname is safer): ")
        username = username.strip().lower()
        try:
            username_validator(username)
        except ValidationError:
            raise CommandError(
                f"{username!r} is not a valid username: use 3-40 lower-case Latin letters, "
                "digits, dots, dashes or underscores"
            ) from None

        split_as = escrow_split_of(options["escrow_shares"], options["escrow_threshold"])
        escrow_fd = options["escrow_fd"]
        show_escrow = escrow_shown(options, on_terminal=interactive and self.stdout.isatty())

        call_command("migrate", interactive=False, verbosity=0)
        founding = found_organisation()
        enrolment = enrol_staff(username, Role.ADMIN, actor=None, keyring=founding.keyring)
        escrow = " ".join(to_words(founding.escrow_secret))
        # Written on the escrow sheet; the admin pages show the same, so a swapped escrow
        # key is seen (docs/threat-model.md, the database writer).
        escrow_fingerprint = fingerprint(public_of(founding.escrow_secret))
        count, threshold = split_as or (0, 0)
        shares = split(founding.escrow_secret, threshold, count) if split_as else []
        if escrow_fd is not None:
            with os.fdopen(escrow_fd, "w", encoding="ascii", closefd=False) as out:
                if shares:
                    write_sheets(out, shares, threshold, escrow_fingerprint, pages=True)
                else:
                    out.write(escrow + "\n")

        if not interactive:
            self.stdout.write(f"DATA_DIR={settings.DATA_DIR}")
            self.stdout.write(f"ADMIN={enrolment.user.username}")
            self.stdout.write(f"PASSPHRASE={enrolment.passphrase}")
            self.stdout.write(f"TOTP_URI={enrolment.totp_uri}")
            if show_escrow and shares:
                self.stdout.write(f"ESCROW_THRESHOLD={threshold}")
                for number, words in enumerate(shares, start=1):
                    self.stdout.write(f"ESCROW_SHARE_{number}={' '.join(words)}")
            elif show_escrow:
                self.stdout.write(f"ESCROW_WORDS={escrow}")
            self.stdout.write(f"ESCROW_FINGERPRINT={escrow_fingerprint}")
            return
        if show_escrow and shares:
            write_sheets(self.stdout, shares, threshold, escrow_fingerprint, pages=False)
        elif show_escrow:
            show_escrow_secret(self.stdout, escrow)
        else:
            self.stdout.write(f"\nThe escrow words were written to file descriptor {escrow_fd}.")
        self.stdout.write(
            f"Escrow key fingerprint (write it on the sheet; the Emergency page shows the "
            f"same): {escrow_fingerprint}\n"
        )
        self.stdout.write(f"\nA new Kalkan instance is ready in {settings.DATA_DIR}\n")
        self.stdout.write(f"Administrator: {enrolment.user.username}")
        self.stdout.write(f"Passphrase:    {enrolment.passphrase}\n")
        self.stdout.write("Scan this code with an authenticator app (Aegis, FreeOTP, ...):\n")
        self.stdout.write(qr_terminal(enrolment.totp_uri))
        self.stdout.write(f"or enter: {enrolment.totp_uri}\n")
        self.stdout.write(
            "This is shown only once. Learn the passphrase by heart; never keep it next to "
            "the phone with the authenticator.\n"
            f"Start the server with: kalkan serve --data-dir {settings.DATA_DIR}"
        )


def escrow_split_of(shares: int | None, threshold: int | None) -> tuple[int, int] | None:
    """(shares, threshold) of a split asked for, checked; None when none was."""
    if shares is None and threshold is None:
        return None
    if shares is None or threshold is None:
        raise CommandError("a split needs both a number of shares and a threshold")
    if not 2 <= threshold <= shares <= MAX_SHARES:
        raise CommandError(
            f"a split needs 2 <= threshold <= shares <= {MAX_SHARES} (asked: any {threshold} "
            f"of {shares})"
        )
    return shares, threshold


def escrow_shown(options: dict[str, Any], *, on_terminal: bool) -> bool:
    """Whether the escrow words (or shares) are printed with the rest; refuses, before
    anything is made, when they would go only to a log or to a closed descriptor."""
    escrow_fd = options["escrow_fd"]
    show_escrow = bool(options["show_escrow"]) or (on_terminal and escrow_fd is None)
    if escrow_fd is not None:
        try:
            os.fstat(escrow_fd)
        except OSError:
            raise CommandError(f"--escrow-fd {escrow_fd}: not an open file descriptor") from None
    elif not show_escrow:
        raise CommandError(
            "the output is not a terminal, so the escrow words would end up in a log: pass "
            "--escrow-fd N to write them to a file descriptor (e.g. 3>escrow.txt), or "
            "--show-escrow to print them anyway"
        )
    return show_escrow
