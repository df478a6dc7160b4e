"""`kalkan partner_key [--out FILE]`: make a key pair for a partner organisation.

For an administrator preparing a partner who cannot run tools/kalkan_referral.py
themselves. Writes the SECRET key to FILE (mode 0600, never overwritten), in the format
`kalkan_referral.py open --key FILE` reads, and prints the public key (base64) to paste on
the Partners page, with its fingerprint. Nothing is stored in Kalkan.

Better still, the partner runs `python3 kalkan_referral.py keygen` on their own computer,
so their secret never exists anywhere else. If you make it for them: make it on a computer
you trust, hand the file over in person (not by e-mail or chat), and delete your copy.
See docs/referrals.md.
"""

from __future__ import annotations

import base64
import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kalkan.desk.referrals import fingerprint
from kalkan.vault import crypto

DEFAULT_KEY_FILE = "kalkan-referral.key"


def key_file_text(secret_key: bytes, public_key: bytes) -> str:
    """The same file tools/kalkan_referral.py keygen writes."""
    return (
        "# Kalkan referral SECRET key. Keep it private; never send it to anyone.\n"
        f"# public key: {base64.b64encode(public_key).decode('ascii')}\n"
        f"# fingerprint: {fingerprint(public_key)}\n"
        f"{base64.b64encode(secret_key).decode('ascii')}\n"
    )


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--out", default=DEFAULT_KEY_FILE,
            help=f"where to write the partner's secret key (default {DEFAULT_KEY_FILE})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        secret, public = crypto.new_keypair()
        try:
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise CommandError(f"{out} exists already; not overwriting a key") from None
        except OSError as e:
            raise CommandError(f"cannot write {out}: {e.strerror}") from None
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(key_file_text(secret, public))
        os.chmod(out, 0o600)
        self.stdout.write(
            f"The partner's SECRET key is in {out} (readable only by you). Hand it to the "
            "partner in person, then delete your copy.\n"
            "Paste this PUBLIC key on the Partners page:\n\n"
            f"    {base64.b64encode(public).decode('ascii')}\n\n"
            f"Fingerprint (the Partners page shows the same): {fingerprint(public)}"
        )
