"""Threat 6: someone who can write to the database, but holds neither the data directory nor
any passphrase, cannot turn writes into reads (a swapped public key, a forged wrap or flag)
nor plant records that look genuine. Every attack is a raw UPDATE, as such a writer would do
it; each is refused, audited, decrypts nothing for anyone, and leaves nothing half-written.
All names and stories are fictional."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from kalkan.accounts.services import disable_staff
from kalkan.audit.models import AuditEntry
from kalkan.core.testing import log_in
from kalkan.desk import referrals
from kalkan.desk.models import Partner, Referral, ReferralConsent
from kalkan.desk.services import open_case, restrict
from kalkan.intake.models import Mailbox, Message, Report
from kalkan.intake.services import Submission, find_mailbox, reply, submit_report
from kalkan.intake.tests.test_report import STORY as REPORT_FORM
from kalkan.vault import authentic, crypto
from kalkan.vault import services as vault
from kalkan.vault.escrow_words import to_words
from kalkan.vault.models import (
    Compartment,
    CompartmentWrap,
    ContentKey,
    Escrow,
    OrgEpoch,
    OrgKeyWrap,
    StaffKey,
)
from kalkan.vault.records import (
    field_aad,
    new_content_key,
    new_sealed,
    open_content_key,
    read,
    rewrap_content_keys,
    write,
)
from kalkan.vault.tests.sealed_notes.models import Note

STORY = dict(REPORT_FORM, narrative="Canary-writer-story-they-waited-outside-the-Orchid-7713")
UNAVAILABLE = "The service is unavailable right now. Your text is kept on this page"


@pytest.fixture
def attacker():
    """The writer's own key pair: whatever is sealed to its public key, they can read."""
    return crypto.new_keypair()


def tampered_entries() -> list[str]:
    return list(
        AuditEntry.objects.filter(action="vault.tampered").values_list("object_id", flat=True)
    )


def mailbox_of(receipt: str) -> Mailbox:
    found = find_mailbox(receipt)
    assert found is not None
    return found[0]


def opens_for(attacker_secret: bytes, blob: bytes) -> bool:
    try:
        crypto.open_sealed(attacker_secret, blob)
    except crypto.Tampered:
        return False
    return True


# --- the escrow key ---------------------------------------------------------------------------


def test_a_swapped_escrow_key_never_receives_the_new_epoch(organisation, amir, bota, attacker):
    Escrow.objects.update(public_key=attacker[1])
    disable_staff(bota.user, actor=amir.user, keyring=amir.keyring())
    # The removal went through (never blocked by the writer) ...
    assert OrgEpoch.objects.count() == 2
    escrow_wrap = OrgKeyWrap.objects.get(epoch_id=2, holder__isnull=True)
    # ... sealed to the escrow key pinned in the data directory, not to the row.
    assert not opens_for(attacker[0], bytes(escrow_wrap.sealed))
    assert not any(
        opens_for(attacker[0], bytes(w.sealed)) for w in OrgKeyWrap.objects.all()
    )
    assert 2 in vault.open_with_escrow(organisation.escrow_secret).org_secrets
    assert tampered_entries() == [f"vault_escrow:{Escrow.objects.get().pk}"]


def test_the_escrow_fingerprint_is_shown_to_compare_with_the_sheet(client, organisation, amir):
    expected = crypto.fingerprint(crypto.public_of(organisation.escrow_secret))
    log_in(client, amir)
    page = client.get("/en/staff/emergency/").content.decode()
    assert expected in page
    assert "compare it with the printed escrow sheet" in page


# --- an epoch's key ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ru", "ky", "kk"])
def test_intake_refuses_to_seal_to_a_swapped_epoch_key(client, organisation, attacker, lang):
    OrgEpoch.objects.filter(number=1).update(public_key=attacker[1])
    page = client.post(f"/{lang}/report/", STORY)
    assert page.status_code == 503
    text = page.content.decode()
    if lang == "en":
        assert UNAVAILABLE in text
    else:
        assert UNAVAILABLE not in text  # translated
    assert STORY["narrative"] in text  # the person's words come back
    assert Report.objects.count() == 0
    assert ContentKey.objects.count() == 0
    assert Mailbox.objects.count() == 0
    assert tampered_entries() == ["vault_orgepoch:1"]


