"""Why each redaction was proposed, and which words the tool let stand: what a reviewer
reads to look where the tool is weakest."""

from __future__ import annotations

import pytest
from django.utils import translation

from kalkan.analysis import redaction, review_hints


@pytest.fixture(autouse=True)
def in_english():
    # The reasons are translated: these tests read them in English whatever ran before.
    with translation.override("en"):
        yield


def _why(text: str) -> dict[str, str]:
    proposals = redaction.propose(text, "ru")
    return {finding.text: reason for (finding, _r), reason
            in zip(proposals, review_hints.reasons(text, proposals), strict=True)}


def test_each_kind_says_what_found_it():
    why = _why("Азамат Токтогулов (тел. +996 555 123 456, e-mail azamat.t@example.org) "
               "живёт по ул. Токтогула, д. 45, кв. 12. Позже Азамата снова вызвали.")
    assert why["+996 555 123 456"] == "phone pattern"
    assert why["azamat.t@example.org"] == "e-mail pattern"
    assert why["ул. Токтогула, д. 45, кв. 12"] == "street or microdistrict with a house number"
    assert "given-name list" in why["Азамат Токтогулов"]
    assert "family-name ending" in why["Азамат Токтогулов"]
    assert "another mention of a name found here (Азамат Токтогулов)" in why["Азамата"]


def test_cue_words_are_named():
    why = _why("Его избил человек по кличке Чёрный, а участковый Сыдыков смотрел.")
    assert "cue word “по кличке”" in why["Чёрный"]
    assert "title or cue word “участковый”" in why["Сыдыков"]


def test_the_words_it_let_stand_are_the_capitalised_and_quoted_ones_it_did_not_hide():
    text = ("Вчера Азамата Токтогулова задержали в Бишкеке. Его подруга «Малышка» и сосед "
            "Жоомарт видели, как МВД увезло его в ОВД.")
    proposals = redaction.propose(text, "ru")
    hidden = {finding.text for finding, _r in proposals}
    left = review_hints.unhidden(text, proposals)
    assert "Малышка" in left
    assert not set(left) & hidden and "Азамата" not in left
    assert "МВД" not in left and "ОВД" not in left  # institutions' abbreviations
    assert "Бишкеке" not in left  # a place of the gazetteer
    # A word the reviewer already hides is not offered again.
    assert "Малышка" not in review_hints.unhidden(text, proposals, already=["малышка"])
