"""Every change to a staff account happens here, and each one is written to the audit log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum

from django.conf import settings
from django.db import transaction
from django.db.models import F
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
        user.save(update_fields=["is_active", "failed_logins", "locked_until"])
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


def unlock(user: User, *, actor: User) -> None:
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
        record("staff.unlock", actor_id=actor.pk, object_id=str(user.pk))


class Refusal(Enum):
    WRONG = "wrong"
    LOCKED = "locked"
    BUSY = "busy"


@dataclass(frozen=True)
class CheckResult:
    user: User | None
    refusal: Refusal | None
    keyring: Keyring | None = None


def check_credentials(username: str, passphrase: str, code: str, *, purpose: str) -> CheckResult:
    """Passphrase and TOTP code together; failures count towards the account's lockout.

    Lockout is by account only: behind a Tor onion service every request comes from
    127.0.0.1, so counting by address would lock everybody out at once. The same answer is
    given for an unknown name, a wrong passphrase and a wrong code.
    """
    known = User.objects.filter(username=username).first()
    if known is not None and known.is_locked():
        record(f"{purpose}.locked", actor_id=known.pk, object_id=str(known.pk))
        return CheckResult(known, Refusal.LOCKED)
    active = known if known is not None and known.is_active else None
    # One Argon2id run whether or not the person exists: timing tells nothing.
    try:
        keyring = vault.unlock(active, passphrase)
    except vault.VaultBusy:
        # Not the person's fault: no failure is counted.
        return CheckResult(None, Refusal.BUSY)
    if active is not None and keyring is not None:
        device = device_of(active)
        # verify_token rejects a code already used (its time step is remembered).
        if device is not None and device.verify_token(code.replace(" ", "")):
            User.objects.filter(pk=active.pk).update(failed_logins=0, locked_until=None)
            return CheckResult(active, None, keyring)
    if known is not None:
        return CheckResult(known, _register_failure(known, purpose))
    return CheckResult(None, Refusal.WRONG)


def _register_failure(user: User, purpose: str) -> Refusal:
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
        user.refresh_from_db(fields=["failed_logins"])
        locked = user.failed_logins >= settings.LOCKOUT_FAILURES
        if locked:
            until = timezone.now() + timedelta(minutes=settings.LOCKOUT_MINUTES)
            User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=until)
        record(f"{purpose}.failed", actor_id=user.pk, object_id=str(user.pk))
        if locked:
            record("staff.locked", actor_id=None, object_id=str(user.pk))
    return Refusal.LOCKED if locked else Refusal.WRONG
