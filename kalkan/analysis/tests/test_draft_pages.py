"""The pages of drafts and dashboards, as staff use them: prepare a draft, see only gated
numbers, review every redaction, download DOCX, PDF and Markdown; dashboards draw SVG charts
with the search filters, exact for staff and gated on request; roles and CSRF hold."""

from __future__ import annotations

import io
import re
from xml.etree import ElementTree

import pytest
from django.test import Client, override_settings
from docx import Document

from kalkan.analysis.models import ReportDraft
from kalkan.analysis.tests.test_builder import CANARY, PLANTED_NAME, PLANTED_PHONE
from kalkan.analysis.tests.test_builder import corpus as corpus  # noqa: F401 (a fixture)
from kalkan.audit.models import AuditEntry
from kalkan.core.testing import log_in

DRAFTS = "/en/staff/drafts/"
DASHBOARDS = "/en/staff/dashboards/"


def _new_draft(client) -> str:
    response = client.post(DRAFTS, {"mechanism": "upr", "country": "kg", "year_from": "2024",
                                    "year_to": "2025", "language": "ru", "summaries": "20"})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def _review_form(page: str) -> dict[str, str]:
    """What a reviewer submits when they accept every proposal as shown."""
    form = page.split('action="/en/staff/drafts/')[1].split("</form>")[0]
    data = dict(re.findall(r'name="((?:fp|text)-[^"]+)" value="([^"]*)"', form))
    data["csrfmiddlewaretoken"] = "ignored-by-the-test-client"
    return data


@override_settings(KALKAN_PUBLICATION_THRESHOLD=5, KALKAN_PUBLICATION_K=5)
def test_prepare_review_and_download_a_draft(client, chingiz, corpus):  # noqa: F811
    log_in(client, chingiz)
    assert client.post(DRAFTS, {"mechanism": "upr", "country": "kg", "year_from": "2026",
                                "year_to": "2024", "language": "ru"}).status_code == 400
    location = _new_draft(client)
    page = client.get(location).content.decode()
    assert "needs review" in page and "Download the draft" not in page
    # Gated: no visible number from 1 to 4 in the tables' cells.
    for cell in re.findall(r"<td>(\d+)</td>", page.split("Case summaries")[0]):
        assert not 1 <= int(cell) < 5
    assert PLANTED_NAME in page  # staff see what they are reviewing
    draft_id = location.rstrip("/").rsplit("/", 1)[1]
    refused = client.post(f"{location}download/", {"format": "docx"})
    assert refused.status_code == 302  # not before review

    assert client.post(f"{location}review/", _review_form(page)).status_code == 302
    page = client.get(location).content.decode()
    assert "needs review" not in page and "Download the draft" in page

    for kind, signature in (("docx", b"PK"), ("pdf", b"%PDF"), ("md", b"#")):
        response = client.post(f"{location}download/", {"format": kind})
        assert response.status_code == 200, kind
        assert response["Content-Disposition"].startswith("attachment;")
        body = response.content
        assert body.startswith(signature), kind
        if kind == "docx":
            text = "\n".join(p.text for p in Document(io.BytesIO(body)).paragraphs)
        elif kind == "md":
            text = body.decode()
        else:
            continue  # the PDF's text is checked in test_builder
        for secret in (PLANTED_NAME, PLANTED_PHONE, CANARY):
            assert secret not in text, (kind, secret)
    assert AuditEntry.objects.filter(action="analysis.draft_downloaded").count() == 3
    draft = ReportDraft.objects.get(pk=draft_id)
    assert bytes(draft.provenance)  # kept, sealed


@override_settings(KALKAN_PUBLICATION_THRESHOLD=5, KALKAN_PUBLICATION_K=5)
def test_a_review_of_changed_records_is_refused(client, chingiz, corpus):  # noqa: F811
    log_in(client, chingiz)
    location = _new_draft(client)
    form = _review_form(client.get(location).content.decode())
    stale = {k: ("0" * 32 if k.startswith("fp-") else v) for k, v in form.items()}
    client.post(f"{location}review/", stale)
    assert "needs review" in client.get(location).content.decode()


