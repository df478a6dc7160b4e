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
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from kalkan.accounts.models import User
from kalkan.accounts.roles import Role
from kalkan.vault import authentic, crypto
from kalkan.vault.authentic import NotYetAuthenticated, Untrusted
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
        escrow = Escrow(public_key=escrow_public)
        escrow.save()
        authentic.stamp(escrow)
        escrow.save(update_fields=["mac"])
        # Pinned in the data directory before any epoch is sealed to it.
        authentic.write_pin(escrow_public, epoch=1)
        VaultState.objects.update_or_create(pk=1, defaults={"sealed_by_panic": False})
        keyring = Keyring(user_id=None, staff_secret=None)
        _start_epoch(1, keyring, holders=[])
    return Founding(escrow_secret, keyring)


def _created(model: type[Any], **values: object) -> Any:
    """A new authenticated row: its MAC is computed before it is saved."""
    row = model(**values)
    authentic.stamp(row)
    row.save()
    return row


def escrow_public_key() -> bytes:
    """The escrow public key that epochs and compartments are sealed to: the one pinned in
    the data directory. A database row that differs from it (or fails its MAC) is reported
    and ignored, so a swapped row never receives a secret and a removal still goes through.
    Before the upgrade (no pin) the row is used only if it carries a valid MAC."""
    escrow = Escrow.objects.first()
    pin = authentic.pinned_escrow_key()
    if pin is None:
        if escrow is None:
            raise RuntimeError("no organisation keys yet: run `kalkan init`")
        authentic.check(escrow)
        return bytes(escrow.public_key)
    if escrow is None or not (
        authentic.is_genuine(escrow) and crypto.same(pin, bytes(escrow.public_key))
    ):
        authentic.report(
            Untrusted(Escrow._meta.db_table, escrow.pk if escrow else "-",
                      "not the escrow key pinned in the data directory")
        )
    return pin


def escrow_fingerprint() -> str:
    """What `kalkan init` printed beside the escrow words, for the admin to compare."""
    pin = authentic.pinned_escrow_key()
    return crypto.fingerprint(pin) if pin is not None else ""


def epoch_public_key(epoch: OrgEpoch, keyring: Keyring | None = None) -> bytes:
    """The epoch's public key to seal to, checked: against its secret when the keyring holds
    it, else by its MAC (Untrusted, or NotYetAuthenticated before the upgrade)."""
    public = bytes(epoch.public_key)
    secret = keyring.org_secrets.get(epoch.number) if keyring else None
    if secret is not None:
        authentic.check_public_key(epoch, public, secret)
    authentic.check(epoch, verifiable=secret is not None)
    return public


def staff_public_key(staff_key: StaffKey) -> bytes:
    """A staff member's public key to seal organisation or compartment secrets to."""
    authentic.check(staff_key)
    return bytes(staff_key.public_key)


def compartment_public_key(compartment: Compartment) -> bytes:
    """A restricted case's public key to seal to (a reporter's follow-up, with no unlock)."""
    authentic.check(compartment)
    return bytes(compartment.public_key)


def _start_epoch(number: int, keyring: Keyring, holders: Iterable[StaffKey]) -> None:
    secret, public = crypto.new_keypair()
    # Every key is checked before anything is written, so the secret never goes to a
    # stranger: the escrow key is the one pinned in the data directory, and a colleague
    # whose key row fails gets no wrap. Before the upgrade nothing unchecked is sealed to.
    escrow_public = escrow_public_key()
    targets = []
    for staff_key in holders:
        try:
            targets.append((staff_key.user_id, staff_public_key(staff_key)))
        except NotYetAuthenticated:
            raise
        except Untrusted as problem:
            # A colleague's key row the vault did not write: they get no wrap (an admin
            # enrols them again); the epoch still starts, so a removal is never blocked.
            authentic.report(problem)
    epoch = _created(OrgEpoch, number=number, public_key=public, started_on=timezone.now().date())
    _created(OrgKeyWrap, epoch=epoch, holder=None, sealed=crypto.seal_to(escrow_public, secret))
    for user_id, staff_public in targets:
        _created(
            OrgKeyWrap, epoch=epoch, holder_id=user_id, sealed=crypto.seal_to(staff_public, secret)
        )
    keyring.org_secrets[number] = secret
    transaction.on_commit(lambda: authentic.pin_epoch(number))


