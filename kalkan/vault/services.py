"""The key lifecycle: founding, enrolling, unlocking, passphrase change, removing a person
(a new epoch), panic, and recovery with the escrow secret.

Every function that needs an organisation key takes the caller's unlocked Keyring: the
server itself never holds one.
"""

from __future__ import annotations

import base64
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from kalkan.accounts.models import User
from kalkan.vault import crypto
from kalkan.vault.keyring import Keyring
from kalkan.vault.models import (
    Compartment,
    CompartmentWrap,
    Escrow,
    OrgEpoch,
    OrgKeyWrap,
    StaffKey,
    VaultState,
)


class VaultBusy(Exception):
    """Too many passphrases are being checked at once; the person should retry shortly."""


class BadEscrowSecret(Exception):
    """The escrow secret given does not belong to this instance."""


_slots_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None


def _derive(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> tuple[bytes, bytes]:
    """Argon2id, at most VAULT_UNLOCK_CONCURRENCY at a time: each takes VAULT_MEMLIMIT bytes,
    so parallel logins cannot exhaust the server's memory."""
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(settings.VAULT_UNLOCK_CONCURRENCY)
    if not _slots.acquire(timeout=settings.VAULT_UNLOCK_WAIT_SECONDS):
        raise VaultBusy
    try:
        return crypto.derive_from_passphrase(passphrase, salt, opslimit, memlimit)
    finally:
        _slots.release()


def _staff_secret_aad(user_id: int) -> bytes:
    return crypto.aad("staff-secret", user_id)


# --- founding -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Founding:
    escrow_secret: bytes = field(repr=False)  # never in a log or a traceback
    keyring: Keyring  # holds epoch 1, to enrol the first administrator with


def found_organisation() -> Founding:
    """Make the escrow key pair and organisation epoch 1 (`kalkan init`, once)."""
    with transaction.atomic():
        if OrgEpoch.objects.exists():
            raise RuntimeError("this instance already has organisation keys")
        escrow_secret, escrow_public = crypto.new_keypair()
        Escrow.objects.create(public_key=escrow_public)
        VaultState.objects.update_or_create(pk=1, defaults={"sealed_by_panic": False})
        keyring = Keyring(user_id=None, staff_secret=None)
        _start_epoch(1, keyring, holders=[])
    return Founding(escrow_secret, keyring)


def _start_epoch(number: int, keyring: Keyring, holders: Iterable[StaffKey]) -> None:
    secret, public = crypto.new_keypair()
    epoch = OrgEpoch.objects.create(
        number=number, public_key=public, started_on=timezone.now().date()
    )
    escrow = Escrow.objects.get()
    OrgKeyWrap.objects.create(
        epoch=epoch, holder=None, sealed=crypto.seal_to(bytes(escrow.public_key), secret)
    )
    for staff_key in holders:
        OrgKeyWrap.objects.create(
            epoch=epoch,
            holder_id=staff_key.user_id,
            sealed=crypto.seal_to(bytes(staff_key.public_key), secret),
        )
    keyring.org_secrets[number] = secret


def current_epoch() -> OrgEpoch | None:
    return OrgEpoch.objects.order_by("-number").first()


# --- staff keys ---------------------------------------------------------------------------


def enrol_keys(user: User, passphrase: str, granting: Keyring) -> None:
    """A new key pair for the person, and every organisation key the granter holds wrapped
    to it. Replaces whatever keys and wraps the person had (re-enrolment)."""
    staff_secret, staff_public = crypto.new_keypair()
    with transaction.atomic():
        OrgKeyWrap.objects.filter(holder=user).delete()
        # Sealed to the old staff key, which is gone: a fellow member wraps the restricted
        # compartments again (mend_compartment) when they next open them.
        CompartmentWrap.objects.filter(holder=user).delete()
        StaffKey.objects.filter(user=user).delete()
        _store_staff_key(user, passphrase, staff_secret, staff_public)
        grant_keys(user, granting)


def grant_keys(user: User, granting: Keyring) -> int:
    """Wrap every organisation key the granter holds to the person's existing public key
    (after a panic and recovery, colleagues get their access back without new passphrases).
    Returns how many epochs were granted."""
    staff_key = StaffKey.objects.get(user=user)
    granted = 0
    for number, org_secret in granting.org_secrets.items():
        _, made = OrgKeyWrap.objects.get_or_create(
            epoch_id=number,
            holder=user,
            defaults={"sealed": crypto.seal_to(bytes(staff_key.public_key), org_secret)},
        )
        granted += made
    # Restricted compartments only where the person is a named member.
    for compartment in Compartment.objects.filter(
        members=user, id__in=list(granting.compartment_secrets)
    ):
        _, made = CompartmentWrap.objects.get_or_create(
            compartment=compartment,
            holder=user,
            defaults={
                "sealed": crypto.seal_to(
                    bytes(staff_key.public_key), granting.compartment_secret(compartment.id)
                )
            },
        )
    return granted


def holds_keys(user: User) -> bool:
    return OrgKeyWrap.objects.filter(holder=user).exists()


def _store_staff_key(user: User, passphrase: str, secret: bytes, public: bytes) -> None:
    salt = secrets.token_bytes(crypto.SALT_BYTES)
    opslimit, memlimit = settings.VAULT_OPSLIMIT, settings.VAULT_MEMLIMIT
    kek, verifier = _derive(passphrase, salt, opslimit, memlimit)
    StaffKey.objects.update_or_create(
        user=user,
        defaults={
            "public_key": public,
            "salt": salt,
            "opslimit": opslimit,
            "memlimit": memlimit,
            "verifier_digest": crypto.verifier_digest(verifier),
            "wrapped_secret": crypto.wrap_key(kek, secret, _staff_secret_aad(user.pk)),
        },
    )


def unlock(user: User | None, passphrase: str) -> Keyring | None:
    """The person's keys if the passphrase is right, else None.

    An unknown person costs the same single Argon2id run, so timing tells nothing.
    """
    staff_key = StaffKey.objects.filter(user=user).first() if user is not None else None
    if user is None or staff_key is None:
        _derive(passphrase, b"\x00" * crypto.SALT_BYTES, settings.VAULT_OPSLIMIT,
                settings.VAULT_MEMLIMIT)
        return None
    kek, verifier = _derive(
        passphrase, bytes(staff_key.salt), staff_key.opslimit, staff_key.memlimit
    )
    if not crypto.same(crypto.verifier_digest(verifier), bytes(staff_key.verifier_digest)):
        return None
    staff_secret = crypto.unwrap_key(
        kek, bytes(staff_key.wrapped_secret), _staff_secret_aad(user.pk)
    )
    org_secrets = {
        wrap.epoch_id: crypto.open_sealed(staff_secret, bytes(wrap.sealed))
        for wrap in OrgKeyWrap.objects.filter(holder=user)
    }
    keyring = Keyring(user_id=user.pk, staff_secret=staff_secret, org_secrets=org_secrets)
    sync_compartments(keyring)
    return keyring


def take_new_wraps(keyring: Keyring) -> bool:
    """Open wraps made for the person since they unlocked (a new epoch started while they
    were logged in). Returns whether anything was added."""
    if keyring.staff_secret is None or keyring.user_id is None:
        return False
    added = False
    for wrap in OrgKeyWrap.objects.filter(holder_id=keyring.user_id).exclude(
        epoch_id__in=list(keyring.org_secrets)
    ):
        keyring.org_secrets[wrap.epoch_id] = crypto.open_sealed(
            keyring.staff_secret, bytes(wrap.sealed)
        )
        added = True
    return added


def sync_compartments(keyring: Keyring) -> bool:
    """Make the keyring hold exactly the restricted compartments wrapped to the person now:
    open ones added since, forget ones they were taken out of. Returns whether it changed."""
    if keyring.staff_secret is None or keyring.user_id is None:
        return False
    wraps = {
        str(compartment_id): sealed
        for compartment_id, sealed in CompartmentWrap.objects.filter(
            holder_id=keyring.user_id
        ).values_list("compartment_id", "sealed")
    }
    changed = False
    for compartment_id in list(keyring.compartment_secrets):
        if compartment_id not in wraps:
            del keyring.compartment_secrets[compartment_id]
            changed = True
    for compartment_id, sealed in wraps.items():
        if compartment_id not in keyring.compartment_secrets:
            keyring.compartment_secrets[compartment_id] = crypto.open_sealed(
                keyring.staff_secret, bytes(sealed)
            )
            changed = True
    return changed


# --- restricted compartments ----------------------------------------------------------------


def new_compartment(members: Iterable[User], keyring: Keyring) -> Compartment:
    """A compartment whose secret only the members (and the escrow key) hold; the creator's
    keyring holds it at once. Members need staff keys."""
    secret, public = crypto.new_keypair()
    with transaction.atomic():
        compartment = Compartment.objects.create(public_key=public)
        escrow = Escrow.objects.get()
        CompartmentWrap.objects.create(
            compartment=compartment,
            holder=None,
            sealed=crypto.seal_to(bytes(escrow.public_key), secret),
        )
        keyring.compartment_secrets[str(compartment.id)] = secret
        for member in members:
            add_member(compartment, member, keyring)
    return compartment


def add_member(compartment: Compartment, user: User, keyring: Keyring) -> None:
    """Name the person a member and seal the compartment's secret to their staff key."""
    secret = keyring.compartment_secret(compartment.id)
    compartment.members.add(user)
    staff_key = StaffKey.objects.filter(user=user).first()
    if staff_key is not None:
        CompartmentWrap.objects.update_or_create(
            compartment=compartment,
            holder=user,
            defaults={"sealed": crypto.seal_to(bytes(staff_key.public_key), secret)},
        )


def drop_member(compartment: Compartment, user: User) -> None:
    """Take the person out: their wrap goes now, and the compartment must move to a new key
    (their sessions may still hold the old one), which mend_compartment does."""
    with transaction.atomic():
        compartment.members.remove(user)
        CompartmentWrap.objects.filter(compartment=compartment, holder=user).delete()
        Compartment.objects.filter(pk=compartment.pk).update(rotate_pending=True)
    compartment.rotate_pending = True


def mend_compartment(compartment: Compartment, keyring: Keyring) -> Compartment:
    """Run by a member who holds the key: wrap it to members who lost their wrap
    (re-enrolled), and if someone left, move every record to a new key pair that the old
    one cannot open. Returns the compartment now in use (a new one after a rotation)."""
    from kalkan.vault.records import bump_revisions, move_keys

    members = list(compartment.members.filter(is_active=True))
    if not compartment.rotate_pending:
        wrapped = set(
            CompartmentWrap.objects.filter(compartment=compartment).values_list(
                "holder_id", flat=True
            )
        )
        for member in members:
            if member.pk not in wrapped:
                add_member(compartment, member, keyring)
        return compartment
    with transaction.atomic():
        successor = new_compartment(members, keyring)
        rows = list(compartment.content_keys.all())
        move_keys(rows, keyring, successor)
        from kalkan.vault.workingset import SOURCES

        moved = {row.id for row in rows}
        for source in SOURCES:
            ids = source.model._default_manager.filter(content_key_id__in=moved).values_list(
                "pk", flat=True
            )
            bump_revisions(source.model, list(ids))
        _after_rotation(compartment, successor)
        for rewrap in REWRAP_HOOKS:
            rewrap(compartment, successor, keyring)
        compartment.delete()
    keyring.compartment_secrets.pop(str(compartment.id), None)
    return successor


# Apps that point at compartments (a restricted case) re-point to the successor here.
ROTATION_HOOKS: list[Callable[[Compartment, Compartment], None]] = []
# Apps whose keys are sealed to a compartment without pointing at it (the audit log's
# restricted-case details) re-seal them to the successor here, with the keyring that still
# holds the old secret.
REWRAP_HOOKS: list[Callable[[Compartment, Compartment, Keyring], None]] = []


def _after_rotation(old: Compartment, new: Compartment) -> None:
    for hook in ROTATION_HOOKS:
        hook(old, new)


def change_passphrase(user: User, current: str, new: str) -> bool:
    """Re-wrap the person's secret key under the new passphrase; nothing else changes."""
    keyring = unlock(user, current)
    if keyring is None or keyring.staff_secret is None:
        return False
    staff_key = StaffKey.objects.get(user=user)
    with transaction.atomic():
        _store_staff_key(user, new, keyring.staff_secret, bytes(staff_key.public_key))
    return True


def remove_staff_keys(user: User, keyring: Keyring) -> int:
    """Cut a person off: their wraps and key go, and a new epoch starts that only the
    remaining staff (and the escrow key) can open. Returns the new epoch's number."""
    with transaction.atomic():
        OrgKeyWrap.objects.filter(holder=user).delete()
        for compartment in Compartment.objects.filter(members=user):
            drop_member(compartment, user)
        CompartmentWrap.objects.filter(holder=user).delete()
        StaffKey.objects.filter(user=user).delete()
        end_sessions_of(user)
        latest = current_epoch()
        number = (latest.number if latest else 0) + 1
        holders = StaffKey.objects.filter(user__is_active=True).exclude(user=user)
        _start_epoch(number, keyring, holders)
    return number


def end_sessions_of(user: User) -> int:
    """Delete every server-side session of the person: their unlocked keys go with them."""
    ended = 0
    for session in Session.objects.all():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


# --- panic and recovery -------------------------------------------------------------------


def is_sealed() -> bool:
    return VaultState.objects.filter(pk=1, sealed_by_panic=True).exists()


def panic() -> None:
    """Delete every staff wrap and every session: nothing on the server opens any more
    until someone brings the offline escrow secret back (`kalkan recover`)."""
    from kalkan.vault import workingset

    with transaction.atomic():
        OrgKeyWrap.objects.filter(holder__isnull=False).delete()
        CompartmentWrap.objects.filter(holder__isnull=False).delete()
        Session.objects.all().delete()
        VaultState.objects.update_or_create(pk=1, defaults={"sealed_by_panic": True})
    workingset.drop_all()


def open_with_escrow(escrow_secret: bytes) -> Keyring:
    """Every organisation key, opened with the escrow secret."""
    escrow = Escrow.objects.first()
    if escrow is None or crypto.public_of(escrow_secret) != bytes(escrow.public_key):
        raise BadEscrowSecret
    keyring = Keyring(user_id=None, staff_secret=None)
    for wrap in OrgKeyWrap.objects.filter(holder__isnull=True):
        keyring.org_secrets[wrap.epoch_id] = crypto.open_sealed(escrow_secret, bytes(wrap.sealed))
    # Recovery opens the restricted compartments too; it gives each back only to its
    # members (grant_keys).
    for cwrap in CompartmentWrap.objects.filter(holder__isnull=True):
        keyring.compartment_secrets[str(cwrap.compartment_id)] = crypto.open_sealed(
            escrow_secret, bytes(cwrap.sealed)
        )
    return keyring


def unseal() -> None:
    VaultState.objects.update_or_create(pk=1, defaults={"sealed_by_panic": False})


# --- sealing without a keyring (intake, the audit log) --------------------------------------


def seal_for_organisation(data: bytes, purpose: str) -> str:
    """Seal data to the current organisation epoch: anyone can write, only staff can read.

    Returns "<epoch>:<base64>"; the purpose is bound in, so a blob cannot be moved to a
    different kind of place unnoticed.
    """
    epoch = current_epoch()
    if epoch is None:
        raise RuntimeError("no organisation keys yet: run `kalkan init`")
    sealed = crypto.seal_to(bytes(epoch.public_key), crypto.aad(purpose) + data)
    return f"{epoch.number}:{base64.b64encode(sealed).decode('ascii')}"


def open_for_organisation(stored: str, purpose: str, keyring: Keyring) -> bytes | None:
    """The data, or None when this keyring has no key for its epoch."""
    epoch_text, _, b64 = stored.partition(":")
    secret = keyring.org_secrets.get(int(epoch_text))
    if secret is None:
        return None
    plain = crypto.open_sealed(secret, base64.b64decode(b64))
    prefix = crypto.aad(purpose)
    if not plain.startswith(prefix):
        raise crypto.Tampered("sealed for another purpose")
    return plain[len(prefix) :]
