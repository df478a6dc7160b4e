"""Audit entries about a restricted case: their details stay readable to the case's members
and to the escrow key after the case's key rotates, and nothing in the clear says which case
they are about."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test import Client

from kalkan.audit.models import AuditEntry
from kalkan.audit.services import read_details, record, verify
from kalkan.core.testing import log_in
from kalkan.desk import services
from kalkan.intake.models import Report
from kalkan.intake.services import Submission, submit_report
from kalkan.vault import crypto
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
