"""The mailbox: the receipt shows the team's replies and takes follow-ups, never the report;
wrong receipts get one generic answer, and guessing is limited even from 127.0.0.1."""

from __future__ import annotations

import pytest
from django.test import Client

from kalkan.intake.models import Mailbox, Message
from kalkan.intake.services import Submission, reply, submit_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def receipt(organisation):
    return submit_report(Submission(narrative="They kept me at the station overnight"), [])


def test_the_receipt_shows_replies_and_never_the_report(client, receipt, bota):
    reply(Mailbox.objects.get(), bota.keyring(), "A lawyer will call you at 18:00.")
    page = client.post("/en/mailbox/", {"receipt": receipt}, REMOTE_ADDR="127.0.0.1")
    assert page.status_code == 200
    body = page.content.decode()
    assert "A lawyer will call you at 18:00." in body
    assert "station overnight" not in body


def test_a_follow_up_is_sealed_and_not_shown_back(client, receipt, bota):
    page = client.post("/en/mailbox/", {"receipt": receipt, "follow_up": "They called again"})
    assert "Sent. Our team will read it." in page.content.decode()
    message = Message.objects.get()
    assert message.from_reporter
    assert b"called again" not in bytes(message.body)
    assert "They called again" not in page.content.decode()


def test_a_wrong_receipt_gets_one_generic_answer(client, receipt):
    wrong = receipt[:-1] + ("1" if receipt[-1] != "1" else "2")
    for typed in (wrong, "hello", ""):
        page = client.post("/en/mailbox/", {"receipt": typed})
        assert page.status_code == 404
        assert b"No mailbox opens with this receipt." in page.content


def test_guessing_is_limited_per_visitor_even_from_localhost(receipt):
    guesser = Client()
    statuses = [
        guesser.post("/en/mailbox/", {"receipt": "0" * 25}, REMOTE_ADDR="127.0.0.1").status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [404] * 5 and statuses[5] == 429
    # Even the right receipt waits now, in that browser...
    assert guesser.post("/en/mailbox/", {"receipt": receipt}).status_code == 429
    # ...while another browser is not affected.
    assert Client().post("/en/mailbox/", {"receipt": receipt}).status_code == 200


def test_guessing_is_limited_globally(receipt, settings):
    settings.INTAKE_LIMITS = dict(
        settings.INTAKE_LIMITS, receipt={"visitor": (100, 600), "global": (3, 60)}
    )
    statuses = [
        Client().post("/en/mailbox/", {"receipt": "0" * 25}).status_code for _ in range(4)
    ]
    assert statuses == [404, 404, 404, 429]


def test_the_mailbox_needs_csrf(csrf_client, receipt):
    assert csrf_client.post("/en/mailbox/", {"receipt": receipt}).status_code == 403


def test_refused_files_or_too_much_text_lose_nothing_typed(client, receipt, settings):
    import io

    settings.INTAKE_MAX_FILE_BYTES = 1000
    big = io.BytesIO(b"\0" * 5000)
    big.name = "video.mp4"
    page = client.post(
        "/en/mailbox/", {"receipt": receipt, "follow_up": "They came back tonight", "files": [big]}
    ).content.decode()
    assert "The files were too large or too many, and were not saved." in page
    assert "They came back tonight</textarea>" in page
    long_text = "x" * 20_001
    page = client.post("/en/mailbox/", {"receipt": receipt, "follow_up": long_text})
    page = page.content.decode()
    assert "Ensure this value has at most 20000 characters" in page
    assert long_text in page
    assert Message.objects.count() == 0
