"""The demo instance: fictional staff, one per role, and (as later parts land) fictional data.

Everything goes through the same services the web uses. Names are invented; none belongs
to a real person.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import OutputWrapper
from django.utils import translation

from kalkan.accounts.models import User
from kalkan.accounts.roles import Role
from kalkan.accounts.services import enrol_staff
from kalkan.accounts.totp import current_code, device_of
from kalkan.core.instance import DEMO_MARKER_FILE
from kalkan.vault.escrow_words import to_words
from kalkan.vault.services import found_organisation

DEMO_STAFF = [
    ("admin.aru", Role.ADMIN),
    ("responder.bek", Role.RESPONDER),
    ("documenter.saule", Role.DOCUMENTER),
    ("analyst.temir", Role.ANALYST),
]


def build_demo(out: OutputWrapper) -> None:
    call_command("migrate", interactive=False, verbosity=0)
    (settings.DATA_DIR / DEMO_MARKER_FILE).write_text(
        "This instance holds fictional demo data only.\n", encoding="utf-8"
    )
    out.write(f"Demo instance in {settings.DATA_DIR}\n")
    founding = found_organisation()
    out.write("Demo logins (fictional staff; passphrases are shown only now):\n")
    for username, role in DEMO_STAFF:
        enrolment = enrol_staff(username, role, actor=None, keyring=founding.keyring)
        with translation.override("en"):
            out.write(f"  {username:<18} {enrolment.passphrase:<56} {role.label}\n")
    escrow = " ".join(to_words(founding.escrow_secret))
    out.write(f"Escrow words (to try `kalkan recover` with): {escrow}\n")
    out.write("Codes change every 30 s; the current ones are printed while the demo runs.\n")
    _print_codes(out)


def _print_codes(out: OutputWrapper) -> None:
    codes = "  ".join(
        f"{user.username} {current_code(device) if (device := device_of(user)) else '-'}"
        for user in User.objects.filter(username__in=[u for u, _ in DEMO_STAFF])
    )
    out.write(f"Current codes: {codes}\n")
    out.flush()


def print_codes_forever(out: OutputWrapper) -> None:
    """Print fresh TOTP codes at the start of every 30-second window (demo only)."""
    while True:
        time.sleep(30 - time.time() % 30 + 0.5)
        _print_codes(out)