def test_a_file_is_not_sealed_to_a_swapped_epoch_key(client, organisation, attacker, settings):
    OrgEpoch.objects.filter(number=1).update(public_key=attacker[1])
    files = settings.DATA_DIR / "files"
    # The data directory is shared by the tests of one run: only what this post leaves counts.
    before = set(files.rglob("*")) if files.exists() else set()
    photo = io.BytesIO(b"not really a photo " * 100)
    photo.name = "evidence.txt"
    page = client.post("/en/report/", dict(STORY, files=[photo]))
    assert page.status_code == 503
    assert ContentKey.objects.count() == 0
    after = set(files.rglob("*")) if files.exists() else set()
    assert {p for p in after - before if p.is_file()} == set()


def test_a_swapped_epoch_key_is_refused_at_unlock(organisation, bota, attacker):
    note, key = new_sealed(Note, bota.keyring())
    write(note, key, body="Canary-writer-note-3390")
    OrgEpoch.objects.filter(number=1).update(public_key=attacker[1])
    keyring = vault.unlock(bota.user, bota.passphrase)
    assert keyring is not None and keyring.org_secrets == {}
    with pytest.raises(PermissionError):
        open_content_key(note.content_key, keyring)
    assert tampered_entries() == ["vault_orgepoch:1"]


def test_a_forged_wrap_with_a_matching_forged_epoch_key_is_refused(organisation, bota, attacker):
    """The writer replaces both the epoch key and bota's wrap of it with their own pair."""
    OrgEpoch.objects.filter(number=1).update(public_key=attacker[1])
    OrgKeyWrap.objects.filter(holder=bota.user).update(
        sealed=crypto.seal_to(bytes(StaffKey.objects.get(user=bota.user).public_key), attacker[0])
    )
    keyring = vault.unlock(bota.user, bota.passphrase)
    assert keyring is not None and keyring.org_secrets == {}
    assert tampered_entries()


# --- staff keys -------------------------------------------------------------------------------


def test_a_swapped_staff_key_gets_no_wrap_and_cannot_log_in(organisation, amir, bota, dana,
                                                            attacker):
    StaffKey.objects.filter(user=dana.user).update(public_key=attacker[1])
    disable_staff(bota.user, actor=amir.user, keyring=amir.keyring())
    assert OrgEpoch.objects.count() == 2
    assert not OrgKeyWrap.objects.filter(epoch_id=2, holder=dana.user).exists()
    assert OrgKeyWrap.objects.filter(epoch_id=2, holder=amir.user).exists()
    assert not any(opens_for(attacker[0], bytes(w.sealed)) for w in OrgKeyWrap.objects.all())
    assert f"vault_staffkey:{dana.user.pk}" in tampered_entries()
    assert vault.unlock(dana.user, dana.passphrase) is None


# --- compartments (restricted cases) ----------------------------------------------------------


def test_a_swapped_compartment_key_is_never_sealed_to(organisation, bota, attacker):
    compartment = vault.new_compartment([bota.user], bota.keyring())
    Compartment.objects.filter(pk=compartment.pk).update(public_key=attacker[1])
    compartment.refresh_from_db()
    before = ContentKey.objects.count()
    with pytest.raises(authentic.Untrusted):
        new_sealed(Note, None, compartment)  # a reporter's follow-up, nobody unlocked
    assert ContentKey.objects.count() == before
    # A member's unlock refuses the wrap whose secret does not fit the key.
    keyring = vault.unlock(bota.user, bota.passphrase)
    assert keyring is not None and str(compartment.pk) not in keyring.compartment_secrets
    assert tampered_entries() == [f"vault_compartment:{compartment.pk}"]


