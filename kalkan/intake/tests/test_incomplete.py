"""A body that ends early (a dropped Tor circuit, a connection closed half-way) is refused
and nothing of it is stored: not a cut story, not a report without its second file, not a
follow-up without its end. The text that did arrive is shown back."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from kalkan.intake.models import Message, Report
from kalkan.intake.services import Submission, submit_report
from kalkan.intake.tests.test_report import STORY, receipt_on
from kalkan.vault.files import files_dir
from kalkan.vault.models import ContentKey

pytestmark = pytest.mark.django_db

INCOMPLETE = "Your report did not arrive complete, so nothing of it was stored."
# The story goes last, so a cut body cuts it.
FIRST_HALF = "They stopped me at the bus station near the bazaar and took my phone, "
SECOND_HALF = "then they called my mother and said they would tell everyone at her work."


def _story_last(**extra: object) -> dict[str, object]:
    fields: dict[str, object] = {k: v for k, v in STORY.items() if k != "narrative"}
    fields.update(extra)
    fields["narrative"] = FIRST_HALF + SECOND_HALF
    return fields


def _photo(name: str, size: int) -> io.BytesIO:
    photo = io.BytesIO(b"\xff\xd8\xff" + b"\1" * size)
    photo.name = name
    return photo


def _post_cut(client: Client, path: str, body: bytes, arrived: int):
    """POST `body` announcing its full length, of which only `arrived` bytes come."""
    # What a server hands over when the connection closed early: the announced length,
    # and a stream that ends before it.
    environ: dict[str, Any] = {
        "wsgi.input": io.BytesIO(body[:arrived]),
        "CONTENT_LENGTH": str(len(body)),
    }
    return client.generic("POST", path, body, content_type=MULTIPART_CONTENT, **environ)


def _stored_files() -> set:
    return set(files_dir().iterdir()) if files_dir().exists() else set()


def test_a_story_cut_half_way_is_refused_and_what_arrived_is_shown_back(client, organisation):
    body = encode_multipart(BOUNDARY, _story_last())
    cut = body.index(SECOND_HALF.encode())
    response = _post_cut(client, "/en/report/", body, cut)
    assert response.status_code == 400
    page = response.content.decode()
    assert INCOMPLETE in page
    assert "The text that arrived is below" in page
    assert escape(FIRST_HALF.strip()) in page
    assert 'value="Tash-Bulak"' in page
    assert Report.objects.count() == 0
    assert ContentKey.objects.count() == 0


def test_a_report_cut_in_its_second_file_stores_neither_file_nor_report(client, organisation):
    before = _stored_files()
    fields = dict(STORY, files=[_photo("one.jpg", 50_000), _photo("two.jpg", 50_000)])
    body = encode_multipart(BOUNDARY, fields)
    cut = body.index(b'filename="two.jpg"') + 20_000
    response = _post_cut(client, "/en/report/", body, cut)
    assert response.status_code == 400
    page = response.content.decode()
    assert INCOMPLETE in page
    assert "Files cannot be kept: please choose them again." in page
    assert STORY["narrative"] in page
    assert Report.objects.count() == 0
    assert ContentKey.objects.count() == 0
    assert _stored_files() == before


def test_a_body_missing_only_its_closing_boundary_is_refused(client, organisation):
    body = encode_multipart(BOUNDARY, dict(STORY, files=[_photo("one.jpg", 1000)]))
    response = _post_cut(client, "/en/report/", body, len(body) - len(BOUNDARY) - 8)
    assert response.status_code == 400
    assert INCOMPLETE in response.content.decode()
    assert Report.objects.count() == 0
    assert ContentKey.objects.count() == 0


def test_the_same_body_arriving_whole_is_stored(client, organisation):
    body = encode_multipart(BOUNDARY, dict(STORY, files=[_photo("one.jpg", 1000)]))
    response = _post_cut(client, "/en/report/", body, len(body))
    assert receipt_on(response.content)
    assert Report.objects.count() == 1


def test_an_urgent_report_cut_short_is_refused_on_its_own_form(client, organisation):
    fields = _story_last(where_now="District 4 station", since_when="an hour ago")
    body = encode_multipart(BOUNDARY, fields)
    response = _post_cut(client, "/en/report/urgent/", body, body.index(SECOND_HALF.encode()))
    assert response.status_code == 400
    page = response.content.decode()
    assert INCOMPLETE in page
    assert 'value="District 4 station"' in page
    assert Report.objects.count() == 0


def test_an_expired_form_cut_short_says_it_did_not_arrive_complete(organisation):
    strict = Client(enforce_csrf_checks=True)
    body = encode_multipart(BOUNDARY, _story_last())
    response = _post_cut(strict, "/en/report/", body, body.index(SECOND_HALF.encode()))
    assert response.status_code == 400
    assert INCOMPLETE in response.content.decode()
    assert Report.objects.count() == 0


def test_a_follow_up_cut_short_is_not_added_to_the_mailbox(client, organisation):
    receipt = submit_report(Submission(narrative="They kept me at the station overnight"), [])
    before = _stored_files()
    fields = {
        "receipt": receipt,
        "files": [_photo("one.jpg", 30_000)],
        "follow_up": FIRST_HALF + SECOND_HALF,
    }
    body = encode_multipart(BOUNDARY, fields)
    response = _post_cut(client, "/en/mailbox/", body, body.index(SECOND_HALF.encode()))
    assert response.status_code == 400
    page = response.content.decode()
    assert INCOMPLETE in page
    assert escape(FIRST_HALF.strip()) in page
    assert Message.objects.count() == 0
    assert ContentKey.objects.count() == 1  # the report's own key, nothing more
    assert _stored_files() == before


@pytest.mark.parametrize("lang", ["ru", "ky", "kk"])
def test_the_refusal_is_in_the_persons_language(client, organisation, lang):
    body = encode_multipart(BOUNDARY, _story_last())
    response = _post_cut(client, f"/{lang}/report/", body, body.index(SECOND_HALF.encode()))
    with translation.override(lang):
        said = gettext(
            "Your report did not arrive complete, so nothing of it was stored. The text that "
            "arrived is below: please check it and send it again."
        )
    page = response.content.decode()
    assert escape(said) in page
    assert INCOMPLETE not in page


@pytest.mark.parametrize("before_place", [1, 10, 30, 45])
def test_a_body_cut_inside_a_boundary_or_a_parts_headers_is_refused(
    client, organisation, before_place
):
    body = encode_multipart(BOUNDARY, STORY)
    cut = body.index(b'name="place"') - before_place
    response = _post_cut(client, "/en/report/", body, cut)
    assert response.status_code == 400
    assert INCOMPLETE in response.content.decode()
    assert STORY["narrative"] in response.content.decode()
    assert Report.objects.count() == 0
