"""Restricted compartments in the vault: only members' keys open their records; a forgotten
passphrase, panic and escrow recovery keep them closed to everyone else; tampering shows."""

from __future__ import annotations

import pytest

from kalkan.accounts.services import reenrol_staff
from kalkan.vault import crypto
from kalkan.vault import services as vault
from kalkan.vault.models import CompartmentWrap
from kalkan.vault.records import move_keys, new_sealed, open_content_key, read, write
from kalkan.vault.tests.sealed_notes.models import Note


@pytest.fixture
def hidden_note(amir, bota):
    """A note in a compartment of which Bota alone is a member (Amir is the admin)."""
    keys = bota.keyring()
    compartment = vault.new_compartment([bota.user], keys)
    note, key = new_sealed(Note, keys, compartment)
    write(note, key, body="only for Bota")
    return note, compartment


def test_only_members_hold_a_key_that_opens_it(amir, bota, hidden_note):
    note, _compartment = hidden_note
    with pytest.raises(PermissionError):
        open_content_key(note.content_key, amir.keyring())
    assert read(note, open_content_key(note.content_key, bota.keyring()))["body"] == (
        "only for Bota"
    )


def test_written_at_intake_it_is_sealed_to_the_compartment_public_key(amir, bota, hidden_note):
    _note, compartment = hidden_note
    intake, key = new_sealed(Note, None, compartment)
    write(intake, key, body="a follow-up at night")
    assert intake.content_key.by_intake
    with pytest.raises(PermissionError):
        open_content_key(intake.content_key, amir.keyring())
    keys = bota.keyring()
    assert read(intake, open_content_key(intake.content_key, keys))["body"] == (
        "a follow-up at night"
    )


def test_a_key_moved_to_another_compartment_unnoticed_is_refused(amir, bota, hidden_note):
    note, compartment = hidden_note
    keys = bota.keyring()
    other = vault.new_compartment([bota.user], keys)
    row = note.content_key
    row.compartment = other  # moved in the database without re-wrapping
    with pytest.raises(crypto.Tampered):
        open_content_key(row, keys)
    row.compartment = compartment
    move_keys([row], keys, other)  # moved properly
    assert open_content_key(row, keys)


def test_a_re_enrolled_member_gets_the_compartment_back_from_a_fellow_member(
    amir, bota, chingiz, hidden_note
):
    note, compartment = hidden_note
    keys = bota.keyring()
    vault.add_member(compartment, chingiz.user, keys)
    enrolment = reenrol_staff(chingiz.user, actor=amir.user, keyring=amir.keyring())
    # Amir is not a member: the re-enrolled Chingiz lost the compartment for now...
    again = vault.unlock(chingiz.user, enrolment.passphrase)
    assert again is not None and str(compartment.pk) not in again.compartment_secrets
    # ...until a fellow member opens it, which wraps it to Chingiz's new key.
    vault.mend_compartment(compartment, keys)
    again = vault.unlock(chingiz.user, enrolment.passphrase)
    assert again is not None
    assert read(note, open_content_key(note.content_key, again))["body"] == "only for Bota"


def test_after_panic_and_recovery_only_members_get_it_back(organisation, amir, bota, hidden_note):
    note, compartment = hidden_note
    vault.panic()
    assert not CompartmentWrap.objects.filter(holder__isnull=False).exists()
    recovered = vault.open_with_escrow(organisation.escrow_secret)
    assert str(compartment.pk) in recovered.compartment_secrets
    vault.grant_keys(amir.user, recovered)
    vault.grant_keys(bota.user, recovered)
    amir_keys, bota_keys = amir.keyring(), bota.keyring()
    assert amir_keys.org_secrets and not amir_keys.compartment_secrets
    assert read(note, open_content_key(note.content_key, bota_keys))["body"] == "only for Bota"