def test_a_follow_up_into_a_tampered_restricted_case_keeps_the_text(client, organisation, bota,
                                                                    attacker):
    receipt = submit_report(Submission(narrative="Canary-writer-first-2281"), [])
    case = open_case([Report.objects.get()], bota.keyring(), bota.user, title="Case (fictional)")
    case = restrict(case, [bota.user], bota.keyring(), bota.user)
    assert case.compartment is not None
    Compartment.objects.filter(pk=case.compartment.pk).update(public_key=attacker[1])
    before = Message.objects.count()
    page = client.post("/en/mailbox/", {"receipt": receipt, "follow_up": "Canary-writer-more-4410"})
    assert page.status_code == 503
    assert UNAVAILABLE in page.content.decode()
    assert "Canary-writer-more-4410" in page.content.decode()
    assert Message.objects.count() == before
    assert f"vault_compartment:{case.compartment.pk}" in tampered_entries()


# --- partners and reporters' mailboxes -----------------------------------------------------------


@pytest.fixture
def consented(organisation, amir, bota):
    """A case whose person consented to a referral to a partner (as an admin added it)."""
    submit_report(Submission(narrative="Canary-writer-referral-5512",
                             consent={"referral": True}), [])
    case = open_case([Report.objects.get()], bota.keyring(), bota.user, title="Case (fictional)")
    partner = referrals.add_partner(amir.keyring(), "Lotus Shelter (fictional)", {},
                                    crypto.new_keypair()[1])
    referrals.record_consent(case, partner, ["story"], "in person", date(2026, 1, 5),
                             bota.keyring(), bota.user)
    return case, partner


def test_no_package_is_sealed_to_a_swapped_partner_key(consented, bota, attacker):
    case, partner = consented
    Partner.objects.filter(pk=partner.pk).update(public_key=attacker[1])
    partner.refresh_from_db()
    with pytest.raises(authentic.Untrusted):
        referrals.make_referral(case, partner, bota.keyring(), bota.user)
    assert Referral.objects.count() == 0
    assert ReferralConsent.objects.count() == 1


def test_the_package_page_refuses_a_swapped_partner_key_without_an_error_page(
    client, consented, bota, attacker
):
    case, partner = consented
    Partner.objects.filter(pk=partner.pk).update(public_key=attacker[1])
    log_in(client, bota)
    page = client.post(f"/en/staff/referrals/case/{case.pk}/package/",
                       {"partner": str(partner.pk)})
    assert page.status_code == 503
    assert "failed its check" in page.content.decode()
    assert "Content-Disposition" not in page
    assert Referral.objects.count() == 0
    assert f"desk_partner:{partner.pk}" in tampered_entries()


def test_no_reply_is_sealed_to_a_swapped_mailbox_key(organisation, bota, attacker):
    receipt = submit_report(Submission(narrative="Canary-writer-mailbox-6620"), [])
    box = mailbox_of(receipt)
    Mailbox.objects.filter(pk=box.pk).update(reporter_public_key=attacker[1])
    box.refresh_from_db()
    before = Message.objects.count()
    with pytest.raises(authentic.Untrusted):
        reply(box, bota.keyring(), "Canary-writer-reply-6621")
    assert Message.objects.count() == before


# --- content keys: the by_intake flag and forged wraps -------------------------------------


def plant(note: Note, attacker_key: bytes, text: str) -> None:
    """What the writer can do without a MAC key: seal a key of their own to the epoch's
    public key, mark it as intake's, and encrypt the field under it."""
    row = note.content_key
    epoch = OrgEpoch.objects.get(number=row.epoch_id)
    associated = crypto.aad("content-key", str(row.id), row.epoch_id)
    ContentKey.objects.filter(pk=row.pk).update(
        by_intake=True, wrapped=crypto.seal_to(bytes(epoch.public_key), associated + attacker_key)
    )
    note.body = crypto.encrypt(attacker_key, text.encode(), field_aad(note, "body"))
    Note.objects.filter(pk=note.pk).update(body=note.body)


def test_a_flipped_by_intake_flag_plants_nothing_and_is_not_laundered(organisation, amir, bota):
    note, key = new_sealed(Note, bota.keyring())
    write(note, key, body="Canary-writer-genuine-7781")
    plant(note, crypto.random_key(), "Planted by the writer")
    note = Note.objects.select_related("content_key").get(pk=note.pk)
    with pytest.raises(authentic.Untrusted):
        open_content_key(note.content_key, amir.keyring())
    # The re-wrap job after a removal leaves it as it is, refused, rather than laundering it.
    disable_staff(bota.user, actor=amir.user, keyring=amir.keyring())
    row = ContentKey.objects.get(pk=note.content_key_id)
    assert row.by_intake and row.epoch_id == 1
    assert not authentic.is_genuine(row)
    assert f"vault_contentkey:{row.pk}" in tampered_entries()
    assert rewrap_content_keys(amir.keyring()) == 0