def test_dashboards_draw_charts_with_filters(client, dana, corpus):  # noqa: F811
    log_in(client, dana)
    page = client.get(DASHBOARDS, {"country": "kg"}).content.decode()
    assert "22 acts" in page
    charts = re.findall(r'<img src="([^"]+)"', page)
    assert len(charts) == 5
    for src in charts:
        response = client.get(DASHBOARDS + src.replace("&amp;", "&"))
        assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
        svg = response.content.decode()
        ElementTree.fromstring(svg)  # noqa: S314 (our own server's output)
        assert "<script" not in svg and "http://" not in svg.replace(
            "http://www.w3.org", "")
    assert client.get(DASHBOARDS + "chart/nothing.svg").status_code == 404
    for by in ("perpetrator_group", "region", "gender_identity", "unknown-breakdown"):
        for gated in ("", "1"):
            response = client.get(DASHBOARDS + "chart/over_time.svg",
                                  {"country": "kg", "by": by, "gated": gated})
            assert response.status_code == 200, (by, gated)
    page = client.get(DASHBOARDS, {"country": "kg", "by": "region"}).content.decode()
    assert "chart/over_time.svg?country=kg&amp;by=region" in page


def test_only_roles_that_build_reports_see_drafts_and_dashboards(client, bota, corpus):  # noqa: F811
    log_in(client, bota)  # a responder
    assert client.get(DRAFTS).status_code == 403
    assert client.get(DASHBOARDS).status_code == 403


@pytest.mark.parametrize("path", ["", "x/review/", "x/download/"])
def test_posts_need_the_csrf_token(chingiz, path):
    client = log_in(Client(enforce_csrf_checks=True), chingiz)
    assert client.post(DRAFTS + path, {"format": "md"}).status_code == 403
    assert not ReportDraft.objects.exists()


def test_malformed_ids_and_choices_get_a_clear_answer(client, chingiz):
    log_in(client, chingiz)
    for path in ("not-an-id/", "00000000-0000-0000-0000-000000000000/"):
        assert client.get(DRAFTS + path).status_code == 404
        assert client.post(DRAFTS + path + "download/", {"format": "docx"}).status_code == 404
        assert client.post(DRAFTS + path + "review/", {}).status_code == 404
    response = client.post(DRAFTS, {"mechanism": "nothing", "country": "xx", "year_from": "x",
                                    "year_to": "", "language": "zz", "summaries": "-1"})
    assert response.status_code == 400
    assert not ReportDraft.objects.exists()
    assert client.get(DASHBOARDS, {"from": "last year", "country": "zz"}).status_code == 200


@override_settings(KALKAN_PUBLICATION_THRESHOLD=5, KALKAN_PUBLICATION_K=5)
def test_a_draft_is_prepared_again_only_when_what_it_counts_changed(client, chingiz, corpus,
                                                                   monkeypatch):  # noqa: F811
    """Viewing, reviewing and downloading reuse one preparation (the redaction model runs
    once); a new act in scope or a new law stage prepare it again, and a table published
    meanwhile is audited again, so the draft never shows numbers or summaries older than the
    records or than what was published."""
    from kalkan.analysis import builder, register
    from kalkan.records import services

    prepared: list[object] = []
    audits: list[object] = []
    real_prepare, real_audit = builder.prepare, register.audit

    def counted(*args: object, **kwargs: object) -> object:
        prepared.append(args[1])
        return real_prepare(*args, **kwargs)  # type: ignore[arg-type]

    def audited(*args: object, **kwargs: object) -> object:
        audits.append(args[1])
        return real_audit(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builder, "prepare", counted)
    monkeypatch.setattr(register, "audit", audited)
    log_in(client, chingiz)
    location = _new_draft(client)
    page = client.get(location).content.decode()
    client.get(location)
    assert client.post(f"{location}review/", _review_form(page)).status_code == 302
    assert "Download the draft" in client.get(location).content.decode()
    assert len(prepared) == 1 and len(audits) == 1

    # A table published: the register's audit of the next view must see it (the
    # preparation itself does not read the register).
    assert client.post(f"{location}download/", {"format": "md"}).status_code == 200
    client.get(location)
    assert len(prepared) == 1 and len(audits) == 2
    assert audits[-1], "the audit read the table just published"

    # One more act in scope: counted at once.
    keys = chingiz.keyring()
    event = services.new_event(keys, chingiz.user, title="Detained at a bus stop",
                               details={"start": {"year": 2025}, "place": {"code": "kg.chuy",
                                                                          "detail": ""}})
    victim = services.new_person(keys, pseudonym="Victim late", profile={"kind": "individual"})
    services.add_act(event, keys, victim=victim, details={"type": "arbitrary_detention"})
    client.get(location)
    assert len(prepared) == 2