def current_epoch() -> OrgEpoch | None:
    return OrgEpoch.objects.order_by("-number").first()


def sealing_epoch() -> OrgEpoch:
    """The epoch new keys are sealed or wrapped to: the newest, unless the data directory
    has seen a newer one started (its row was deleted, so that new records would go to an
    epoch a removed person still holds): then Untrusted."""
    epoch = current_epoch()
    if epoch is None:
        raise RuntimeError("no organisation keys yet: run `kalkan init`")
    seen = authentic.pinned_epoch()
    if seen is not None and epoch.number < seen:
        raise Untrusted(
            OrgEpoch._meta.db_table, epoch.number, f"epoch {seen} was started here and is gone"
        )
    return epoch


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
    staff_public = staff_public_key(StaffKey.objects.get(user=user))
    granted = 0
    held = set(OrgKeyWrap.objects.filter(holder=user).values_list("epoch_id", flat=True))
    for number, org_secret in granting.org_secrets.items():
        if number not in held:
            _created(
                OrgKeyWrap, epoch_id=number, holder=user,
                sealed=crypto.seal_to(staff_public, org_secret),
            )
            granted += 1
    # Restricted compartments only where the person is a named member.
    wrapped = set(
        CompartmentWrap.objects.filter(holder=user).values_list("compartment_id", flat=True)
    )
    for compartment in Compartment.objects.filter(
        members=user, id__in=list(granting.compartment_secrets)
    ).exclude(id__in=wrapped):
        _created(
            CompartmentWrap, compartment=compartment, holder=user,
            sealed=crypto.seal_to(staff_public, granting.compartment_secret(compartment.id)),
        )
    return granted


def holds_keys(user: User) -> bool:
    return OrgKeyWrap.objects.filter(holder=user).exists()


def _store_staff_key(user: User, passphrase: str, secret: bytes, public: bytes) -> None:
    salt = secrets.token_bytes(crypto.SALT_BYTES)
    opslimit, memlimit = settings.VAULT_OPSLIMIT, settings.VAULT_MEMLIMIT
    kek, verifier = _derive(passphrase, salt, opslimit, memlimit)
    staff_key = StaffKey(
        user=user,
        public_key=public,
        salt=salt,
        opslimit=opslimit,
        memlimit=memlimit,
        verifier_digest=crypto.verifier_digest(verifier),
        wrapped_secret=crypto.wrap_key(kek, secret, _staff_secret_aad(user.pk)),
    )
    authentic.stamp(staff_key)
    staff_key.save()  # replaces the person's row, if any (the user is the primary key)


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
    try:
        staff_secret = crypto.unwrap_key(
            kek, bytes(staff_key.wrapped_secret), _staff_secret_aad(user.pk)
        )
        # Before the upgrade a row without a MAC is the person's own only if the public
        # key belongs to the secret their passphrase just opened.
        authentic.check_public_key(staff_key, bytes(staff_key.public_key), staff_secret)
        authentic.check(staff_key, verifiable=True)
    except crypto.Tampered as problem:
        # A key row the vault did not write (a verifier and key of someone else's choosing):
        # no login with it.
        authentic.report(authentic.as_untrusted(problem, staff_key), actor_id=user.pk)
        return None
    keyring = Keyring(user_id=user.pk, staff_secret=staff_secret)
    take_new_wraps(keyring)
    sync_compartments(keyring)
    if user.role == Role.ADMIN and not authentic.pinned():
        authenticate_instance(keyring)
    return keyring


