"""Drafts for UN mechanisms, end to end below the web pages: the numbers in the document are
the gated counts computed here independently; no count from 1 to threshold-1 appears; case
summaries only for people who consented, k-anonymous, only after review, with the planted
name, phone and canary gone; the DOCX and PDF carry Cyrillic and Kazakh letters."""

from __future__ import annotations

import io
import re
from collections import Counter
from datetime import date

import pytest
from django.test import override_settings
from docx import Document
from pypdf import PdfReader

from kalkan.analysis import builder, gate
from kalkan.analysis.documents import Table, to_docx, to_markdown, to_pdf
from kalkan.records import consent, services
from kalkan.vault import workingset

CANARY = "CANARY-7f3a9c-builder"
PLANTED_NAME = "Нурлан Асанбеков"
PLANTED_PHONE = "+996 555 123 456"
KAZAKH_LAW = "Құқық қорғаушылар туралы заң жобасы"

# (act type, year, region, perpetrator type, gender identity, consents to a UN submission)
PLAN = (
    [("detention.arbitrary", 2024, "kg.bishkek", "police.district", "man", True)] * 7
    + [("detention.arbitrary", 2025, "kg.bishkek", "police", "man", True)] * 6
    + [("assault", 2025, "kg.chuy", "strangers", "trans_woman", False)] * 5
    + [("outing.family", 2024, "kg.osh", "family", "woman", False)] * 3
    + [("extortion.outing_threat", 2025, "kg.naryn", "police", "trans_woman", True)]
    + [("torture.in_custody", 2025, "kz.almaty-city", "police", "man", True)] * 6  # other country
)


def _date(year: int) -> dict[str, object]:
    return {"year": year, "month": None, "day": None, "precision": "year"}


@pytest.fixture
def corpus(chingiz):
    keys = chingiz.keyring()
    for number, (act_type, year, region, perpetrator, gender, agrees) in enumerate(PLAN):
        story = f"Задержание номер {number} в городе."
        if number == 7:
            # A story a careless summary would give away: a name, a phone, a district.
            story = (f"{PLANTED_NAME} познакомился через приложение. Ему звонили с номера "
                     f"{PLANTED_PHONE} и угрожали рассказать семье в Кочкоре.")
        victim = services.new_person(
            keys, pseudonym=f"Victim {number}",
            identity={"names": [f"{CANARY} real name {number}"], "contacts": [PLANTED_PHONE]},
            profile={"kind": "individual", "age_band": "25_34",
                     "gender_identity": {"code": gender}},
        )
        event = services.new_event(keys, chingiz.user, title=f"Event {number}",
                                   description=story,
                                   details={"start": _date(year),
                                            "place": {"code": region, "detail": ""}})
        perpetrators = services.new_person(keys, pseudonym=f"Unit {number}",
                                           profile={"kind": "organisation"})
        act = services.add_act(event, keys, victim=victim, details={"type": act_type})
        services.add_involvement(act, keys, perpetrator=perpetrators,
                                 details={"perpetrator_types": [perpetrator]})
        consent.record(victim, "un_submission", given=agrees, on=date(2026, 1, 10),
                       how="in person", keyring=keys, by=chingiz.user)
        consent.record(victim, "statistics", given=True, on=date(2026, 1, 10),
                       how="in person", keyring=keys, by=chingiz.user)
    return keys


def _prepared(keys, language="en"):
    working = workingset.for_session("builder-test", keys)
    asked = builder.Asked(mechanism="upr", country="kg", year_from=2024, year_to=2025,
                          language=language)
    return builder.prepare(working, asked, keys)


def _accept_all(prepared) -> builder.Review:
    return builder.Review({
        s.id: {"fingerprint": s.fingerprint,
               "replacements": [replacement for _f, replacement in s.proposals]}
        for s in prepared.summaries
    })