@override_settings(KALKAN_PUBLICATION_THRESHOLD=5, KALKAN_PUBLICATION_K=5)
def test_a_download_is_made_again_only_when_the_draft_changed(client, chingiz, corpus,
                                                              monkeypatch):  # noqa: F811
    """The same file again is not laid out again; a changed review is in the next file."""
    from kalkan.analysis import builder

    made: list[object] = []
    real = builder.document

    def counted(*args: object, **kwargs: object) -> object:
        made.append(args[1])
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builder, "document", counted)
    log_in(client, chingiz)
    location = _new_draft(client)
    page = client.get(location).content.decode()
    form = _review_form(page)
    assert client.post(f"{location}review/", form).status_code == 302
    first = client.post(f"{location}download/", {"format": "md"}).content
    again = client.post(f"{location}download/", {"format": "md"}).content
    assert again == first and len(made) == 1
    assert client.post(f"{location}download/", {"format": "docx"}).content.startswith(b"PK")
    assert len(made) == 2  # another format is another file

    # The reviewer leaves the first summary out: the next file says so.
    from django.utils import translation

    with translation.override("ru"):  # the draft's language
        note = translation.gettext("Reviewers left out %(count)d further summaries.") % {
            "count": 1}
    summary = next(name for name in form if name.startswith("fp-")).removeprefix("fp-")
    assert note not in first.decode()
    assert client.post(f"{location}review/", {**form, f"out-{summary}": "1"}
                       ).status_code == 302
    changed = client.post(f"{location}download/", {"format": "md"}).content.decode()
    assert note in changed and len(made) == 3


@override_settings(KALKAN_PUBLICATION_THRESHOLD=5, KALKAN_PUBLICATION_K=5)
def test_the_charts_of_a_draft_are_drawn_with_its_preparation(client, chingiz, corpus,
                                                              monkeypatch):  # noqa: F811
    """The first download does not wait for the charts: the page that prepared the draft
    drew them; the downloaded file embeds exactly those."""
    import functools

    from kalkan.analysis import charts

    monkeypatch.setattr(charts, "_drawn", type(charts._drawn)())  # nothing kept yet
    log_in(client, chingiz)
    location = _new_draft(client)
    page = client.get(location).content.decode()
    assert client.post(f"{location}review/", _review_form(page)).status_code == 302
    drawn: list[str] = []
    for name in ("bars_over_time", "timeline"):
        real = getattr(charts, name)

        @functools.wraps(real)
        def counted(*args: object, _real=real, **kwargs: object) -> charts.Chart:
            drawn.append(_real.__name__)
            return _real(*args, **kwargs)

        monkeypatch.setattr(charts, name, counted)
    response = client.post(f"{location}download/", {"format": "docx"})
    assert response.status_code == 200 and drawn == []
    pictures = [part for part in Document(io.BytesIO(response.content)).inline_shapes]
    assert len(pictures) == 2
