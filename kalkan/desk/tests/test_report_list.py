"""The staff reports list shows the start of each story (opened in memory for the person
whose keys open it), and lists say "received on <day>": the hour a report arrived is not
stored, on purpose (security.md), and the page says so."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import models
from django.utils import timezone

from kalkan.core.testing import log_in
from kalkan.intake.models import Message, Report
from kalkan.intake.services import Submission, submit_report

LIST = "/en/staff/reports/"
STORY = "Two men followed me from the club to my door and took photos of me " * 5


@pytest.fixture
def reports(organisation):
    submit_report(Submission(narrative=STORY), [])
    submit_report(Submission(narrative="A letter from the landlord", urgent=True), [])
    Report.objects.filter(urgent=True).update(created_on=timezone.now().date() - timedelta(3))


@pytest.mark.parametrize("who", ["bota", "chingiz"])
def test_the_reports_list_shows_the_start_of_each_story(client, request, reports, who):
    log_in(client, request.getfixturevalue(who))
    page = client.get(LIST).content.decode()
    assert STORY[:200] in page and STORY[:201] not in page and "…" in page
    assert "A letter from the landlord" in page


def test_lists_say_the_day_a_report_arrived_and_why_not_the_hour(client, bota, reports):
    log_in(client, bota)
    older = (timezone.now().date() - timedelta(3)).isoformat()
    for url in (LIST, "/en/staff/cases/inbox/"):
        page = client.get(url).content.decode()
        assert "Received on" in page and "never the hour" in page
        calm = next(row for row in page.split("<tr>") if "Two men followed me" in row)
        urgent = next(row for row in page.split("<tr>") if "A letter from the landlord" in row)
        assert "today" in calm and older in urgent


def test_the_hour_a_report_or_follow_up_arrived_is_not_stored():
    """The decision behind "received on <day>": a day, never a time (security.md)."""
    for model in (Report, Message):
        field = model._meta.get_field("created_on")
        assert isinstance(field, models.DateField)
        assert not isinstance(field, models.DateTimeField)
