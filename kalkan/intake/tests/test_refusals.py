"""Refusals on the public side: whatever refuses a report (a limit, a mistake, a file too
large, an expired form), what the person typed comes back; limits keep nothing about a
visitor on the server, and one visitor's refusal never refuses another."""

from __future__ import annotations

import base64
import io
import json
import re

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from kalkan.core.testing import csrf_token_in
from kalkan.intake import limits
from kalkan.intake.models import Message, Report
from kalkan.intake.services import Submission, submit_report
from kalkan.intake.tests.test_report import STORY, receipt_on

pytestmark = pytest.mark.django_db

# Words a person would not want to type twice.
STORY_WORDS = "They waited for me at the bus stop after the meeting and followed me home"


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def two_per_visitor(settings):
    settings.INTAKE_LIMITS = dict(
        settings.INTAKE_LIMITS, submission={"visitor": (2, 3600), "global": (100_000, 60)}
    )


def _photo() -> io.BytesIO:
    photo = io.BytesIO(b"\xff\xd8\xff" + b"\0" * 100)
    photo.name = "photo.jpg"
    return photo


def _keeps_what_was_typed(page: str) -> None:
    assert STORY_WORDS in page  # the story, in its text area
    assert 'value="Tash-Bulak"' in page and 'value="apricot"' in page
    assert re.search(r'value="entrapment" id="id_acts_\d+" checked', page)  # ticks too
    assert "What you typed is kept below." in page


def test_the_report_over_the_limit_keeps_the_story_and_says_files_must_be_chosen_again(
    client, organisation, two_per_visitor
):
    for _ in range(2):
        receipt_on(client.post("/en/report/", STORY).content)
    refused = client.post("/en/report/", dict(STORY, narrative=STORY_WORDS, files=[_photo()]))
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "This browser has sent a lot in a short time." in page
    # "1 minute" when the window is about to end: either is the page saying how long.
    wait = re.search(r"please try again in (\d+) minutes?\.", page)
    assert wait and 1 <= int(wait.group(1)) <= 60
    _keeps_what_was_typed(page)
    assert "Files cannot be kept: please choose them again." in page
    assert Report.objects.count() == 2


def test_an_urgent_report_is_not_refused_for_what_the_browser_sent_before(
    client, organisation, two_per_visitor
):
    for _ in range(2):
        receipt_on(client.post("/en/report/", STORY).content)
    assert client.post("/en/report/", STORY).status_code == 429
    receipt_on(client.post("/en/report/danger/", STORY).content)
    detained = dict(STORY, where_now="District 4 station", since_when="an hour ago")
    receipt_on(client.post("/en/report/urgent/", detained).content)
    assert Report.objects.filter(urgent=True).count() == 2


@pytest.mark.parametrize("lang", ["ru", "ky", "kk"])
def test_the_page_says_so_in_the_persons_language(client, organisation, two_per_visitor, lang):
    for _ in range(2):
        client.post(f"/{lang}/report/", STORY)
    page = client.post(f"/{lang}/report/", dict(STORY, files=[_photo()])).content.decode()
    with translation.override(lang):
        said = [
            gettext("What you typed is kept below."),
            gettext("Files cannot be kept: please choose them again."),
        ]
    for sentence in said:
        assert escape(sentence) in page
    assert "What you typed is kept below." not in page  # translated, not English
    assert STORY["narrative"] in page


def test_a_mistake_or_a_file_too_large_keeps_the_story_too(client, organisation, settings):
    mistake = client.post("/en/report/", dict(STORY, narrative=STORY_WORDS, when_month="3"))
    _keeps_what_was_typed(mistake.content.decode())
    settings.INTAKE_MAX_FILE_BYTES = 50
    large = client.post("/en/report/", dict(STORY, narrative=STORY_WORDS, files=[_photo()]))
    assert large.status_code == 413
    page = large.content.decode()
    _keeps_what_was_typed(page)
    assert "Files cannot be kept: please choose them again." in page
    assert Report.objects.count() == 0


def test_mistakes_do_not_use_up_the_visitors_reports(client, organisation, two_per_visitor):
    for _ in range(5):
        assert client.post("/en/report/", dict(STORY, narrative="")).status_code == 200
    for _ in range(2):
        receipt_on(client.post("/en/report/", STORY).content)
    assert Report.objects.count() == 2


