"""`kalkan records`: the complete archive of the documentation records (kalkan.records.archive).

    kalkan records export --all --as USERNAME --out FILE
                          (--to-partner PUBLIC_KEY | --passphrase | --plaintext) [--identity]
    kalkan records import --as USERNAME FILE [--key SECRET_KEY_FILE]

The acting person's passphrase is asked on the terminal (or read as the first line of
standard input); an archive passphrase is asked next (or read as the second line). A
partner's public key is the base64 text their `kalkan_referral.py keygen` printed; the
fingerprint is printed so both sides can compare it by phone. `--plaintext` writes an archive
anyone can read: only when it must be, and the passphrase is asked for that (as the web page
asks for a fresh login). The file is created readable only by its owner; an existing file is
never overwritten.

`import` also takes a version-1 export (JSON, or the ZIP of CSV tables) made by an older
Kalkan. Nothing is stored unless all of the file is right; the problems are listed with the
member, the row and what is wrong.
"""

from __future__ import annotations

import base64
import binascii
import getpass
import os
import sys
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kalkan.accounts.models import User
from kalkan.accounts.roles import Capability
from kalkan.audit.services import record
from kalkan.records import archive, exchange
from kalkan.vault import crypto
from kalkan.vault import services as vault
from kalkan.vault.keyring import Keyring


def _line(prompt: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\n")


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        out = sub.add_parser("export", help="write the complete archive")
        out.add_argument("--all", action="store_true", required=True,
                         help="every record kind with the evidence files (format 2)")
        out.add_argument("--as", dest="acting", required=True)
        out.add_argument("--out", required=True, help="the archive file to create")
        lock = out.add_mutually_exclusive_group(required=True)
        lock.add_argument("--to-partner", metavar="PUBLIC_KEY",
                          help="a partner's public key (base64)")
        lock.add_argument("--passphrase", action="store_true",
                          help="lock with a passphrase (asked)")
        lock.add_argument("--plaintext", action="store_true",
                          help="not encrypted: anyone who gets the file reads it")
        out.add_argument("--identity", action="store_true",
                         help="include real names and contacts")
        into = sub.add_parser("import", help="import an archive or a version-1 export")
        into.add_argument("--as", dest="acting", required=True)
        into.add_argument("--key", help="your secret key file, for an archive sealed to you")
        into.add_argument("file")

    def _unlock(self, username: str) -> tuple[User, Keyring]:
        if vault.is_sealed():
            raise CommandError("the server is sealed (panic): run `kalkan recover` first")
        username = username.strip().lower()
        passphrase = _line(f"Passphrase of {username}: ")
        user = User.objects.filter(username=username, is_active=True).first()
        if user is not None and user.is_locked():
            raise CommandError(f"{username} is locked after too many failed attempts")
        keyring = vault.unlock(user, passphrase)  # one Argon2id run either way, as at login
        if user is None or keyring is None:
            raise CommandError("the username or passphrase is not right")
        if not user.can(Capability.CODE_RECORDS):
            raise CommandError(f"{username} may not export or import records")
        return user, keyring

    def handle(self, *args: Any, **options: Any) -> None:
        user, keyring = self._unlock(options["acting"])
        if options["action"] == "export":
            self.export(user, keyring, options)
        else:
            self.import_(user, keyring, options)

    def export(self, user: User, keyring: Keyring, options: dict[str, Any]) -> None:
        if options["to_partner"]:
            try:
                lock = archive.Lock.partner(base64.b64decode(options["to_partner"],
                                                             validate=True))
            except (binascii.Error, ValueError):
                raise CommandError("--to-partner needs the partner's public key in base64 "
                                   "(32 bytes)") from None
            self.stdout.write(f"Sealed to the key with fingerprint "
                              f"{crypto.fingerprint(lock.public_key)}: compare it with the "
                              "partner by phone.")
        elif options["passphrase"]:
            try:
                lock = archive.Lock.with_passphrase(_line("Archive passphrase: "))
            except ValueError as refused:
                raise CommandError(str(refused)) from None
        else:
            lock = archive.Lock.plaintext()
        path = Path(options["out"])
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise CommandError(f"{path} exists already; not overwriting it") from None
        try:
            with os.fdopen(fd, "wb") as out:
                manifest = archive.export_archive(out, keyring, user, lock=lock,
                                                  include_identity=options["identity"])
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        record("records.archive_exported", actor_id=user.pk, details={
            "lock": lock.kind, "identity": options["identity"], "files": manifest["files"],
            **{k: v for k, v in manifest["counts"].items() if v}})
        counts = ", ".join(f"{n} {table}" for table, n in manifest["counts"].items() if n)
        self.stdout.write(f"Wrote {path}: {counts}; {manifest['files']} files "
                          f"(lock: {lock.kind}).")

    def import_(self, user: User, keyring: Keyring, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        began = time.perf_counter()
        with path.open("rb") as source:
            if archive.is_archive(source):
                secret = None
                if options["key"]:
                    try:
                        secret = archive.read_key_file(Path(options["key"]).read_text("ascii"))
                    except (OSError, ValueError) as refused:
                        raise CommandError(f"{options['key']}: {refused}") from None
                passphrase = None if secret else _line("Archive passphrase (empty if none): ")
                result = archive.import_archive(source, keyring, user, secret_key=secret,
                                                passphrase=passphrase or None)
                errors, created = result.errors, result.created
            else:
                data = source.read()
                v1 = (exchange.import_json(data, keyring, user) if data.lstrip()[:1] == b"{"
                      else exchange.import_csv(data, keyring, user))
                errors, created = [str(e) for e in v1.errors], v1.created
        if errors:
            for problem in errors:
                self.stderr.write(problem)
            raise CommandError(f"nothing was imported: {len(errors)} problems")
        elapsed = time.perf_counter() - began
        record("records.archive_imported", actor_id=user.pk,
               details={k: v for k, v in created.items() if v})
        counts = ", ".join(f"{n} {table}" for table, n in created.items() if n)
        self.stdout.write(f"Imported {counts} in {elapsed:.1f} s.")
