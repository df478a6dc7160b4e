"""Every change to a staff account happens here, and each one is written to the audit log."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kalkan.accounts.models import User
from kalkan.accounts.roles import Role
from kalkan.accounts.totp import device_of, enrol_device
from kalkan.audit.services import record
from kalkan.core.words import new_passphrase
from kalkan.vault import services as vault
from kalkan.vault.keyring import Keyring
from kalkan.vault.records import rewrap_content_keys


class StaffChangeRefused(Exception):
    """A change that would leave the organisation without a way in; the message says why."""


@dataclass(frozen=True)
class Enrolment:
    """What a new or re-enrolled person needs once: shown, never stored in the clear."""

    user: User
    passphrase: str = field(repr=False)
    totp_uri: str = field(repr=False)  # holds the TOTP secret


def enrol_staff(username: str, role: str, *, actor: User | None, keyring: Keyring) -> Enrolment:
    """A new staff member; the granter's unlocked organisation keys are wrapped to them."""
    passphrase = new_passphrase()
    with transaction.atomic():
        user = User.objects.create_user(username=username, role=role)
        vault.enrol_keys(user, passphrase, keyring)
        device = enrol_device(user)
        record(
            "staff.add",
            actor_id=actor.pk if actor else None,
            object_id=str(user.pk),
            details={"role": role},
        )
    return Enrolment(user, passphrase, device.config_url)


def reenrol_staff(user: User, *, actor: User, keyring: Keyring) -> Enrolment:
    """A forgotten passphrase, a lost phone, or a return after being cut off: new passphrase,
    new keys wrapped from the administrator's keyring, new TOTP secret, no lockout. No data
    is lost: the organisation keys never depended on the old passphrase."""
    passphrase = new_passphrase()
    with transaction.atomic():
        vault.end_sessions_of(user)
        vault.enrol_keys(user, passphrase, keyring)
        user.is_active = True
        user.failed_logins = 0
        user.locked_until = None
        user.code_failures = 0
        user.save(update_fields=["is_active", "failed_logins", "locked_until", "code_failures"])
        device = enrol_device(user)
        record("staff.reenrol", actor_id=actor.pk, object_id=str(user.pk))
    return Enrolment(user, passphrase, device.config_url)


def _other_active_admins(user: User) -> bool:
    return User.objects.filter(role=Role.ADMIN, is_active=True).exclude(pk=user.pk).exists()


def disable_staff(user: User, *, actor: User, keyring: Keyring) -> int:
    """Cut someone off at once: sessions end, their key wraps go, and a new organisation
    epoch starts, so what is stored from now on is unreadable to their old keys. Returns
    the new epoch. They can come back only by being enrolled again."""
    if user.pk == actor.pk:
        raise StaffChangeRefused(_("You cannot disable your own account."))
    if user.role == Role.ADMIN and not _other_active_admins(user):
        raise StaffChangeRefused(_("This is the last active administrator."))
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        epoch = vault.remove_staff_keys(user, keyring)
        # Keys only, never content; in the same transaction, so no record is left behind
        # in an epoch the removed person can open.
        moved = rewrap_content_keys(keyring)
        record(
            "staff.disable",
            actor_id=actor.pk,
            object_id=str(user.pk),
            details={"epoch": epoch, "rewrapped": moved},
        )
    return epoch


def change_role(user: User, role: str, *, actor: User) -> None:
    if user.role == Role.ADMIN and role != Role.ADMIN:
        if user.pk == actor.pk:
            raise StaffChangeRefused(_("You cannot take the administrator role from yourself."))
        if not _other_active_admins(user):
            raise StaffChangeRefused(_("This is the last active administrator."))
    with transaction.atomic():
        user.role = role
        user.save(update_fields=["role"])
        record("staff.role", actor_id=actor.pk, object_id=str(user.pk), details={"role": role})


