"""Staff lists turn pages: every row is reachable by following "Next", in the list's order,
with the list's filters kept in the page links, and a bad page number shows a page (never a
500). The triage inbox once showed its first 200 reports and no more."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from kalkan.core.testing import Character, log_in
from kalkan.desk import services
from kalkan.desk.models import Case
from kalkan.intake.models import Report
from kalkan.intake.services import Submission, submit_report

INBOX = "/en/staff/cases/inbox/"
REPORTS = "/en/staff/reports/"
CASES = "/en/staff/cases/"

NEXT = re.compile(r'<a href="(\?[^"]*)" rel="next">')


@pytest.fixture
def small_pages(settings):
    settings.STAFF_PAGE_SIZE = 3


@pytest.fixture
def eight_reports(organisation):
    """Eight reports, the 3rd and 6th urgent, sent in this order."""
    for n in range(8):
        submit_report(Submission(narrative=f"Story number {n} of eight", urgent=n in (2, 5)), [])


def _walk(client: Client, url: str, row: re.Pattern[str]) -> tuple[list[str], list[str]]:
    """Every page of a list from its first, following "Next": the rows in the order shown,
    and the links followed."""
    seen: list[str] = []
    links: list[str] = []
    page = client.get(url)
    while True:
        assert page.status_code == 200
        text = page.content.decode()
        seen += row.findall(text)
        following = NEXT.search(text)
        if not following:
            return seen, links
        links.append(html.unescape(following.group(1)))
        page = client.get(url.split("?")[0] + links[-1])


def test_every_inbox_report_is_reachable_urgent_first_then_oldest(
    client, bota: Character, small_pages, eight_reports
):
    log_in(client, bota)
    ids, links = _walk(client, INBOX, re.compile(r'id="pick-([0-9a-f-]+)"'))
    expected = [str(pk) for pk in Report.objects.order_by("-urgent", "revision", "pk")
                .values_list("pk", flat=True)]
    assert ids == expected and len(ids) == 8  # none missing, none twice, order kept
    assert links == ["?page=2", "?page=3"]
    first = client.get(INBOX).content.decode()
    assert "Page 1 of 3" in first and "8 reports waiting" in first
    # The urgent ones (sent 3rd and 6th) lead; the others follow oldest first.
    stories = re.findall(r"Story number (\d) of eight", first)
    assert stories == ["2", "5", "0"]


@pytest.mark.parametrize("asked, shown", [
    ("abc", 1), ("0", 3), ("-4", 3), ("999", 3), ("2.5", 1), ("", 1),
])
def test_a_bad_page_number_shows_the_first_or_last_page(
    client, bota: Character, small_pages, eight_reports, asked, shown
):
    log_in(client, bota)
    page = client.get(INBOX, {"page": asked})
    assert page.status_code == 200
    assert f"Page {shown} of 3" in page.content.decode()


def test_the_reports_list_turns_pages_too(client, bota: Character, small_pages, eight_reports):
    log_in(client, bota)
    stories, _links = _walk(client, REPORTS, re.compile(r"Story number (\d) of eight"))
    assert sorted(stories) == [str(n) for n in range(8)]
    assert stories[:2] == ["5", "2"] or stories[:2] == ["2", "5"]  # urgent first


def test_the_case_list_keeps_its_filter_in_the_page_links(
    client, bota: Character, small_pages, organisation
):
    keyring = bota.keyring()
    for n in range(7):
        services.open_case([], keyring, bota.user, title=f"Case title {n}")
    services.change_status(Case.objects.order_by("revision")[0], Case.Status.CLOSED,
                           "done", keyring, bota.user)
    log_in(client, bota)
    titles, links = _walk(client, CASES + "?show=all", re.compile(r"Case title (\d)"))
    assert sorted(titles) == [str(n) for n in range(7)]
    assert links == ["?show=all&page=2", "?show=all&page=3"]
    opened, _links = _walk(client, CASES + "?show=open", re.compile(r"Case title (\d)"))
    assert len(opened) == 6


def test_the_team_and_audit_lists_turn_pages(
    client, amir: Character, bota: Character, chingiz: Character, dana: Character, small_pages
):
    log_in(client, amir)
    names, _links = _walk(client, "/en/staff/team/",
                          re.compile(r'<a href="/en/staff/team/\d+/">(\w+)</a>'))
    assert names == ["amir", "bota", "chingiz", "dana"]
    seqs, links = _walk(client, "/en/staff/audit/", re.compile(r"<tr><td>(\d+)</td>"))
    numbers = [int(s) for s in seqs]
    # Viewing the log is logged, so a later page may repeat the row before it; none is lost.
    assert links and numbers == sorted(numbers, reverse=True)
    assert set(numbers) == set(range(1, numbers[0] + 1))


def test_a_list_that_fits_one_page_has_no_page_links(client, bota: Character, eight_reports):
    log_in(client, bota)
    page = client.get(INBOX).content.decode()
    assert 'rel="next"' not in page and "Page 1 of" not in page
    assert len(re.findall(r'id="pick-', page)) == 8
