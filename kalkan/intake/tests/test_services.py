"""The intake round trip below the web pages: submit, receipt, reply, follow-up; uploads
encrypted as they stream in, images cleaned; nothing readable on disk."""

from __future__ import annotations

import io
import json

import pytest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import Client
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from PIL import Image

from kalkan.intake import receipts
from kalkan.intake.models import Evidence, Mailbox, Report
from kalkan.intake.services import (
    Submission,
    add_follow_up,
    find_mailbox,
    replies_for_reporter,
    reply,
    submit_report,
)
from kalkan.intake.uploads import SealedUploadHandler, safe_name
from kalkan.vault import authentic, crypto
from kalkan.vault.files import files_dir, open_file
from kalkan.vault.records import open_content_key, read
from kalkan.vault.tests.test_canary import canary, find_leaks


def upload_view(request: HttpRequest) -> HttpResponse:
    """A stand-in for the reporting form's upload step (the form itself comes next)."""
    handler = SealedUploadHandler(
        request, max_file_bytes=300_000, max_total_bytes=500_000, max_files=3
    )
    request.upload_handlers = [handler]
    request.POST  # noqa: B018 (parses the body through the handler)
    if handler.problems.too_large or handler.problems.too_many:
        handler.discard_all()
        return JsonResponse({"refused": True}, status=413)
    receipt = submit_report(Submission(narrative=request.POST["narrative"]),
                            handler.problems.stored)
    return JsonResponse({"receipt": receipt})


urlpatterns = [path("upload/", csrf_exempt(upload_view))]