def test_one_visitors_refusal_does_not_refuse_another(organisation, two_per_visitor):
    busy = Client()
    statuses = [busy.post("/en/report/", STORY).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    other = Client()
    assert receipt_on(other.post("/en/report/", STORY).content)


def test_the_global_refusal_keeps_the_story(organisation, settings):
    settings.INTAKE_LIMITS = dict(
        settings.INTAKE_LIMITS, submission={"visitor": (100, 3600), "global": (1, 60)}
    )
    Client().post("/en/report/", STORY)
    refused = Client().post("/en/report/", dict(STORY, narrative=STORY_WORDS))
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "Very many messages are arriving right now." in page
    _keeps_what_was_typed(page)


def test_a_refused_follow_up_keeps_its_text(organisation, settings):
    receipt = submit_report(Submission(narrative="They kept me at the station overnight"), [])
    settings.INTAKE_LIMITS = dict(
        settings.INTAKE_LIMITS, receipt={"visitor": (1, 600), "global": (100_000, 60)}
    )
    visitor = Client()
    # Opening the mailbox with the right receipt is no guess: it never uses up the limit.
    for _ in range(3):
        assert visitor.post("/en/mailbox/", {"receipt": receipt}).status_code == 200
    assert visitor.post("/en/mailbox/", {"receipt": "1" * 25}).status_code == 404
    refused = visitor.post(
        "/en/mailbox/", {"receipt": receipt, "follow_up": STORY_WORDS, "files": [_photo()]}
    )
    assert refused.status_code == 429
    page = refused.content.decode()
    assert f"{STORY_WORDS}</textarea>" in page and f'value="{receipt}"' in page
    assert "Files cannot be kept: please choose them again." in page
    assert Message.objects.count() == 0
    # The same words, sent from the page that kept them by another browser, arrive.
    sent = Client().post("/en/mailbox/", {"receipt": receipt, "follow_up": STORY_WORDS})
    assert "Sent. Our team will read it." in sent.content.decode()


def test_an_expired_form_keeps_the_story(csrf_client, organisation):
    """The CSRF cookie gone (Tor Browser's "new identity", cookies cleared): the report is
    refused, and the same page offers the typed story back with a fresh form."""
    refused = csrf_client.post(
        "/en/report/", dict(STORY, narrative=STORY_WORDS), HTTP_ORIGIN="null"
    )
    assert refused.status_code == 403
    page = refused.content.decode()
    assert "forms stop working after some time" in page
    _keeps_what_was_typed(page)
    assert Report.objects.count() == 0
    # The fresh form on that page works.
    again = csrf_client.post(
        "/en/report/",
        dict(STORY, narrative=STORY_WORDS, csrfmiddlewaretoken=csrf_token_in(page)),
        HTTP_ORIGIN="null",
    )
    assert receipt_on(again.content)


def test_a_foreign_site_gets_no_form_back(csrf_client, organisation):
    refused = csrf_client.post(
        "/en/report/", dict(STORY, narrative=STORY_WORDS), HTTP_ORIGIN="https://evil.example"
    )
    assert refused.status_code == 403
    assert STORY_WORDS not in refused.content.decode()


# --- no timing trail --------------------------------------------------------------------------


def test_public_posts_leave_no_session_rows(organisation, two_per_visitor):
    """A session row's expiry is its last request to the microsecond plus a window: beside the
    write order of reports it would date each report. The public side stores none."""
    visitor = Client()
    receipt = receipt_on(visitor.post("/en/report/", STORY).content)
    visitor.post("/en/report/saved/", {"receipt": receipt, "saved": "yes"})
    visitor.post("/en/report/urgent/", dict(STORY, where_now="District 4", since_when="today"))
    visitor.post("/en/report/", STORY)  # over the limit now
    visitor.post("/en/report/danger/", STORY)
    visitor.post("/en/report/", dict(STORY, narrative=""))
    visitor.post("/en/mailbox/", {"receipt": receipt, "follow_up": "They called again"})
    visitor.post("/en/mailbox/", {"receipt": "0" * 25})
    for path in ("/en/", "/ru/report/", "/kk/report/danger/", "/ky/mailbox/"):
        visitor.get(path)
    assert Report.objects.count() == 3 and Message.objects.count() == 1
    assert Session.objects.count() == 0
    assert "kalkan_session" not in visitor.cookies


def test_the_pace_cookie_reveals_nothing_and_never_repeats(client, organisation):
    values = []
    for _ in range(2):
        receipt_on(client.post("/en/report/", STORY).content)
        cookie = client.cookies[limits.COOKIE_NAME]
        # Gone when the browser closes; unreadable to script and to other sites.
        assert not cookie["max-age"] and not cookie["expires"]
        assert cookie["httponly"] and cookie["samesite"] == "Strict"
        values.append(cookie.value)
    assert values[0] != values[1]  # a fresh nonce each time: no tracking ID
    for value in values:
        raw = base64.urlsafe_b64decode(value)
        assert b"submission" not in raw
        with pytest.raises(ValueError):
            json.loads(raw)


def test_a_forged_or_dropped_cookie_starts_afresh(organisation, two_per_visitor):
    visitor = Client()
    for _ in range(2):
        visitor.post("/en/report/", STORY)
    assert visitor.post("/en/report/", STORY).status_code == 429
    sealed = base64.urlsafe_b64decode(visitor.cookies[limits.COOKIE_NAME].value)
    forged = sealed[:-1] + bytes([sealed[-1] ^ 1])
    visitor.cookies[limits.COOKIE_NAME] = base64.urlsafe_b64encode(forged).decode()
    assert visitor.post("/en/report/", STORY).status_code == 200
    visitor.cookies[limits.COOKIE_NAME] = "not base64 at all!"
    assert visitor.post("/en/report/", STORY).status_code == 200


def test_serve_clears_expired_sessions_at_start(monkeypatch):
    from kalkan.core.management.commands import serve

    called = []
    monkeypatch.setattr(serve, "call_command", lambda name, **kw: called.append(name))
    monkeypatch.setattr(serve.waitress, "serve", lambda app, **options: None)
    monkeypatch.setattr(serve, "compile_catalogues", lambda: None)
    serve.Command().handle(host="127.0.0.1", port=8000, demo=False)
    assert "clearsessions" in called