def unlock(user: User, *, actor: User | None, via: str = "web") -> None:
    """End the person's wait after failed logins and forget the count (web or terminal)."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(
            failed_logins=0, locked_until=None, code_failures=0
        )
        record(
            "staff.unlock",
            actor_id=actor.pk if actor else None,
            object_id=str(user.pk),
            details={"via": via},
        )


class Refusal(Enum):
    WRONG = "wrong"
    DELAYED = "delayed"  # the account waits after failed attempts (told apart only inside)
    BUSY = "busy"


@dataclass(frozen=True)
class CheckResult:
    user: User | None
    refusal: Refusal | None
    keyring: Keyring | None = None


# The counters stop growing here: the wait is capped long before, and a stranger who keeps
# trying for months must not overflow the column.
_COUNT_CAP = 100


def check_credentials(username: str, passphrase: str, code: str, *, purpose: str) -> CheckResult:
    """Passphrase and TOTP code together, for logging in, re-authenticating, changing one's
    passphrase and the terminal. The policy (docs/administration.md, "Failed logins"):

    - By account only: behind a Tor onion service every request comes from 127.0.0.1.
    - Every refusal does the same work and takes the same time, whatever the cause (unknown
      or disabled name, wrong passphrase, wrong or reused code, a waiting account): one
      Argon2id run, against a dummy verifier when there is no usable account, then padding
      to LOGIN_REFUSAL_SECONDS. The web answer is the same text for all of them.
    - Failures are counted only while the account is not waiting. From the
      LOCKOUT_FAILURES-th on, each counted failure makes the account wait, doubling from
      LOGIN_DELAY_FIRST_SECONDS up to LOGIN_DELAY_MAX_MINUTES; attempts while it waits are
      refused and neither counted nor lengthen the wait, so the right credentials always
      work once it is over.
    - A wait never stands between the owner and the account: whoever gives the right
      passphrase still has the code checked while the account waits. A stranger can keep
      an account waiting for ever, but that keeps out only strangers, who could not get in
      anyway: a guessed passphrase is never confirmed without a right code.
    - What can be guessed online is the code, by someone who holds the passphrase. Once
      they have given LOCKOUT_FAILURES wrong codes since the last success (code_failures),
      the wait binds them too, the owner included, until a success or an unlock; a
      stranger's wait gives them no extra tries.
    """
    started = time.monotonic()
    known = User.objects.filter(username=username).first()
    active = known if known is not None and known.is_active else None
    try:
        keyring = vault.unlock(active, passphrase)
    except vault.VaultBusy:
        # Not the person's fault: no failure is counted.
        return CheckResult(None, Refusal.BUSY)
    refusal = Refusal.WRONG
    if known is not None:
        with transaction.atomic():
            account = User.objects.select_for_update().get(pk=known.pk)
            # The row as it is now: another request may have started a wait meanwhile.
            code_checked = (
                keyring is not None
                and account.is_active
                and (not account.is_locked() or account.code_failures < settings.LOCKOUT_FAILURES)
            )
            if code_checked and _code_matches(account, code):
                User.objects.filter(pk=account.pk).update(
                    failed_logins=0, locked_until=None, code_failures=0
                )
                return CheckResult(account, None, keyring)
            refusal = _register_failure(account, purpose, wrong_code=code_checked)
        known = account
    pad_refusal(started)
    return CheckResult(known, refusal)


def _code_matches(user: User, code: str) -> bool:
    device = device_of(user)
    # verify_token rejects a code already used (its time step is remembered).
    return device is not None and bool(device.verify_token(code.replace(" ", "")))


def _register_failure(user: User, purpose: str, *, wrong_code: bool) -> Refusal:
    """Count a failure on the locked row (see check_credentials for the rules)."""
    if wrong_code:
        user.code_failures = min(user.code_failures + 1, _COUNT_CAP)
    if user.is_locked():
        user.save(update_fields=["code_failures"])
        record(f"{purpose}.delayed", actor_id=user.pk, object_id=str(user.pk))
        return Refusal.DELAYED
    user.failed_logins = min(user.failed_logins + 1, _COUNT_CAP)
    wait = delay_after(user.failed_logins)
    if wait:
        user.locked_until = timezone.now() + wait
    user.save(update_fields=["failed_logins", "code_failures", "locked_until"])
    record(f"{purpose}.failed", actor_id=user.pk, object_id=str(user.pk))
    if wait:
        record(
            "staff.delayed",
            actor_id=None,
            object_id=str(user.pk),
            details={"seconds": int(wait.total_seconds())},
        )
        return Refusal.DELAYED
    return Refusal.WRONG


def delay_after(failures: int) -> timedelta | None:
    """How long an account waits after its failures-th counted failure (None: not at all)."""
    if failures < settings.LOCKOUT_FAILURES:
        return None
    doublings = min(failures - settings.LOCKOUT_FAILURES, 16)
    seconds = settings.LOGIN_DELAY_FIRST_SECONDS * 2**doublings
    return timedelta(seconds=min(seconds, settings.LOGIN_DELAY_MAX_MINUTES * 60))


def pad_refusal(started: float) -> None:
    """Hold a refusal until LOGIN_REFUSAL_SECONDS after it started: the database writes of a
    counted failure, the audit entry, opening the keys after a right passphrase and the
    code check all take time that would otherwise tell the causes apart."""
    remaining = settings.LOGIN_REFUSAL_SECONDS - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)
