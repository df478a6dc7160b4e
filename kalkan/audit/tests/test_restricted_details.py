"""Audit entries about a restricted case: their details stay readable to the case's members
and to the escrow key after the case's key rotates, and nothing in the clear says which case
they are about."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from kalkan.audit.models import AuditEntry, AuditHead
from kalkan.audit.services import GENESIS_HASH, _entry_hash, read_details, record, verify
from kalkan.core.testing import log_in
from kalkan.desk import services
from kalkan.intake.models import Report
from kalkan.intake.services import Submission, submit_report
from kalkan.vault import authentic, crypto
from kalkan.vault import services as vault


def _restricted_case(bota, amir):
    submit_report(Submission(narrative="Hiding at the green gate"), [])
    keys = bota.keyring()
    report = Report.objects.select_related("content_key").get()
    case = services.open_case([report], keys, bota.user, title="Green gate")
    member = log_in(Client(), bota)
    response = member.post(f"/en/staff/cases/{case.pk}/members/",
                           {"members": [bota.user.pk, amir.user.pk]})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.compartment is not None
    return case, member


def _spellings(value: uuid.UUID) -> list[str]:
    return [str(value), value.hex, str(value).upper(), value.hex.upper()]


def _row_text(entry: AuditEntry) -> str:
    # Everything a reader of the database sees of the entry.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM audit_auditentry WHERE id = %s", [entry.pk])
        row = cursor.fetchone()
    return " ".join(bytes(v).hex() if isinstance(v, bytes | memoryview) else str(v)
                    for v in row)


def test_details_survive_rotation_for_members_and_escrow(
    organisation, amir, bota, dana
):
    case, member = _restricted_case(bota, amir)
    assert member.get(f"/en/staff/cases/{case.pk}/").status_code == 200
    entry = AuditEntry.objects.filter(action="case.view").latest("seq")
    first_compartment = case.compartment_id
    assert read_details(entry, bota.keyring()) == {"object": str(case.pk)}

    # Amir leaves the case: it moves to a new key pair and the old one is deleted.
    response = member.post(f"/en/staff/cases/{case.pk}/members/", {"members": [bota.user.pk]})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.compartment_id != first_compartment

    entry.refresh_from_db()
    assert read_details(entry, bota.keyring()) == {"object": str(case.pk)}
    escrow = vault.open_with_escrow(organisation.escrow_secret)
    assert read_details(entry, escrow) == {"object": str(case.pk)}
    # Those outside the case read nothing, not even the former member.
    assert read_details(entry, amir.keyring()) is None
    assert read_details(entry, dana.keyring()) is None
    assert verify().intact

    # Nothing in the clear names the case or its key, before or after the rotation.
    for written in AuditEntry.objects.filter(details__startswith="r:"):
        text = _row_text(written).upper()
        for value in (case.pk, first_compartment, case.compartment_id):
            for spelling in _spellings(value):
                assert spelling.upper() not in text


def test_a_key_swapped_between_entries_opens_nothing(organisation, bota):
    keys = bota.keyring()
    compartment = vault.new_compartment([bota.user], keys)
    first = record("case.view", actor_id=bota.user.pk, object_id="a", compartment=compartment)
    second = record("case.view", actor_id=bota.user.pk, object_id="b", compartment=compartment)
    AuditEntry.objects.filter(pk=second.pk).update(details_key=first.details_key)
    second.refresh_from_db()
    with pytest.raises(crypto.Tampered):
        read_details(second, keys)
    assert read_details(first, keys) == {"object": "a"}


def _legacy_entry(compartment, details: dict[str, str]) -> AuditEntry:
    """An entry as the code before 2026-12 wrote it: sealed to the compartment, named."""
    sealed = crypto.seal_to(bytes(compartment.public_key), json.dumps(details).encode())
    stored = f"c:{compartment.id}:{base64.b64encode(sealed).decode('ascii')}"
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(
            pk=1, defaults={"seq": 0, "entry_hash": GENESIS_HASH})
        at = timezone.now().replace(microsecond=0)
        seq = head.seq + 1
        entry_hash = _entry_hash(head.entry_hash, seq, at, None, "case.view", "", stored)
        entry = AuditEntry.objects.create(seq=seq, at=at, actor_id=None, action="case.view",
                                          object_id="", details=stored,
                                          prev_hash=head.entry_hash, entry_hash=entry_hash)
        head.seq, head.entry_hash = seq, entry_hash
        head.save()
    return entry


def test_entries_of_the_earlier_format_stay_readable_across_rotations(
    organisation, amir, bota, dana
):
    keys = bota.keyring()
    compartment = vault.new_compartment([bota.user, amir.user], keys)
    entry = _legacy_entry(compartment, {"object": "the-case"})
    assert read_details(entry, keys) == {"object": "the-case"}
    for leaving in (amir, None):  # two rotations: the copy follows each
        if leaving is not None:
            vault.drop_member(compartment, leaving.user)
        else:
            # A rotation asked for as the vault asks for one (the flag is under the MAC).
            compartment.rotate_pending = True
            authentic.stamp(compartment)
            compartment.save(update_fields=["rotate_pending", "mac"])
        compartment = vault.mend_compartment(compartment, keys)
    entry.refresh_from_db()
    keys = bota.keyring()  # unlocked afresh: the current compartment only
    assert list(keys.compartment_secrets) == [str(compartment.id)]
    assert read_details(entry, keys) == {"object": "the-case"}
    escrow = vault.open_with_escrow(organisation.escrow_secret)
    assert read_details(entry, escrow) == {"object": "the-case"}
    assert read_details(entry, dana.keyring()) is None
    assert verify().intact
    # A copy a database writer made is refused: they hold no compartment secret.
    forged = crypto.encrypt(crypto.random_key(), b'{"object": "another"}', b"")
    AuditEntry.objects.filter(pk=entry.pk).update(details_key=forged)
    entry.refresh_from_db()
    assert read_details(entry, keys) is None