def authenticate_instance(keyring: Keyring) -> bool:
    """The upgrade of an instance made before rows carried MACs (kalkan.vault.authentic),
    at the first unlock by an administrator: every epoch's public key must belong to the
    secret the administrator holds (and every compartment's they are a member of); rows
    that already carry a MAC must verify; then every row gets its MAC and the escrow key is
    pinned in the data directory. A mismatch refuses the upgrade (logged and audited) and
    the instance stays as it was. Returns whether it ran."""
    from django.apps import apps

    from kalkan.audit.services import record

    epochs = list(OrgEpoch.objects.all())
    escrow = Escrow.objects.first()
    if escrow is None or not epochs or any(e.number not in keyring.org_secrets for e in epochs):
        authentic.LOG.warning(
            "vault: rows not authenticated yet; an administrator who holds every epoch must "
            "unlock"
        )
        return False
    counts: dict[str, str | int | bool] = {}
    try:
        for epoch in epochs:
            authentic.check_public_key(
                epoch, bytes(epoch.public_key), keyring.org_secrets[epoch.number]
            )
        for compartment in Compartment.objects.filter(id__in=list(keyring.compartment_secrets)):
            authentic.check_public_key(
                compartment, bytes(compartment.public_key),
                keyring.compartment_secret(compartment.id),
            )
        with transaction.atomic():
            for label in authentic.authenticated_tables():
                model = apps.get_model(label)
                rows = list(model._default_manager.all())
                for row in rows:
                    if bytes(row.mac or b"") and not authentic.is_genuine(row):
                        raise Untrusted(model._meta.db_table, row.pk, "its MAC does not match")
                    authentic.stamp(row)
                model._default_manager.bulk_update(rows, ["mac"], batch_size=1000)
                counts[label] = len(rows)
            record("vault.authenticated", actor_id=keyring.user_id, details=counts)
    except Untrusted as problem:
        authentic.report(problem, actor_id=keyring.user_id)
        return False
    authentic.write_pin(bytes(escrow.public_key), epoch=max(e.number for e in epochs))
    authentic.LOG.warning("vault: rows authenticated and the escrow key pinned: %s", counts)
    return True


def _open_wrap(
    wrap: OrgKeyWrap | CompartmentWrap, owner: OrgEpoch | Compartment, opening_secret: bytes
) -> bytes | None:
    """The secret in a wrap of an epoch's or a compartment's (`owner`) secret, if the wrap
    is the vault's and the secret belongs to the owner's public key; else None, with the
    refusal logged and audited (the rest of the keyring still works)."""
    try:
        secret = crypto.open_sealed(opening_secret, bytes(wrap.sealed))
        authentic.check_public_key(owner, bytes(owner.public_key), secret)
        authentic.check(wrap, verifiable=True)
        authentic.check(owner, verifiable=True)
    except crypto.Tampered as problem:
        authentic.report(authentic.as_untrusted(problem, wrap), actor_id=wrap.holder_id)
        return None
    return secret


def take_new_wraps(keyring: Keyring) -> bool:
    """Open wraps made for the person since they unlocked (a new epoch started while they
    were logged in). Returns whether anything was added."""
    if keyring.staff_secret is None or keyring.user_id is None:
        return False
    added = False
    for wrap in (
        OrgKeyWrap.objects.filter(holder_id=keyring.user_id)
        .exclude(epoch_id__in=list(keyring.org_secrets))
        .select_related("epoch")
    ):
        secret = _open_wrap(wrap, wrap.epoch, keyring.staff_secret)
        if secret is not None:
            keyring.org_secrets[wrap.epoch_id] = secret
            added = True
    return added


def sync_compartments(keyring: Keyring) -> bool:
    """Make the keyring hold exactly the restricted compartments wrapped to the person now:
    open ones added since, forget ones they were taken out of. Returns whether it changed."""
    if keyring.staff_secret is None or keyring.user_id is None:
        return False
    wraps = {
        str(wrap.compartment_id): wrap
        for wrap in CompartmentWrap.objects.filter(holder_id=keyring.user_id).select_related(
            "compartment"
        )
    }
    changed = False
    for compartment_id in list(keyring.compartment_secrets):
        if compartment_id not in wraps:
            del keyring.compartment_secrets[compartment_id]
            changed = True
    for compartment_id, wrap in wraps.items():
        if compartment_id not in keyring.compartment_secrets:
            secret = _open_wrap(wrap, wrap.compartment, keyring.staff_secret)
            if secret is not None:
                keyring.compartment_secrets[compartment_id] = secret
                changed = True
    return changed


