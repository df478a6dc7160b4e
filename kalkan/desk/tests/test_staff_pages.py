"""Staff home pages that lead each role to its work, and a "not found" on a staff address that
leads back to the staff home page rather than the public start page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kalkan.analysis import laws
from kalkan.analysis.builder import Asked, new_draft
from kalkan.core.testing import log_in
from kalkan.desk import services as desk
from kalkan.intake.services import Submission, submit_report
from kalkan.records import services as records

HOME = "/en/staff/"


@pytest.fixture
def work(organisation, amir, bota):
    keys = amir.keyring()
    submit_report(Submission(narrative="Threats at the hostel"), [])
    records.new_event(keys, amir.user, title="Raid on the Oak Lane office")
    new_draft(keys, amir.user, Asked(mechanism="upr", country="kg", year_from=2022,
                                     year_to=2026))
    law = laws.new_law(keys, amir.user, title="Bill on foreign representatives", details={})
    laws.add_deadline(law, keys, due=timezone.localdate() + timedelta(days=3),
                      what="Shadow report to the committee")
    case = desk.open_case([], keys, bota.user, title="Shelter case")
    desk.add_task(case, keys, title="Find a bed", due_at=timezone.now() - timedelta(hours=1),
                  assignee=bota.user)


def test_a_documenter_finds_the_coding_queue_search_drafts_and_recent_events(
    client, chingiz, work
):
    log_in(client, chingiz)
    page = client.get(HOME).content.decode()
    assert "1 report waiting to be coded" in page
    assert 'href="/en/staff/records/events/#to-code"' in page
    assert "Raid on the Oak Lane office" in page  # recently changed events
    for link in ("/en/staff/search/", "/en/staff/drafts/", "/en/staff/dashboards/",
                 "/en/staff/laws/", "/en/staff/exchange/"):
        assert f'href="{link}"' in page
    assert "Universal Periodic Review" in page or "UPR" in page  # the recent draft
    assert "Shadow report to the committee" in page
    assert "/en/staff/cases/" not in page.split("<main>")[1]  # no desk for a documenter


def test_an_analyst_finds_search_dashboards_drafts_and_deadlines(client, dana, work):
    log_in(client, dana)
    page = client.get(HOME).content.decode()
    main = page.split("<main>")[1]
    for link in ("/en/staff/search/", "/en/staff/dashboards/", "/en/staff/drafts/",
                 "/en/staff/laws/"):
        assert f'href="{link}"' in main
    assert "Shadow report to the committee" in main
    assert "/en/staff/records/" not in main and "/en/staff/reports/" not in main


def test_a_responder_sees_what_waits_on_the_desk(client, bota, work):
    log_in(client, bota)
    main = client.get(HOME).content.decode().split("<main>")[1]
    assert "1 open task" in main and "overdue" in main
    assert 'href="/en/staff/cases/inbox/"' in main and "new: 1" in main
    assert "/en/staff/drafts/" not in main


def test_the_home_page_needs_a_login(organisation):
    assert Client().get(HOME)["Location"].startswith("/en/staff/login/")


@pytest.mark.parametrize(("language", "words"), [("en", "Go to the staff home page"),
                                                 ("ru", "На главную страницу сотрудников")])
def test_a_missing_staff_page_leads_to_the_staff_home(client, bota, language, words):
    log_in(client, bota)
    for path in (f"/{language}/staff/no-such-page/",
                 f"/{language}/staff/cases/00000000-0000-0000-0000-000000000000/"):
        response = client.get(path)
        assert response.status_code == 404
        body = response.content.decode()
        assert f'href="/{language}/staff/"' in body and words in body
        assert f'href="/{language}/">' not in body


def test_a_missing_public_page_still_leads_to_the_start_page(client, organisation):
    body = Client().get("/en/no-such-page/").content.decode()
    assert 'href="/en/"' in body and "staff home" not in body