def test_a_field_moved_to_another_table_does_not_open(organisation, bota):
    receipt = submit_report(Submission(narrative="Canary-writer-origin-8801"), [])
    box = mailbox_of(receipt)
    message = reply(box, bota.keyring(), "Canary-writer-moved-8802")
    # A Note row with the message's id, key and ciphertext: same field name, other table.
    Note.objects.create(
        id=message.id, content_key=message.content_key, created_on=message.created_on,
        revision=message.revision, body=bytes(message.body),
    )
    moved = Note.objects.select_related("content_key").get(pk=message.id)
    key = open_content_key(moved.content_key, bota.keyring())
    with pytest.raises(crypto.Tampered):
        read(moved, key, ("body",))
    original = Message.objects.select_related("content_key").get(pk=message.id)
    assert read(original, key, ("body",)) == {"body": "Canary-writer-moved-8802"}


def test_a_row_without_its_mac_is_refused_once_the_instance_is_pinned(organisation, bota):
    note, key = new_sealed(Note, bota.keyring())
    write(note, key, body="Canary-writer-stripped-9901")
    ContentKey.objects.filter(pk=note.content_key_id).update(mac=b"")
    with pytest.raises(authentic.Untrusted):
        open_content_key(ContentKey.objects.get(pk=note.content_key_id), bota.keyring())


def test_the_words_of_a_sheet_are_checked_against_the_pinned_escrow_key(organisation,
                                                                         monkeypatch):
    words = " ".join(to_words(organisation.escrow_secret))
    monkeypatch.setattr("sys.stdin", io.StringIO(words + "\n"))
    out = io.StringIO()
    call_command("escrow_fingerprint", stdout=out)
    assert crypto.fingerprint(crypto.public_of(organisation.escrow_secret)) in out.getvalue()
    assert "They match the escrow key this server seals to." in out.getvalue()
    monkeypatch.setattr("sys.stdin", io.StringIO(" ".join(to_words(crypto.random_key())) + "\n"))
    with pytest.raises(CommandError, match="do NOT match"):
        call_command("escrow_fingerprint", stdout=io.StringIO())


def test_a_member_added_by_the_writer_is_never_given_the_key(organisation, bota, dana):
    logged_in = bota.keyring()
    compartment = vault.new_compartment([bota.user], logged_in)
    Compartment.members.through.objects.create(compartment_id=compartment.pk, user_id=dana.user.pk)
    with pytest.raises(authentic.Untrusted):
        vault.mend_compartment(compartment, logged_in)  # a member, still logged in, opens it
    assert not CompartmentWrap.objects.filter(compartment=compartment, holder=dana.user).exists()
    assert str(compartment.pk) not in dana.keyring().compartment_secrets
    # A member's next unlock refuses the compartment too (the writer can destroy, not read).
    assert str(compartment.pk) not in bota.keyring().compartment_secrets
    assert f"vault_compartment:{compartment.pk}" in tampered_entries()


