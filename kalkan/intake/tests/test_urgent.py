"""Two urgent ways in: "someone has just been detained" asks where and since when; "I am in
danger now" (surveillance, threats, someone at the door) asks what the danger is and how to
reach the person safely, and demands nothing but the story. Both raise the plaintext urgent
flag; which kind it is, and every answer, is sealed."""

from __future__ import annotations

import json
import re

import pytest

from kalkan.core.testing import log_in
from kalkan.desk.alerts import collect
from kalkan.intake.models import Report
from kalkan.intake.tests.test_report import STORY, receipt_on
from kalkan.vault.records import open_content_key, read

pytestmark = pytest.mark.django_db

DANGER = "A car has waited outside my flat every night since the rally"


@pytest.mark.parametrize(
    ("lang", "detained", "danger"),
    [
        ("en", "Someone has just been detained", "I am in danger now"),
        ("ru", "Кого-то только что задержали", "Мне сейчас грозит опасность"),
        ("ky", "Кимдир бирөө жаңы эле кармалды", "Мен азыр коркунучтамын"),
        ("kk", "Біреу жаңа ғана ұсталды", "Маған қазір қауіп төніп тұр"),
    ],
)
def test_the_start_page_offers_two_urgent_ways_that_look_urgent(client, lang, detained, danger):
    page = client.get(f"/{lang}/").content.decode()
    assert f'<a class="button urgent" href="/{lang}/report/urgent/">{detained}</a>' in page
    assert f'<a class="button urgent" href="/{lang}/report/danger/">{danger}</a>' in page
    css = client.get("/static/kalkan/kalkan.css")
    rules = b"".join(css.streaming_content).decode()
    urgent = re.search(r"\.button\.urgent \{([^}]*)\}", rules)
    assert urgent and "background: var(--danger)" in urgent.group(1)
    assert "font-weight: 700" in urgent.group(1)


def test_in_danger_now_asks_what_the_danger_is_and_demands_nothing_more(
    client, organisation, bota
):
    page = client.get("/en/report/danger/").content.decode()
    assert "Urgent: you are in danger now" in page
    assert "What is the danger?" in page and "Are you somewhere safe right now?" in page
    assert "How can we reach you safely right now?" in page
    assert "Where is the person now" not in page and "Since when?" not in page
    # The story alone is enough.
    receipt_on(client.post("/en/report/danger/", STORY).content)
    answered = dict(STORY, danger=DANGER, safe_now="no", reach_now="Signal after 22:00")
    receipt_on(client.post("/en/report/danger/", answered).content)
    assert Report.objects.filter(urgent=True).count() == 2
    report = Report.objects.order_by("revision").last()
    assert report is not None
    fields = read(report, open_content_key(report.content_key, bota.keyring()))
    assert json.loads(fields["answers"])["urgent"] == {
        "kind": "danger", "danger": DANGER, "safe_now": "no", "reach_now": "Signal after 22:00"
    }
    assert b"danger" not in bytes(report.answers) and b"rally" not in bytes(report.answers)


def test_only_the_detention_path_asks_where_and_since_when(client, organisation, bota):
    page = client.get("/en/report/urgent/").content.decode()
    assert "Where is the person now" in page and "What is the danger?" not in page
    assert b"Where is the person now" in client.post("/en/report/urgent/", STORY).content
    assert Report.objects.count() == 0
    detained = dict(STORY, where_now="District 4 station", since_when="this morning")
    receipt_on(client.post("/en/report/urgent/", detained).content)
    report = Report.objects.get()
    fields = read(report, open_content_key(report.content_key, bota.keyring()))
    assert json.loads(fields["answers"])["urgent"]["kind"] == "detained"


def test_a_refused_danger_report_keeps_its_answers(client, organisation):
    page = client.post(
        "/en/report/danger/", dict(STORY, narrative="", danger=DANGER, safe_now="no")
    ).content.decode()
    assert f"{DANGER}</textarea>" in page
    assert re.search(r'name="safe_now" value="no"[^>]*checked', page)
    assert 'action="/en/report/danger/"' in page


def test_the_desk_sees_and_is_alerted_to_the_danger(client, organisation, bota):
    client.post("/en/report/danger/", dict(STORY, danger=DANGER, safe_now="no"))
    assert collect().counts_for().urgent == 1  # the content-free alert counts it as urgent
    log_in(client, bota)
    inbox = client.get("/en/staff/cases/inbox/").content.decode()
    row = inbox.split("<tbody>")[1].split("</tr>")[0]
    assert "urgent" in row and "In danger now:</strong> " + DANGER in row
    assert "Somewhere safe now:</strong> No" in row
    assert "Where now" not in row