# --- restricted compartments ----------------------------------------------------------------


def new_compartment(members: Iterable[User], keyring: Keyring) -> Compartment:
    """A compartment whose secret only the members (and the escrow key) hold; the creator's
    keyring holds it at once. Members need staff keys."""
    secret, public = crypto.new_keypair()
    with transaction.atomic():
        escrow_public = escrow_public_key()
        compartment = Compartment(public_key=public)
        compartment.save()
        _restamp(compartment)
        _created(
            CompartmentWrap, compartment=compartment, holder=None,
            sealed=crypto.seal_to(escrow_public, secret),
        )
        keyring.compartment_secrets[str(compartment.id)] = secret
        for member in members:
            add_member(compartment, member, keyring)
    return compartment


def _restamp(compartment: Compartment) -> None:
    """The compartment's MAC after its members changed (it covers them)."""
    authentic.stamp(compartment)
    Compartment.objects.filter(pk=compartment.pk).update(mac=compartment.mac)


def add_member(compartment: Compartment, user: User, keyring: Keyring) -> None:
    """Name the person a member and seal the compartment's secret to their staff key."""
    secret = keyring.compartment_secret(compartment.id)
    authentic.check_public_key(compartment, bytes(compartment.public_key), secret)
    authentic.check(compartment, verifiable=True)
    compartment.members.add(user)
    _restamp(compartment)
    staff_key = StaffKey.objects.filter(user=user).first()
    if staff_key is not None:
        sealed = crypto.seal_to(staff_public_key(staff_key), secret)
        CompartmentWrap.objects.filter(compartment=compartment, holder=user).delete()
        _created(CompartmentWrap, compartment=compartment, holder=user, sealed=sealed)


def drop_member(compartment: Compartment, user: User) -> None:
    """Take the person out: their wrap goes now, and the compartment must move to a new key
    (their sessions may still hold the old one), which mend_compartment does."""
    with transaction.atomic():
        try:
            authentic.check(compartment)
            genuine = True
        except Untrusted as problem:
            # Still taken out (a removal is never blocked), but a tampered member list is
            # not blessed with a new MAC.
            genuine = False
            if not isinstance(problem, NotYetAuthenticated):
                authentic.report(problem)
        compartment.members.remove(user)
        CompartmentWrap.objects.filter(compartment=compartment, holder=user).delete()
        Compartment.objects.filter(pk=compartment.pk).update(rotate_pending=True)
        compartment.rotate_pending = True  # before the MAC, which covers it
        if genuine:
            _restamp(compartment)


def mend_compartment(compartment: Compartment, keyring: Keyring) -> Compartment:
    """Run by a member who holds the key: wrap it to members who lost their wrap
    (re-enrolled), and if someone left, move every record to a new key pair that the old
    one cannot open. Returns the compartment now in use (a new one after a rotation)."""
    from kalkan.vault.records import bump_revisions, move_keys

    # The member list is the vault's (a name the writer added would get the key next).
    secret = keyring.compartment_secret(compartment.id)
    authentic.check_public_key(compartment, bytes(compartment.public_key), secret)
    authentic.check(compartment, verifiable=True)
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
    """Every organisation key, opened with the escrow secret (wraps that fail their checks
    are refused, logged and audited, and left out)."""
    # The key pinned in the data directory; the database's row only before the upgrade.
    expected = authentic.pinned_escrow_key()
    if expected is None:
        escrow = Escrow.objects.first()
        expected = bytes(escrow.public_key) if escrow is not None else None
    if expected is None or not crypto.same(crypto.public_of(escrow_secret), expected):
        raise BadEscrowSecret
    keyring = Keyring(user_id=None, staff_secret=None)
    for wrap in OrgKeyWrap.objects.filter(holder__isnull=True).select_related("epoch"):
        secret = _open_wrap(wrap, wrap.epoch, escrow_secret)
        if secret is not None:
            keyring.org_secrets[wrap.epoch_id] = secret
    # Recovery opens the restricted compartments too; it gives each back only to its
    # members (grant_keys).
    for cwrap in CompartmentWrap.objects.filter(holder__isnull=True).select_related(
        "compartment"
    ):
        secret = _open_wrap(cwrap, cwrap.compartment, escrow_secret)
        if secret is not None:
            keyring.compartment_secrets[str(cwrap.compartment_id)] = secret
    return keyring


