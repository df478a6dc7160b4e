"""An English draft must not mix in Russian, Kyrgyz or Kazakh stories without saying so
(issue 11): each case summary says its language when it differs from the draft's, and a
reviewer's translation, redacted like the original, is printed instead when given. All names,
numbers and places are invented."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings

from kalkan.analysis import builder, redaction
from kalkan.analysis.documents import to_docx, to_markdown
from kalkan.analysis.tests.test_builder import (
    PLANTED_NAME,
    PLANTED_PHONE,
    _accept_all,
    _docx_text,
    _prepared,
)
from kalkan.analysis.tests.test_builder import corpus as corpus  # noqa: F401 (a fixture)
from kalkan.analysis.tests.test_draft_pages import DRAFTS, _new_draft, _review_form
from kalkan.core.testing import log_in

pytestmark = pytest.mark.django_db

TRANSLATION = ("Nurlan Asanbekov met a man through an app. He was called from "
               "+996 555 123 456 and threatened that his family would be told.")


@pytest.mark.parametrize("text, language", [
    ("Эрлан познакомился через приложение с «Максатом», его задержали в Жаңаөзене.", "ru"),
    ("Досумду бир саат мурун Ак-Суу районунун милициясы кармап кетти. Адвокат жок.", "ky"),
    ("Біздің ұйымның қызметкерлері туралы видео желіде жарияланды.", "kk"),
    ("Officer Сыдыков took his phone at the station and did not give it back.", "en"),
])
def test_the_language_of_a_story_is_told_by_its_words(text, language):
    assert redaction.language_of(text) == language


@override_settings(KALKAN_PUBLICATION_THRESHOLD=5, KALKAN_PUBLICATION_K=5)
def test_an_english_draft_says_a_russian_summary_is_russian(corpus):
    prepared = _prepared(corpus, language="en")
    assert {s.language for s in prepared.summaries if s.narrative} == {"ru"}
    draft = builder.document(prepared, _accept_all(prepared))
    for text in (to_markdown(draft), _docx_text(to_docx(draft))):
        stories = text.count("Задержание номер") + text.count("познакомился")
        assert stories > 0
        assert text.count("Summary in Russian, not translated.") == stories

    # A Russian draft of the same stories says nothing about their language.
    russian = _prepared(corpus, language="ru")
    markdown = to_markdown(builder.document(russian, _accept_all(russian)))
    assert "Описание на языке оригинала" not in markdown and "Задержание номер" in markdown


@override_settings(KALKAN_PUBLICATION_THRESHOLD=5, KALKAN_PUBLICATION_K=5)
def test_a_translation_replaces_the_story_and_is_redacted_like_it(corpus):
    prepared = _prepared(corpus, language="en")
    planted = next(s for s in prepared.summaries if PLANTED_NAME in s.narrative)
    review = _accept_all(prepared)
    review.summaries[planted.id]["translation"] = TRANSLATION
    original = review.text(planted)
    pseudonym = re.search(r"Person [A-Z]+", original)
    assert pseudonym, original

    draft = builder.document(prepared, review)
    markdown, docx = to_markdown(draft), _docx_text(to_docx(draft))
    assert "Translated from Russian when the draft was reviewed." in markdown
    assert f"{pseudonym.group(0)} met a man through an app. He was called from [phone]" in docx
    for secret in ("Nurlan", "Asanbekov", PLANTED_PHONE, "555 123", "познакомился"):
        assert secret not in markdown and secret not in docx, secret

    # A name the reviewer chose to keep in the original is kept in the translation too.
    kept = _accept_all(prepared)
    entry = kept.summaries[planted.id]
    entry["replacements"] = [None if f.kind == "person" else r for f, r in planted.proposals]
    entry["translation"] = TRANSLATION
    assert "Nurlan Asanbekov met a man" in kept.translated_text(planted, "en")


@override_settings(KALKAN_PUBLICATION_THRESHOLD=5, KALKAN_PUBLICATION_K=5)
def test_the_review_screen_offers_a_translation_and_the_download_uses_it(client, chingiz,
                                                                        corpus):  # noqa: F811
    log_in(client, chingiz)
    assert "The story is not" not in client.get(_new_draft(client)).content.decode()  # ru draft
    response = client.post(DRAFTS, {"mechanism": "upr", "country": "kg", "year_from": "2024",
                                    "year_to": "2025", "language": "en", "summaries": "20"})
    location = response["Location"]
    page = client.get(location).content.decode()
    assert "The story is not in the language of the draft (English)" in page
    form = _review_form(page)
    summary_id = next(name for name in form if name.startswith("fp-"))[3:]
    assert f'name="translation-{summary_id}"' in page
    form[f"translation-{summary_id}"] = "Officer Kim took Nurlan Asanbekov to the station."
    form[f"lang-{summary_id}"] = "ru"
    assert client.post(f"{location}review/", form).status_code == 302
    page = client.get(location).content.decode()
    assert "The translation as it will read:" in page
    assert "Officer Kim took Nurlan Asanbekov to the station.</textarea>" in page
    markdown = client.post(f"{location}download/", {"format": "md"}).content.decode()
    assert "to the station." in markdown and "Asanbekov" not in markdown
    assert "Translated from Russian when the draft was reviewed." in markdown

    too_long = dict(form, **{f"translation-{summary_id}": "x" * 20_001})
    response = client.post(f"{location}review/", too_long, follow=True)
    assert "A translation is longer than 20000 characters" in response.content.decode()
    assert "Officer Kim took Nurlan Asanbekov" in response.content.decode()  # the old one kept


def test_the_translation_field_belongs_to_those_who_build_drafts(client, bota, corpus):  # noqa: F811
    log_in(client, bota)
    assert client.post(f"{DRAFTS}00000000-0000-4000-8000-000000000000/review/",
                       {"translation-x": "text"}).status_code == 403