def _docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@override_settings(KALKAN_PUBLICATION_THRESHOLD=5, KALKAN_PUBLICATION_K=5)
def test_the_tables_are_the_gated_counts_and_show_no_small_number(corpus):
    prepared = _prepared(corpus)
    in_scope = [p for p in PLAN if p[2].startswith("kg.")]
    assert prepared.acts == len(in_scope) == 22

    # Computed independently: top-level type x year, then gated.
    groups = {"detention.arbitrary": "liberty", "assault": "violence",
              "outing.family": "digital", "extortion.outing_threat": "intimidation"}
    counted = Counter((groups[p[0]], str(p[1])) for p in in_scope)
    rows = sorted({g for g, _y in counted})
    expected = gate.gate_table(rows, ["2024", "2025"],
                               [[counted[g, y] for y in ("2024", "2025")] for g in rows])
    table = prepared.tables[0]
    body = {row[0]: row[1:] for row in table.rows}
    assert body["Deprivation of liberty"] == [gate.shown(v) for v in
                                              [*expected.cells[rows.index("liberty")],
                                               expected.row_totals[rows.index("liberty")]]]
    assert body["Total"][-1] == gate.shown(expected.total) == "22"
    for figure in prepared.tables:
        for row in figure.rows:
            for cell in row[1:]:
                assert not (cell.isdigit() and 1 <= int(cell) < 5), (figure.caption, row)
    # The appendix (kept inside) knows which acts stand behind the visible 7.
    assert len(table.behind["Deprivation of liberty × 2024"]) == 7


@override_settings(KALKAN_PUBLICATION_THRESHOLD=5, KALKAN_PUBLICATION_K=5)
def test_summaries_only_with_consent_k_anonymous_and_only_after_review(corpus):
    prepared = _prepared(corpus)
    assert prepared.without_consent == 8  # the assaults and the outings
    population = [q for q in (
        gate.QuasiIdentifiers(country="kg", region=p[2], year=str(p[1]), age_band="25_34",
                              gender_identity=p[4], act_type=p[0], perpetrator_type=g)
        for p, g in ((p, {"police.district": "police"}.get(p[3], p[3])) for p in PLAN)
    ) if q.region.startswith("kg.")]
    released = {s.id: s.released for s in prepared.summaries}
    assert released, "some consenting cases can be summarised"
    # Only the acts of people who consented: the Bishkek detentions and the extortion.
    from kalkan.records.models import Act
    for act in Act.objects.filter(pk__in=released).select_related("victim"):
        assert consent.permitted(act.victim, "un_submission", corpus)
    for values in released.values():
        matching = [q for q in population
                    if gate.with_levels(q, prepared.levels) == values]
        assert len(matching) >= 5
    # The unique extortion in Naryn cannot be published as such.
    assert all(v.act_type != "extortion.outing_threat" for v in released.values())

    with pytest.raises(ValueError):
        builder.document(prepared, builder.Review())


@override_settings(KALKAN_PUBLICATION_THRESHOLD=5, KALKAN_PUBLICATION_K=5)
def test_the_exported_files_hold_no_planted_name_phone_or_canary(corpus, chingiz):
    from kalkan.analysis import laws

    law = laws.new_law(chingiz.keyring(), chingiz.user, title=KAZAKH_LAW,
                       details={"country": "kg", "type": "propaganda"})
    laws.add_stage(law, chingiz.keyring(), stage="introduced", date=laws.month_date(2025, 3))
    prepared = _prepared(corpus, language="kk")
    narratives = [s for s in prepared.summaries if PLANTED_NAME in s.narrative]
    assert narratives, "the planted story belongs to a group of at least k cases"
    kinds = {f.kind for f, _r in narratives[0].proposals}
    assert {"person", "phone", "place"} <= kinds
    review = _accept_all(prepared)
    review.summaries[narratives[0].id]["extra"] = ["приложени"]  # hidden by hand, any ending
    draft = builder.document(prepared, review)
    assert "…" in to_markdown(draft)
    files = {"docx": _docx_text(to_docx(draft)), "pdf": _pdf_text(to_pdf(draft)),
             "md": to_markdown(draft)}
    for kind, text in files.items():
        compact = re.sub(r"\s+", " ", text)
        assert KAZAKH_LAW in compact, kind
        for secret in (PLANTED_NAME, "Асанбеков", PLANTED_PHONE, "555 123", CANARY, "Кочкор",
                       "приложени"):
            assert secret not in compact, (kind, secret)
    assert not any(isinstance(b, Table) and "Records behind" in b.caption for b in draft.blocks)
    # The numbers in the document's first table are the gated counts, cell by cell.
    expected = prepared.tables[0].rows
    document = Document(io.BytesIO(to_docx(draft)))
    printed = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert [row[1:] for row in printed[1:]] == [row[1:] for row in expected]
    with_appendix = builder.document(prepared, _accept_all(prepared), appendix=True)
    assert len(with_appendix.blocks) > len(draft.blocks)