def photo_with_gps(text: bytes) -> bytes:
    image = Image.new("RGB", (64, 48), (200, 40, 40))
    exif = Image.Exif()
    exif[0x010E] = text.decode()  # ImageDescription
    exif[0x8825] = {1: "N", 2: (42.0, 52.0, 30.0), 3: "E", 4: (74.0, 35.0, 10.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_a_receipt_is_83_bits_of_digits_that_look_like_a_number():
    receipt = receipts.new_receipt()
    groups = receipt.split(" ")
    assert len(groups) == 5 and all(len(g) == 5 and g.isdigit() for g in groups)
    assert receipts.normalise(receipt.replace(" ", "-")) == receipt.replace(" ", "")
    assert receipts.normalise("1234") is None
    assert receipts.normalise("١٢٣٤٥" * 5) is None  # other scripts' digits are not accepted


def test_the_receipt_opens_replies_but_never_the_report(organisation, bota):
    receipt = submit_report(
        Submission(narrative="They took my phone", contact={"method": "signal"}), []
    )
    found = find_mailbox(receipt)
    assert found is not None
    box, unlock_key = found
    assert replies_for_reporter(box, unlock_key) == []
    reply(box, bota.keyring(), "We can send a lawyer tomorrow.")
    add_follow_up(box, "Thank you, after 10 is safe", [])
    entries = replies_for_reporter(box, unlock_key)
    assert [e.text for e in entries] == ["We can send a lawyer tomorrow.", ""]
    assert [e.from_reporter for e in entries] == [False, True]
    # The unlock key opens the reporter's key pair, not the report's content key.
    report = Report.objects.get(pk=box.report_id)
    with pytest.raises(Exception):  # noqa: B017
        read(report, unlock_key)
    staff_key = open_content_key(report.content_key, bota.keyring())
    assert read(report, staff_key)["narrative"] == "They took my phone"


def test_a_wrong_receipt_finds_nothing(organisation):
    receipt = submit_report(Submission(narrative="x"), [])
    digits = receipts.normalise(receipt) or ""
    wrong = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    assert find_mailbox(wrong) is None
    assert find_mailbox("not a receipt") is None
    assert Mailbox.objects.count() == 1


def test_a_receipt_needs_the_instance_secret_key_not_only_the_database(organisation, settings):
    """The lookup key is peppered with the secret key, which the database never holds:
    a copy of the database alone cannot test guessed receipts."""
    receipt = submit_report(Submission(narrative="x"), [])
    settings.SECRET_KEY = "another instance's secret key " + "x" * 40
    assert find_mailbox(receipt) is None


def test_a_mailbox_made_with_argon2id_receipts_still_opens(organisation, bota):
    """Receipts handed out before the keyed hash (scheme 1) keep working."""
    receipt = submit_report(Submission(narrative="Before the upgrade"), [])
    box = Mailbox.objects.get()
    reply(box, bota.keyring(), "Old reply")
    # Turn it into what the old code wrote: Argon2id keys, the reporter's secret wrapped
    # under the Argon2id unlock key.
    digits = receipts.normalise(receipt) or ""
    _, new_unlock = receipts.derive(digits)
    secret = crypto.unwrap_key(
        new_unlock, bytes(box.wrapped_reporter_secret), crypto.aad("reporter-secret",
                                                                  box.lookup_key)
    )
    old_lookup, old_unlock = receipts.derive_argon2id(digits)
    box.lookup_key = old_lookup
    box.receipt_scheme = receipts.ARGON2ID
    box.wrapped_reporter_secret = crypto.wrap_key(
        old_unlock, secret, crypto.aad("reporter-secret", old_lookup)
    )
    authentic.stamp(box)
    box.save()

    found = find_mailbox(receipt)
    assert found is not None
    assert [e.text for e in replies_for_reporter(*found)] == ["Old reply"]
    wrong = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    assert find_mailbox(wrong) is None


@pytest.mark.urls("kalkan.intake.tests.test_services")
@pytest.mark.django_db(transaction=True)
def test_uploads_are_encrypted_as_they_stream_and_images_are_cleaned(organisation, bota):
    marks = {
        "narrative": canary("narrative"),
        "exif": canary("exif"),
        "name": canary("name"),
        "bytes": canary("bytes"),
    }
    photo = photo_with_gps(marks["exif"])
    document = io.BytesIO(b"%PDF-1.4 " + marks["bytes"] + b" " * 1000)
    document.name = marks["name"].decode() + ".pdf"
    response = Client().post(
        "/upload/",
        {"narrative": marks["narrative"].decode(), "photo": io.BytesIO(photo), "doc": document},
    )
    assert response.status_code == 200, response.content
    receipt = json.loads(response.content)["receipt"]
    assert find_mailbox(receipt) is not None

    keyring = bota.keyring()
    evidence = {
        read(e, open_content_key(e.content_key, keyring))["meta"]: e for e in Evidence.objects.all()
    }
    metas = {json.loads(m)["name"]: (json.loads(m), e) for m, e in evidence.items()}
    doc_meta, doc = metas[marks["name"].decode() + ".pdf"]
    assert doc_meta["sanitised"] is False and doc.working_file == ""
    photo_meta, photo_row = next(v for k, v in metas.items() if k != doc_meta["name"])
    assert photo_meta["sanitised"] is True and photo_meta["detected_type"] == "image/jpeg"
    key = open_content_key(photo_row.content_key, keyring)
    epoch = photo_row.content_key.sealed_in_epoch
    original = b"".join(open_file(key, str(photo_row.id), epoch, photo_row.original_file))
    working = b"".join(open_file(key, str(photo_row.id), epoch, photo_row.working_file))
    assert original == photo  # the evidence is kept exactly as it came
    assert marks["exif"] not in working
    with Image.open(io.BytesIO(working)) as cleaned:
        assert dict(cleaned.getexif()) == {}
        assert cleaned.size == (64, 48)
    assert find_leaks(marks) == []
    assert list(files_dir().glob("*.partial")) == []


@pytest.mark.urls("kalkan.intake.tests.test_services")
def test_an_oversized_upload_stores_nothing(organisation):
    from kalkan.vault.models import ContentKey

    before_files = set(files_dir().iterdir())
    response = Client().post(
        "/upload/", {"narrative": "x", "big": io.BytesIO(b"\0" * 400_000)}
    )
    assert response.status_code == 413
    assert set(files_dir().iterdir()) == before_files
    assert Report.objects.count() == 0
    assert ContentKey.objects.count() == 0


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\photo.jpg", "photo.jpg"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("bad\x00name.txt", "badname.txt"),
        (".hidden", "hidden"),
        ("", "file"),
    ],
)
def test_file_names_are_made_harmless(given, expected):
    assert safe_name(given) == expected


@pytest.mark.django_db(transaction=True)
def test_contact_details_follow_ups_and_replies_leave_no_plaintext(organisation, bota):
    marks = {
        "contact": canary("contact"),
        "code-word": canary("code-word"),
        "follow-up": canary("follow-up"),
        "reply": canary("reply"),
        "receipt": b"",
    }
    receipt = submit_report(
        Submission(
            narrative="x",
            contact={"contact_details": marks["contact"].decode(),
                     "code_word": marks["code-word"].decode()},
        ),
        [],
    )
    marks["receipt"] = receipt.replace(" ", "").encode()
    found = find_mailbox(receipt)
    assert found is not None
    box, unlock_key = found
    reply(box, bota.keyring(), marks["reply"].decode())
    add_follow_up(box, marks["follow-up"].decode(), [])
    assert marks["reply"].decode() in [e.text for e in replies_for_reporter(box, unlock_key)]
    assert find_leaks(marks) == []