def test_deleting_the_newest_epoch_does_not_send_intake_back_to_an_old_one(
    client, organisation, amir, bota, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        disable_staff(bota.user, actor=amir.user, keyring=amir.keyring())
    assert authentic.pinned_epoch() == 2
    # Epoch 1 is one bota still holds: the writer deletes epoch 2 so new reports go to it.
    OrgKeyWrap.objects.filter(epoch_id=2).delete()
    OrgEpoch.objects.filter(number=2).delete()
    page = client.post("/en/report/", STORY)
    assert page.status_code == 503
    assert UNAVAILABLE in page.content.decode()
    assert Report.objects.count() == 0 and ContentKey.objects.count() == 0
    assert tampered_entries() == ["vault_orgepoch:1"]


def test_a_planted_removal_does_not_hide_a_record_from_search(organisation, bota):
    """vault.Removed carries no MAC: a writer who adds a living record's id must not make
    working sets forget it (a case silently gone from search); only records really gone are
    forgotten."""
    from kalkan.vault import workingset
    from kalkan.vault.models import Removed
    from kalkan.vault.records import write as write_sealed

    keyring = bota.keyring()
    note, key = new_sealed(Note, keyring)
    write_sealed(note, key, title="Threats", body="Threats at the market in Osh")
    working = workingset.WorkingSet.empty()
    workingset.catch_up(working, keyring)
    assert working.search("market Osh") == [str(note.id)]

    Removed.objects.create(record_id=note.id)  # the writer's row
    workingset.catch_up(working, keyring)
    assert working.search("market Osh") == [str(note.id)]
    fresh = workingset.WorkingSet.empty()
    workingset.catch_up(fresh, keyring)
    assert fresh.search("market Osh") == [str(note.id)]


def test_a_cleared_rotation_leaves_no_case_on_a_key_a_former_member_holds(
    organisation, bota, dana
):
    """Dana leaves a restricted case: it must move to a new key pair (she may have kept the
    old secret). A writer who clears `rotate_pending` must not keep the case, and what is
    added to it later, under the old key."""
    logged_in = bota.keyring()
    compartment = vault.new_compartment([bota.user, dana.user], logged_in)
    old_public = bytes(compartment.public_key)
    vault.drop_member(compartment, dana.user)
    Compartment.objects.filter(pk=compartment.pk).update(rotate_pending=False)  # the writer
    compartment = Compartment.objects.get(pk=compartment.pk)
    try:
        now = vault.mend_compartment(compartment, logged_in)
    except authentic.Untrusted:
        return  # refused: the writer destroyed, but nothing stays readable to Dana
    assert bytes(now.public_key) != old_public


def test_a_planted_reply_never_reaches_the_reporter(organisation, bota):
    """The reporter's public key is in the database: a writer can seal a text of their own
    to it. Neither a planted reply nor a genuine reply with its copy swapped may be shown to
    the reporter as the team's words (a lure to a meeting)."""
    from kalkan.intake.services import replies_for_reporter

    receipt = submit_report(Submission(narrative="Canary-writer-mailbox-6630"), [])
    box = mailbox_of(receipt)
    genuine = reply(box, bota.keyring(), "We read your report and will call you.")
    lure = "Come to the café by the bazaar at 18:00, our lawyer will meet you."
    planted_key, _key = new_content_key(None)
    Message.objects.create(
        mailbox=box, from_reporter=False, content_key=planted_key, created_on=date.today(),
        revision=genuine.revision + 1,
        reporter_copy=crypto.seal_to(bytes(box.reporter_public_key), lure.encode()),
    )
    found = find_mailbox(receipt)
    assert found is not None
    texts = [entry.text for entry in replies_for_reporter(*found)]
    assert texts == ["We read your report and will call you."]
    Message.objects.filter(pk=genuine.pk).update(
        reporter_copy=crypto.seal_to(bytes(box.reporter_public_key), lure.encode())
    )
    texts = [entry.text for entry in replies_for_reporter(*found)]
    assert lure not in texts


def test_one_damaged_field_leaves_everyone_else_searchable(organisation, bota):
    """A writer (or a bad disk) changing one byte of one record must not stop every working
    set from being built (every login and search failing): that record is left out, said
    so, and the rest are found."""
    from kalkan.vault import workingset

    keyring = bota.keyring()
    damaged, key = new_sealed(Note, keyring)
    write(damaged, key, title="Damaged", body="Detained near the bus station")
    intact, key = new_sealed(Note, keyring)
    write(intact, key, title="Intact", body="Threats at the market in Osh")
    body = bytearray(bytes(damaged.body))
    body[-1] ^= 1
    Note.objects.filter(pk=damaged.pk).update(body=bytes(body))
    working = workingset.WorkingSet.empty()
    workingset.catch_up(working, keyring)
    assert working.search("market Osh") == [str(intact.id)]
    assert working.search("bus station") == []
    assert f"sealed_notes_note:{damaged.pk}"[:64] in tampered_entries()