class EscrowIncomplete(Exception):
    """An escrow wrap did not open (it fails its checks): replacing the escrow key would
    leave that epoch or compartment with no way back, so nothing was changed."""


def replace_escrow_key(escrow_secret: bytes) -> bytes:
    """A new escrow key pair, for a new split among trustees: every escrow wrap (each
    epoch's, each compartment's) is sealed again to the new key, and the escrow row and the
    data directory's pin name it. Returns the new secret; the old one (its sheet, its
    shares) opens nothing of this instance afterwards. Needs the current escrow secret:
    only those who hold it may replace it (docs/administration.md)."""
    if not authentic.pinned():
        raise RuntimeError("the vault's rows are not authenticated yet: an administrator "
                           "logs in once first")
    keyring = open_with_escrow(escrow_secret)
    new_secret, new_public = crypto.new_keypair()
    old_pin = (authentic.pinned_escrow_key(), authentic.pinned_epoch())
    try:
        _reseal_escrow_wraps(keyring, new_public)
    except BaseException:
        # The commit failed after the pin was replaced: the rows still name the old key.
        if old_pin[0] is not None and authentic.pinned_escrow_key() != old_pin[0]:
            authentic.write_pin(old_pin[0], epoch=old_pin[1] or 1)
        raise
    return new_secret


def _reseal_escrow_wraps(keyring: Keyring, new_public: bytes) -> None:
    with transaction.atomic():
        wraps = list(OrgKeyWrap.objects.filter(holder__isnull=True))
        cwraps = list(CompartmentWrap.objects.filter(holder__isnull=True))
        if any(w.epoch_id not in keyring.org_secrets for w in wraps) or any(
            str(w.compartment_id) not in keyring.compartment_secrets for w in cwraps
        ):
            raise EscrowIncomplete
        for wrap in wraps:
            wrap.sealed = crypto.seal_to(new_public, keyring.org_secrets[wrap.epoch_id])
            authentic.stamp(wrap)
            wrap.save(update_fields=["sealed", "mac"])
        for cwrap in cwraps:
            secret = keyring.compartment_secrets[str(cwrap.compartment_id)]
            cwrap.sealed = crypto.seal_to(new_public, secret)
            authentic.stamp(cwrap)
            cwrap.save(update_fields=["sealed", "mac"])
        escrow = Escrow.objects.get()
        escrow.public_key = new_public
        authentic.stamp(escrow)
        escrow.save(update_fields=["public_key", "mac"])
        # An epoch started meanwhile would have sealed to the old key: then nothing changes.
        if OrgKeyWrap.objects.filter(holder__isnull=True).count() != len(wraps):
            raise EscrowIncomplete
        # Last, just before the commit: from now on only the new key is sealed to.
        latest = current_epoch()
        authentic.write_pin(new_public, epoch=max(authentic.pinned_epoch() or 0,
                                                  latest.number if latest else 0))


def unseal() -> None:
    VaultState.objects.update_or_create(pk=1, defaults={"sealed_by_panic": False})


# --- sealing without a keyring (intake, the audit log) --------------------------------------


def seal_for_organisation(data: bytes, purpose: str) -> str:
    """Seal data to the current organisation epoch: anyone can write, only staff can read.

    Returns "<epoch>:<base64>"; the purpose is bound in, so a blob cannot be moved to a
    different kind of place unnoticed.
    """
    epoch = sealing_epoch()
    sealed = crypto.seal_to(epoch_public_key(epoch), crypto.aad(purpose) + data)
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
