"""Counts that can leave the organisation count only what consent allows: with a victim's
"anonymised statistics" consent withdrawn, the draft's tables (on the page and in DOCX, PDF
and Markdown) and the dashboards "as it would be published" leave their acts out and say
how many; the statistics export agrees. An act against a community (nobody to ask) is
counted; the exact staff view counts everything and says what the published one leaves out.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date

import pytest
from django.test import override_settings
from docx import Document
from pypdf import PdfReader

from kalkan.analysis import builder, charts, documents
from kalkan.analysis.tests.test_builder import PLAN, _accept_all, _date
from kalkan.analysis.tests.test_builder import corpus as corpus  # noqa: F401 (a fixture)
from kalkan.core.testing import log_in
from kalkan.records import consent, exchange, services
from kalkan.records.models import Person
from kalkan.vault import workingset

DASHBOARDS = "/en/staff/dashboards/"
ASSAULTS = [n for n, plan in enumerate(PLAN) if plan[0] == "assault"]  # 5 acts, in Chüy


@pytest.fixture
def withdrawn(corpus, chingiz):  # noqa: F811
    """The assault victims withdrew their statistics consent; one more act, in Naryn in
    2025, was against a community, whom nobody can be asked for."""
    keys = corpus
    pseudonyms = {f"Victim {n}" for n in ASSAULTS}
    for person in Person.objects.select_related("content_key"):
        if services.opened(person, keys, ("pseudonym",))["pseudonym"] in pseudonyms:
            consent.record(person, "statistics", given=False, on=date(2026, 2, 1),
                           how="by phone", keyring=keys, by=chingiz.user)
    community = services.new_person(keys, pseudonym="Community of Naryn",
                                    profile={"kind": "community"})
    event = services.new_event(keys, chingiz.user, title="Hate speech at a rally",
                               details={"start": _date(2025),
                                        "place": {"code": "kg.naryn", "detail": ""}})
    services.add_act(event, keys, victim=community, details={"type": "hate_speech"})
    return keys


def _prepared(keys, language="en"):
    working = workingset.for_session("consent-test", keys)
    asked = builder.Asked(mechanism="upr", country="kg", year_from=2024, year_to=2025,
                          language=language)
    return builder.prepare(working, asked, keys)


def _total(prepared) -> str:
    return prepared.tables[0].rows[-1][-1]


@override_settings(KALKAN_PUBLICATION_THRESHOLD=5, KALKAN_PUBLICATION_K=5)
def test_withdrawn_statistics_consent_leaves_the_draft(withdrawn):
    prepared = _prepared(withdrawn)
    # 22 acts in Kyrgyzstan, 5 withdrawn, 1 against a community.
    assert prepared.acts == 18 and _total(prepared) == "18"
    assert prepared.without_statistics_consent == 5
    perpetrators = next(t for t in prepared.tables if t.caption == "Acts by perpetrator")
    assert not any(row[0] == "Strangers" for row in perpetrators.rows)  # only the assaults
    draft = builder.document(prepared, _accept_all(prepared))
    said = "5 acts left out: no statistics consent"
    markdown = documents.to_markdown(draft)
    docx = Document(io.BytesIO(documents.to_docx(draft)))
    docx_text = "\n".join([p.text for p in docx.paragraphs]
                          + [c.text for t in docx.tables for r in t.rows for c in r.cells])
    pdf = "\n".join(page.extract_text() for page in
                    PdfReader(io.BytesIO(documents.to_pdf(draft))).pages)
    for name, text in (("md", markdown), ("docx", docx_text), ("pdf", pdf)):
        assert said in re.sub(r"\s+", " ", text), name
        assert "counts 18 acts" in re.sub(r"\s+", " ", text), name
    # In the draft's language, too.
    russian = builder.document(_prepared(withdrawn, "ru"), _accept_all(prepared))
    assert "5 действий не учтены: нет согласия на статистику" in documents.to_markdown(russian)


@override_settings(KALKAN_PUBLICATION_THRESHOLD=5, KALKAN_PUBLICATION_K=5)
def test_the_draft_page_says_what_was_left_out(client, chingiz, withdrawn):
    log_in(client, chingiz)
    response = client.post("/en/staff/drafts/", {
        "mechanism": "upr", "country": "kg", "year_from": "2024", "year_to": "2025",
        "language": "en", "summaries": "20"})
    page = client.get(response["Location"]).content.decode()
    assert "18 acts in this selection" in page
    assert "5 acts left out: no statistics consent" in page


@override_settings(KALKAN_PUBLICATION_THRESHOLD=5)
def test_dashboards_as_published_count_only_with_consent(client, dana, withdrawn,
                                                          monkeypatch):
    log_in(client, dana)
    published = client.get(DASHBOARDS, {"country": "kg", "gated": "1"}).content.decode()
    assert "18 acts" in published
    assert "5 acts left out: no statistics consent" in published
    exact = client.get(DASHBOARDS, {"country": "kg"}).content.decode()
    assert "23 acts" in exact  # staff see every act, and are told the published view differs
    assert "The published view leaves out 5 acts: no statistics consent." in exact

    drawn: dict[str, list] = {}
    real = charts.horizontal_bars

    def spy(labels, values, title, **kwargs):
        drawn[title] = list(zip(labels, values, strict=True))
        return real(labels, values, title, **kwargs)

    monkeypatch.setattr(charts, "horizontal_bars", spy)
    client.get(DASHBOARDS + "chart/by_perpetrator.svg", {"country": "kg", "gated": "1"})
    assert "Strangers" not in dict(drawn["Acts by perpetrator"])
    client.get(DASHBOARDS + "chart/by_perpetrator.svg", {"country": "kg"})
    assert dict(drawn["Acts by perpetrator"])["Strangers"] == 5


def test_the_statistics_export_agrees(withdrawn):
    data, report = exchange.export_json(withdrawn, purpose="statistics")
    exported = json.loads(data)
    # The 5 assaults are left out; the community's act goes out without a statement.
    assert report.left_out["acts"] == 5
    assert len(exported["acts"]) == len(PLAN) - 5 + 1


@override_settings(KALKAN_PUBLICATION_THRESHOLD=5)
def test_a_dashboard_kept_between_charts_follows_a_change_of_consent(client, dana, chingiz,
                                                                     withdrawn):
    """The page and its charts share one computation while nothing changes; a consent given
    (or withdrawn) meanwhile shows on the next page, never a kept old count."""
    log_in(client, dana)
    before = client.get(DASHBOARDS, {"country": "kg", "gated": "1"}).content.decode()
    assert "18 acts" in before
    pseudonyms = {f"Victim {n}" for n in ASSAULTS}
    for person in Person.objects.select_related("content_key"):
        if services.opened(person, withdrawn, ("pseudonym",))["pseudonym"] in pseudonyms:
            consent.record(person, "statistics", given=True, on=date(2026, 3, 1),
                           how="in person", keyring=withdrawn, by=chingiz.user)
    after = client.get(DASHBOARDS, {"country": "kg", "gated": "1"}).content.decode()
    assert "23 acts" in after and "left out" not in after


def test_consent_read_from_the_working_set_agrees_with_the_ledger(withdrawn, chingiz):
    """The statements the working set holds decide as the ledger does: newest by date, then
    by order of entry; a withdrawal after a consent, a consent given again the same day."""
    persons = list(Person.objects.select_related("content_key"))
    first, second = persons[0], persons[1]
    for person, given, on in ((first, True, date(2026, 4, 1)), (first, False, date(2026, 4, 1)),
                              (second, False, date(2026, 4, 2)),
                              (second, True, date(2026, 4, 2))):
        consent.record(person, "statistics", given=given, on=on, how="by phone",
                       keyring=withdrawn, by=chingiz.user)
    working = workingset.for_session("consent-agree", withdrawn)
    ids = [str(p.pk) for p in persons]
    for purpose in ("statistics", "un_submission", "publication"):
        assert (consent.consenting(ids, purpose, withdrawn, working)
                == consent.consenting(ids, purpose, withdrawn))
    assert str(first.pk) not in consent.consenting(ids, "statistics", withdrawn, working)
    assert str(second.pk) in consent.consenting(ids, "statistics", withdrawn, working)


@override_settings(KALKAN_PUBLICATION_THRESHOLD=5, KALKAN_PUBLICATION_K=5)
def test_a_withdrawn_un_submission_consent_takes_the_summary_out_of_the_next_draft(
        withdrawn, chingiz):
    """Case summaries read consent from the working set: a withdrawal recorded after the set
    was built is seen by the next preparation."""
    from kalkan.records.models import Act

    before = _prepared(withdrawn)
    assert before.summaries
    act = Act.objects.select_related("victim__content_key").get(pk=before.summaries[0].id)
    consent.record(act.victim, "un_submission", given=False, on=date(2026, 5, 1),
                   how="by phone", keyring=withdrawn, by=chingiz.user)
    after = _prepared(withdrawn)
    assert before.summaries[0].id not in {s.id for s in after.summaries}


def test_dashboard_columns_count_what_the_rows_of_drafts_count(withdrawn):
    """The dashboards' columns (read from the facets) and the drafts' rows (an object per
    act) give the same counts in every dimension, before and after consent, the community
    whom nobody can be asked for counted in both."""
    from kalkan.analysis import statistics
    from kalkan.vault.workingset import Query

    working = workingset.for_session("columns-agree", withdrawn)
    query = Query(kind="act")
    rows = statistics.act_rows(working, query, withdrawn)
    columns = statistics.act_columns(working, query, withdrawn)
    kept_rows, left_rows = statistics.with_consent(working, rows, withdrawn)
    kept_columns, left_columns = statistics.columns_with_consent(working, columns, withdrawn)
    assert len(columns) == len(rows) > 20
    assert left_columns == left_rows == len(ASSAULTS)
    for dimension in [*statistics.DIMENSIONS, "month", "victim"]:
        for got, expected in ((columns, rows), (kept_columns, kept_rows)):
            want = statistics.tally(expected, "victim" if dimension == "victim" else dimension)
            assert got.counts(dimension) == want.counts, dimension
    assert kept_columns.counts("act_group", "year") == statistics.tally(
        kept_rows, "act_group", "year").counts


def test_who_consents_is_brought_up_to_date_from_the_statements_added(withdrawn, chingiz,
                                                                      monkeypatch):
    """After a new statement only the statements added since are read; a statement the set
    forgets (moved out of reach) makes it count anew, so the older statement decides
    again."""
    from kalkan.records.models import ConsentEntry

    working = workingset.for_session("consent-carried", withdrawn)
    person = Person.objects.select_related("content_key").order_by("pk")[0]
    ids = [str(p.pk) for p in Person.objects.all()]
    consent.record(person, "media", given=True, on=date(2026, 4, 1), how="by phone",
                   keyring=withdrawn, by=chingiz.user)
    working = workingset.for_session("consent-carried", withdrawn)
    assert str(person.pk) in consent.consenting(ids, "media", withdrawn, working)

    reads: list[int] = []
    real = working.fields_of_kind

    def read(kind: str, names: tuple[str, ...], *, after: int = -1) -> object:
        reads.append(after)
        return real(kind, names, after=after)

    monkeypatch.setattr(working, "fields_of_kind", read)
    withdrawal = consent.record(person, "media", given=False, on=date(2026, 4, 2),
                                how="by phone", keyring=withdrawn, by=chingiz.user)
    working = workingset.for_session("consent-carried", withdrawn)
    assert str(person.pk) not in consent.consenting(ids, "media", withdrawn, working)
    assert reads and reads[0] > -1 and -1 not in reads  # only what was added

    working.remove(str(withdrawal.pk))  # e.g. sealed into a case this keyring cannot open
    assert ConsentEntry.objects.filter(pk=withdrawal.pk).exists()
    reads.clear()
    assert str(person.pk) in consent.consenting(ids, "media", withdrawn, working)
    assert -1 in reads  # counted anew
