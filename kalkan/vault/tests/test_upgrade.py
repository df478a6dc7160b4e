"""An instance made before rows carried MACs upgrades in place: nothing is sealed to a key
only the database vouches for until an administrator's first unlock, which checks every
epoch's public key against its secret, gives every row its MAC and pins the escrow key.
Records written before keep opening. All names and stories are fictional."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.test import Client

from kalkan.accounts.services import disable_staff
from kalkan.audit.models import AuditEntry
from kalkan.core.testing import log_in
from kalkan.intake.models import Report
from kalkan.intake.services import Submission, submit_report
from kalkan.vault import authentic, crypto
from kalkan.vault import services as vault
from kalkan.vault.models import ContentKey, OrgEpoch, SealedRecord
from kalkan.vault.records import field_aad, new_sealed, open_content_key, read, write
from kalkan.vault.tests.sealed_notes.models import Note

STORY = {"reporter_role": "witness", "narrative": "Canary-upgrade-new-report-1207"}


def as_made_by_main(escrow_secret: bytes) -> None:
    """Rewrite the instance as the code before this change left it: fields bound without
    the model (fields_version 1), no MAC on any row, no pin in the data directory."""
    keyring = vault.open_with_escrow(escrow_secret)
    for model in apps.get_models():
        if not issubclass(model, SealedRecord):
            continue
        for record in model._default_manager.select_related("content_key"):
            key = open_content_key(record.content_key, keyring)
            plain = read(record, key)
            ContentKey.objects.filter(pk=record.content_key_id).update(fields_version=1)
            record.content_key.fields_version = 1
            for name, value in plain.items():
                if value:
                    setattr(record, name,
                            crypto.encrypt(key, value.encode(), field_aad(record, name)))
            model._default_manager.filter(pk=record.pk).update(
                **{name: getattr(record, name) for name in plain}
            )
    for label in authentic.authenticated_tables():
        apps.get_model(label)._default_manager.update(mac=b"")
    authentic._pin_path().unlink()


def test_an_old_instance_is_authenticated_at_the_first_admin_unlock(organisation, amir, bota):
    submit_report(Submission(narrative="Canary-upgrade-old-report-1201"), [])
    note, key = new_sealed(Note, bota.keyring())
    write(note, key, body="Canary-upgrade-old-note-1202")
    compartment = vault.new_compartment([bota.user], bota.keyring())
    secret_note, secret_key = new_sealed(Note, bota.keyring(), compartment)
    write(secret_note, secret_key, body="Canary-upgrade-restricted-1203")
    as_made_by_main(organisation.escrow_secret)
    assert not authentic.pinned()

    # Before: intake keeps the person's text and seals nothing to an unchecked key.
    page = Client().post("/en/report/", STORY)
    assert page.status_code == 503
    assert "Your text is kept on this page" in page.content.decode()
    assert STORY["narrative"] in page.content.decode()
    assert Report.objects.count() == 1
    # Staff read as before (opening a wrap is its check); nothing is reported as tampering.
    keyring = bota.keyring()
    old = Note.objects.select_related("content_key").get(pk=note.pk)
    assert read(old, open_content_key(old.content_key, keyring))["body"] == (
        "Canary-upgrade-old-note-1202"
    )
    assert not AuditEntry.objects.filter(action="vault.tampered").exists()
    assert not authentic.pinned()

    # The first administrator's unlock authenticates the instance.
    log_in(Client(), amir)
    assert authentic.pinned()
    assert authentic.pinned_escrow_key() == crypto.public_of(organisation.escrow_secret)
    for label in authentic.authenticated_tables():
        assert all(authentic.is_genuine(r) for r in apps.get_model(label)._default_manager.all())
    assert AuditEntry.objects.filter(action="vault.authenticated").count() == 1

    # After: old records open (fields_version 1), new ones are bound to their model.
    keyring = bota.keyring()
    for record, text in ((note, "Canary-upgrade-old-note-1202"),
                         (secret_note, "Canary-upgrade-restricted-1203")):
        row = Note.objects.select_related("content_key").get(pk=record.pk)
        assert row.content_key.fields_version == 1
        assert read(row, open_content_key(row.content_key, keyring))["body"] == text
    report = Report.objects.select_related("content_key").get()
    assert read(report, open_content_key(report.content_key, keyring))["narrative"] == (
        "Canary-upgrade-old-report-1201"
    )
    assert Client().post("/en/report/", STORY).status_code == 200
    assert Report.objects.count() == 2
    newest = Report.objects.select_related("content_key").order_by("-revision").first()
    assert newest is not None and newest.content_key.fields_version == 2
    # Removing someone works, and the escrow secret opens the new epoch.
    disable_staff(bota.user, actor=amir.user, keyring=amir.keyring())
    assert set(vault.open_with_escrow(organisation.escrow_secret).org_secrets) == {1, 2}
    assert not AuditEntry.objects.filter(action="vault.tampered").exists()


def test_an_instance_tampered_before_the_upgrade_is_not_authenticated(organisation, amir):
    as_made_by_main(organisation.escrow_secret)
    _, stranger = crypto.new_keypair()
    OrgEpoch.objects.filter(number=1).update(public_key=stranger)
    log_in(Client(), amir)
    assert not authentic.pinned()
    assert list(
        AuditEntry.objects.filter(action="vault.tampered").values_list("object_id", flat=True)
    ) == ["vault_orgepoch:1"]
    assert Client().post("/en/report/", STORY).status_code == 503
    assert Report.objects.count() == 0


def test_a_legacy_row_is_not_sealed_to_before_the_upgrade(organisation, bota):
    as_made_by_main(organisation.escrow_secret)
    epoch = OrgEpoch.objects.get(number=1)
    with pytest.raises(authentic.NotYetAuthenticated):
        vault.epoch_public_key(epoch)
    # With its secret at hand (a staff member's keyring) it is checked and usable.
    assert vault.epoch_public_key(epoch, bota.keyring()) == bytes(epoch.public_key)
