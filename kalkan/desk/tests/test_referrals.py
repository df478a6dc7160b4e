"""Referrals: the person's consent per partner decides what goes; the package opens only with
the partner's key, with no Kalkan server; refusals, withdrawals, roles, CSRF and restricted
cases. All names and stories are fictional."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from kalkan.audit.models import AuditEntry
from kalkan.audit.services import read_details
from kalkan.core.testing import log_in
from kalkan.desk import referrals
from kalkan.desk.models import Partner, Referral, ReferralConsent
from kalkan.desk.services import json_field, open_case, open_fields, restrict, save_risk
from kalkan.intake.models import Report
from kalkan.intake.services import Submission, submit_report
from kalkan.vault import crypto

TOOL = Path(__file__).resolve().parents[3] / "tools" / "kalkan_referral.py"
STORY = "Canary-story-Aigerim-was-followed-from-the-Lotus-club-5531"
CONTACT = "canary-contact-signal-aigerim-8842"
CODE_WORD = "canary-codeword-pomegranate-3309"
BASE = "/en/staff/referrals/"
PARTNERS = f"{BASE}partners/"


def tool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, str(TOOL), *args],
        capture_output=True, text=True, timeout=60, check=False, cwd=cwd,
    )


@pytest.fixture
def case(organisation, bota):
    submit_report(
        Submission(
            narrative=STORY,
            answers={"help_wanted": ["legal", "shelter"], "country": "KG",
                     "region": "kg.bishkek", "place": "Canary-street-Jasmine-12"},
            contact={"contact_method": "signal", "contact_details": CONTACT,
                     "code_word": CODE_WORD},
            consent={"services": True, "referral": True},
        ),
        [],
        None,
    )
    return open_case([Report.objects.get()], bota.keyring(), bota.user, title="Aigerim, Bishkek")


@pytest.fixture
def keys():
    return crypto.new_keypair()


@pytest.fixture
def shelter(amir, keys):
    return referrals.add_partner(
        amir.keyring(), "Tulip Shelter (fictional)",
        {"contact": "tulip@example.org", "services": "shelter"}, keys[1],
    )


@pytest.fixture
def lawyers(amir):
    return referrals.add_partner(
        amir.keyring(), "Steppe Lawyers (fictional)", {"contact": "", "services": "legal"},
        crypto.new_keypair()[1],
    )


def case_url(case, tail=""):
    return f"{BASE}case/{case.pk}/{tail}"


def consent_form(partner, parts, day=None):
    return {"partner": str(partner.pk), "parts": parts, "how": "in person at the office",
            "given_on": (day or timezone.localdate()).isoformat()}


# --- refusals -----------------------------------------------------------------------------------


def test_without_consent_nothing_is_made(client, bota, case, shelter):
    log_in(client, bota)
    response = client.post(case_url(case, "package/"), {"partner": str(shelter.pk)})
    assert response.status_code == 200
    assert "Content-Disposition" not in response
    assert response["Content-Type"].startswith("text/html")
    assert "Nothing was sent: the person has not consented" in response.content.decode()
    assert Referral.objects.count() == 0
    assert AuditEntry.objects.filter(action="referral.refused").count() == 1
    assert not AuditEntry.objects.filter(action="referral.make").exists()


def test_a_withdrawn_consent_refuses_every_later_referral(client, bota, case, shelter):
    keyring = bota.keyring()
    referrals.record_consent(case, shelter, ["needs"], "spoken", timezone.localdate(),
                             keyring, bota.user)
    referrals.make_referral(case, shelter, keyring, bota.user)
    log_in(client, bota)
    response = client.post(case_url(case, "withdraw/"), {
        "partner": str(shelter.pk), "withdrawn_on": timezone.localdate().isoformat()})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="referral.withdraw").exists()
    assert referrals.consented_fields(case, shelter, keyring) == []
    response = client.post(case_url(case, "package/"), {"partner": str(shelter.pk)})
    assert "Content-Disposition" not in response
    assert "withdrawn consent" in response.content.decode()
    with pytest.raises(referrals.ReferralRefused):
        referrals.make_referral(case, shelter, keyring, bota.user)
    assert Referral.objects.count() == 1
    page = client.get(case_url(case)).content.decode()
    assert "withdrawn on" in page


def test_a_consent_dated_before_its_withdrawal_does_not_count(bota, case, shelter):
    keyring = bota.keyring()
    today = timezone.localdate()
    referrals.record_consent(case, shelter, ["needs"], "spoken", today - timedelta(days=5),
                             keyring, bota.user)
    referrals.withdraw_consent(case, shelter, today - timedelta(days=2), keyring, bota.user)
    with pytest.raises(referrals.DeskError):
        referrals.record_consent(case, shelter, ["needs"], "phone", today - timedelta(days=3),
                                 keyring, bota.user)
    assert referrals.consented_fields(case, shelter, keyring) == []
    # The person agrees again (a narrower consent): it counts from then on.
    referrals.record_consent(case, shelter, ["place"], "phone", today, keyring, bota.user)
    assert referrals.consented_fields(case, shelter, keyring) == ["place"]


def test_consent_for_one_partner_does_not_reach_another(bota, case, shelter, lawyers):
    keyring = bota.keyring()
    referrals.record_consent(case, shelter, ["needs", "story"], "written",
                             timezone.localdate(), keyring, bota.user)
    assert referrals.consented_fields(case, lawyers, keyring) == []
    with pytest.raises(referrals.ReferralRefused):
        referrals.make_referral(case, lawyers, keyring, bota.user)
    assert Referral.objects.count() == 0
    assert referrals.make_referral(case, shelter, keyring, bota.user)


def test_an_inactive_partner_receives_nothing(client, amir, bota, case, shelter):
    keyring = bota.keyring()
    referrals.record_consent(case, shelter, ["needs"], "spoken", timezone.localdate(),
                             keyring, bota.user)
    log_in(client, amir)
    assert client.post(f"{PARTNERS}{shelter.pk}/deactivate/").status_code == 302
    assert AuditEntry.objects.filter(action="partner.deactivate").exists()
    with pytest.raises(referrals.ReferralRefused):
        referrals.make_referral(case, Partner.objects.get(pk=shelter.pk), keyring, bota.user)
    assert Referral.objects.count() == 0


# --- the package --------------------------------------------------------------------------------


def test_the_partner_opens_exactly_the_consented_parts(client, amir, bota, case, tmp_path):
    made = tool("keygen", "--out", "partner.key", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    key_file = tmp_path / "partner.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    public_b64 = next(
        line.strip() for line in made.stdout.splitlines()
        if line.startswith("    ") and len(line.strip()) == 44
    )

    log_in(client, amir)
    response = client.post(PARTNERS, {"name": "Tulip Shelter (fictional)",
                                      "contact": "tulip@example.org", "services": "shelter",
                                      "public_key": public_b64}, follow=True)
    partner = Partner.objects.get()
    assert referrals.fingerprint(bytes(partner.public_key)) in response.content.decode()
    assert AuditEntry.objects.filter(action="partner.add", object_id=str(partner.pk)).exists()
    assert "Tulip Shelter (fictional)" in client.get(PARTNERS).content.decode()

    log_in(client, bota)
    page = client.get(case_url(case)).content.decode()
    assert "Tulip Shelter (fictional)" in page and "agreed to referral" in page
    response = client.post(case_url(case, "consent/"),
                           consent_form(partner, ["needs", "place"]))
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="referral.consent").exists()
    response = client.post(case_url(case, "package/"), {"partner": str(partner.pk)})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="referral-{today}.kalkan"'
    package = response.content
    for canary in (STORY, CONTACT, CODE_WORD, "Tulip"):
        assert canary.encode() not in package
    (tmp_path / "referral.kalkan").write_bytes(package)

    opened = tool("open", "--key", str(key_file), str(tmp_path / "referral.kalkan"))
    assert opened.returncode == 0, opened.stderr
    assert hashlib.sha256(package).hexdigest() in opened.stderr
    data = json.loads(opened.stdout)
    secret = base64.b64decode(key_file.read_text().splitlines()[-1])
    assert json.loads(crypto.open_sealed(secret, package)) == data

    assert data["format"] == "kalkan-referral/1"
    assert data["partner"] == "Tulip Shelter (fictional)"
    assert data["made_on"] == today
    assert set(data) == {"format", "partner", "made_on", "fields"}
    assert set(data["fields"]) == {"needs", "place"}
    assert [n["code"] for n in data["fields"]["needs"]] == ["legal", "shelter"]
    assert data["fields"]["place"] == [{"country": "KG", "country_name": "Kyrgyzstan",
                                        "region": "kg.bishkek",
                                        "region_name": "Bishkek (city)"}]
    for canary in (STORY, CONTACT, CODE_WORD, "Canary-street", "Aigerim"):
        assert canary not in opened.stdout

    # Kalkan keeps which parts went and the digest of the package, never the package.
    referral = Referral.objects.get()
    details = json_field(open_fields(referral, bota.keyring()), "details", {})
    assert details == {"fields": ["needs", "place"],
                       "sha256": hashlib.sha256(package).hexdigest()}
    entry = AuditEntry.objects.get(action="referral.make")
    assert entry.object_id == str(case.pk) and entry.actor_id == bota.user.pk
    logged = read_details(entry, bota.keyring())
    assert logged is not None and logged["fields"] == "needs,place"
    assert AuditEntry.objects.filter(action="referral.view", object_id=str(case.pk)).exists()

    # Another key does not open it.
    other = tmp_path / "other.key"
    assert tool("keygen", "--out", str(other)).returncode == 0
    refused = tool("open", "--key", str(other), str(tmp_path / "referral.kalkan"))
    assert refused.returncode == 1 and "does not open" in refused.stderr


def test_risk_and_safety_plan_hold_only_present_factors(bota, case, keys, shelter):
    keyring = bota.keyring()
    save_risk(case, keyring, {"outed": {"present": True, "notes": "photos shared in a chat"},
                              "injured": {"present": False, "notes": "none visible"}},
              "Stay with a friend for a week")
    referrals.record_consent(case, shelter, ["risk", "safety_plan"], "phone",
                             timezone.localdate(), keyring, bota.user)
    data = json.loads(crypto.open_sealed(keys[0], referrals.make_referral(
        case, shelter, keyring, bota.user)))
    assert data["fields"] == {
        "risk": [{"factor": "outed", "label": "Outed or doxxed",
                  "notes": "photos shared in a chat"}],
        "safety_plan": "Stay with a friend for a week",
    }


def test_story_and_contact_go_when_consented(bota, case, keys, shelter):
    keyring = bota.keyring()
    referrals.record_consent(case, shelter, ["story", "contact"], "written",
                             timezone.localdate(), keyring, bota.user)
    data = json.loads(crypto.open_sealed(keys[0], referrals.make_referral(
        case, shelter, keyring, bota.user)))
    assert data["fields"]["story"] == [STORY]
    assert data["fields"]["contact"] == [{"contact_method": "signal",
                                          "contact_details": CONTACT, "code_word": CODE_WORD}]


# --- keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["", "not a key", base64.b64encode(b"x" * 31).decode(),
                                 base64.b64encode(bytes(32)).decode()])
def test_a_bad_public_key_is_a_form_error(client, amir, organisation, bad):
    log_in(client, amir)
    response = client.post(PARTNERS, {"name": "Oasis Collective (fictional)",
                                      "public_key": bad})
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert Partner.objects.count() == 0
    assert not AuditEntry.objects.filter(action="partner.add").exists()


def test_the_admin_command_makes_a_key_the_tool_reads(tmp_path):
    key_file = tmp_path / "partner.key"
    out = io.StringIO()
    call_command("partner_key", "--out", str(key_file), stdout=out)
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    public = next(
        line.strip() for line in out.getvalue().splitlines() if len(line.strip()) == 44
    )
    shown = tool("fingerprint", "--key", str(key_file))
    assert shown.returncode == 0, shown.stderr
    assert referrals.fingerprint(base64.b64decode(public)) in shown.stdout
    assert public in shown.stdout
    with pytest.raises(Exception, match="exists already"):
        call_command("partner_key", "--out", str(key_file), stdout=out)
    assert tool("keygen", "--out", str(key_file)).returncode == 1


# --- who may --------------------------------------------------------------------------------------


def _requests(case, partner):
    return [
        ("get", case_url(case), {}),
        ("post", case_url(case, "consent/"), consent_form(partner, ["needs"])),
        ("post", case_url(case, "withdraw/"),
         {"partner": str(partner.pk), "withdrawn_on": timezone.localdate().isoformat()}),
        ("post", case_url(case, "package/"), {"partner": str(partner.pk)}),
    ]


def _partner_requests(partner):
    return [
        ("get", PARTNERS, {}),
        ("post", PARTNERS, {"name": "Oasis Collective (fictional)",
                            "public_key": base64.b64encode(crypto.new_keypair()[1]).decode()}),
        ("post", f"{PARTNERS}{partner.pk}/deactivate/", {}),
    ]


@pytest.mark.parametrize("who", ["amir", "bota"])
def test_admins_and_responders_work_with_referrals(client, request, case, shelter, who):
    log_in(client, request.getfixturevalue(who))
    for method, url, data in _requests(case, shelter):
        response = getattr(client, method)(url, data)
        assert response.status_code in (200, 302), (url, response.status_code)
        if response.status_code == 302:
            assert "/login/" not in response["Location"]


@pytest.mark.parametrize("who", ["chingiz", "dana"])
def test_documenters_and_analysts_may_not(client, request, case, shelter, who):
    log_in(client, request.getfixturevalue(who))
    for method, url, data in [*_requests(case, shelter), *_partner_requests(shelter)]:
        assert getattr(client, method)(url, data).status_code == 403, url
    assert ReferralConsent.objects.count() == 0 and Referral.objects.count() == 0
    assert Partner.objects.count() == 1 and Partner.objects.get().active


def test_strangers_are_sent_to_the_login(case, shelter):
    stranger = Client()
    for method, url, data in [*_requests(case, shelter), *_partner_requests(shelter)]:
        response = getattr(stranger, method)(url, data)
        assert response.status_code == 302 and response["Location"].startswith(
            "/en/staff/login/"), url
    assert ReferralConsent.objects.count() == 0 and Partner.objects.get().active


def test_only_admins_manage_partners(client, amir, bota, shelter):
    log_in(client, bota)
    for method, url, data in _partner_requests(shelter):
        assert getattr(client, method)(url, data).status_code == 403, url
    assert Partner.objects.count() == 1 and Partner.objects.get().active
    log_in(client, amir)
    for method, url, data in _partner_requests(shelter):
        assert getattr(client, method)(url, data).status_code in (200, 302), url
    assert Partner.objects.count() == 2
    assert not Partner.objects.get(pk=shelter.pk).active


def test_every_post_needs_csrf(csrf_client, amir, case, shelter):
    referrals.record_consent(case, shelter, ["needs"], "spoken", timezone.localdate(),
                             amir.keyring(), amir.user)
    log_in(csrf_client, amir)
    for method, url, data in [*_requests(case, shelter), *_partner_requests(shelter)]:
        if method == "post":
            assert csrf_client.post(url, data).status_code == 403, url
    assert ReferralConsent.objects.count() == 1 and Referral.objects.count() == 0
    assert Partner.objects.count() == 1 and Partner.objects.get().active


def test_a_package_needs_a_recent_login(client, bota, case, shelter):
    referrals.record_consent(case, shelter, ["needs"], "spoken", timezone.localdate(),
                             bota.keyring(), bota.user)
    log_in(client, bota, recent=False)
    response = client.post(case_url(case, "package/"),
                           {"partner": str(shelter.pk), "back": case_url(case)})
    assert response.status_code == 302 and "/confirm/" in response["Location"]
    assert Referral.objects.count() == 0


def test_a_restricted_case_is_not_found_outside_it(client, amir, bota, case, shelter):
    keyring = amir.keyring()
    restrict(case, [], keyring, amir.user)
    log_in(client, bota)
    for method, url, data in _requests(case, shelter):
        assert getattr(client, method)(url, data).status_code == 404, url
    assert ReferralConsent.objects.count() == 0

    # Its member works as usual; the records and the log entries are sealed to the case.
    log_in(client, amir)
    assert client.get(case_url(case)).status_code == 200
    assert client.post(case_url(case, "consent/"),
                       consent_form(shelter, ["needs"])).status_code == 302
    response = client.post(case_url(case, "package/"), {"partner": str(shelter.pk)})
    assert response["Content-Type"] == "application/octet-stream"
    for model in (ReferralConsent, Referral):
        row = model.objects.select_related("content_key").get()
        assert row.content_key.compartment_id == case.compartment_id
    for action in ("referral.view", "referral.consent", "referral.make"):
        entry = AuditEntry.objects.filter(action=action).latest("seq")
        assert entry.object_id == "" and entry.details.startswith("r:")
        assert str(case.compartment_id) not in entry.details
        assert STORY not in entry.details
