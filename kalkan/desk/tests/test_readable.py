"""What a responder reads on the report and case pages: the detention timer counts down, and
every stored answer is shown with its label in the reader's language, never as a key, a code
or a Python repr."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from django.utils import timezone

from kalkan.core.testing import log_in
from kalkan.desk import services
from kalkan.desk.models import Case
from kalkan.intake.models import Report
from kalkan.intake.services import Submission, submit_report

# The answers exactly as the public form stores them (kalkan.intake.forms.submission), with
# a question the desk has never heard of inside the urgent ones ("in danger now").
ANSWERS: dict[str, object] = {
    "reporter_role": "witness",
    "acts": ["detention", "threats"],
    "perpetrators": ["police"],
    "when": "",
    "fuzzy_date": {"year": 2026, "month": 3, "day": None, "precision": "month",
                   "approximate": True},
    "country": "KG",
    "region": "kg.chuy",
    "place": "by the bus station",
    "help_wanted": ["legal"],
    "urgent": {"where_now": "District 4 station", "since_when": "22:00", "lawyer": "no",
               "reach_now": "", "danger_kind": {"watched_by": "a car outside", "days": 3}},
    "channel": "web",
    "language": "ru",
}
CONTACT = {"contact_method": "signal", "contact_details": "+996 555 010 203",
           "safe_times": "after 18:00", "code_word": "apricot"}
CONSENT = {"services": True, "referral": True, "statistics": True, "un_submission": True,
           "media": False, "contact_back": True}

# What must never reach a reader: keys, codes and Python reprs.
RAW = ("reporter_role", "fuzzy_date", "where_now", "help_wanted", "un_submission",
       "contact_method", "danger_kind", "'year'", "{'", "['", "True", "None", ">witness<",
       ">signal<", ">web<", "kg.chuy", ">detention", "referral, statistics")

READS = {
    "en": ("I saw it happen", "Detained or arrested, Threatened", "Police", "about 2026-03",
           "Kyrgyzstan", "Chüy Region", "A lawyer or legal advice", "Where now",
           "District 4 station", "Lawyer</dt><dd>No", "Danger kind", "a car outside",
           "The public form", "Русский", "Signal", "+996 555 010 203", "apricot",
           "Anonymised statistics", "Anonymised case summary in a UN submission",
           "Publication or media"),
    "ru": ("Это случилось у меня на глазах", "Задержали или арестовали", "Полиция, милиция",
           "примерно 2026-03", "Кыргызстан", "Где сейчас", "Адвокат</dt><dd>Нет",
           "Danger kind", "a car outside", "Signal", "Анонимизированная статистика"),
}


@pytest.fixture
def urgent_report(organisation) -> None:
    submit_report(
        Submission(narrative="Police took my friend from the cafe", answers=ANSWERS,
                   contact=CONTACT, consent=CONSENT, urgent=True),
        [],
    )


def _readable(page: str, language: str) -> None:
    text = html.unescape(page)
    for raw in RAW:
        assert raw not in text, raw
    for words in READS[language]:
        assert words in text, words


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_report_page_shows_every_answer_with_its_label(client, bota, urgent_report,
                                                            language):
    log_in(client, bota)
    report = Report.objects.get()
    page = client.get(f"/{language}/staff/reports/{report.pk}/").content.decode()
    assert "Police took my friend from the cafe" in page
    _readable(page, language)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_case_page_shows_contact_and_consent_with_their_labels(client, bota, urgent_report,
                                                                   language):
    log_in(client, bota)
    case = services.open_case([Report.objects.get()], bota.keyring(), bota.user)
    page = client.get(f"/{language}/staff/cases/{case.pk}/").content.decode()
    assert "Police took my friend from the cafe" in page
    _readable(page, language)


def test_the_inbox_labels_whichever_urgent_questions_were_asked(client, bota, urgent_report):
    log_in(client, bota)
    row = html.unescape(client.get("/en/staff/cases/inbox/").content.decode()
                        .split("<tbody>")[1].split("</tr>")[0])
    assert "Where now:</strong> District 4 station" in row
    assert "Danger kind" in row and "{'" not in row and "danger_kind" not in row


@pytest.mark.parametrize(("language", "left"), [("en", "5\xa0hours"), ("ru", "5\xa0часов")])
def test_the_detention_timer_says_how_long_is_left(client, bota, urgent_report, language, left):
    """An hour after "Detained" was ticked with the default 6 hours, 5 hours are left."""
    keys = bota.keyring()
    case = services.open_case([Report.objects.get()], keys, bota.user)
    services.save_risk(case, keys, {"detained": {"present": True, "notes": ""}}, "")
    case.refresh_from_db()
    assert case.contact_deadline is not None
    assert timedelta(hours=5, minutes=59) < case.contact_deadline - timezone.now() <= timedelta(
        hours=6)
    # An hour later (half a minute to spare, so that the reading is a round 5 hours).
    Case.objects.filter(pk=case.pk).update(
        contact_deadline=timezone.now() + timedelta(hours=5, seconds=30)
    )
    log_in(client, bota)
    page = client.get(f"/{language}/staff/cases/{case.pk}/").content.decode()
    timer = page.split('id="timer"')[1].split("</section>")[0]
    assert left in timer
    assert "0\xa0" not in timer  # "0 minutes" was the old reading
