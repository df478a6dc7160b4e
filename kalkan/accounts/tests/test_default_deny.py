"""Default deny: every staff route Django knows, walked from the URL resolver, refuses
strangers (a login redirect) and the wrong roles (403 or 404), for GET and POST alike.

A new staff route fails `test_every_staff_route_is_classified` until it is added to
WHO_MAY: what it needs, and which fixture objects fill its URL parameters, so that the view
really runs (a made-up id would be refused with 404 by any view, guarded or not).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse
from django.utils import timezone, translation

from kalkan.accounts.roles import MATRIX, Capability
from kalkan.analysis import laws
from kalkan.analysis.builder import Asked, new_draft
from kalkan.core.testing import log_in
from kalkan.desk import referrals
from kalkan.desk import services as desk
from kalkan.intake.models import Evidence, Report
from kalkan.intake.services import Submission, submit_report
from kalkan.records import evidence, import_jobs
from kalkan.records import services as records
from kalkan.records.models import SavedSearch
from kalkan.vault import crypto
from kalkan.vault.files import store_file
from kalkan.vault.records import new_content_key, new_sealed, write

OPEN = "open"  # the login and logout pages
STAFF = "staff"  # any logged-in staff member
EXCHANGE = "export or code records"

# URL name -> what it needs (a capability, STAFF or OPEN), and its URL parameters as
# (name -> attribute of the World built below).
WHO_MAY: dict[str, tuple[Capability | str, dict[str, str]]] = {
    "accounts:home": (STAFF, {}),
    "accounts:login": (OPEN, {}),
    "accounts:logout": (OPEN, {}),
    "accounts:confirm": (STAFF, {}),
    "accounts:preparing": (STAFF, {}),
    "accounts:passphrase": (STAFF, {}),
    "accounts:team": (Capability.MANAGE_STAFF, {}),
    "accounts:add": (Capability.MANAGE_STAFF, {}),
    "accounts:member": (Capability.MANAGE_STAFF, {"pk": "member"}),
    "accounts:member_action": (Capability.MANAGE_STAFF, {"pk": "member", "action": "unlock"}),
    "audit:log": (Capability.VIEW_AUDIT_LOG, {}),
    "vault:emergency": (Capability.SEAL_SERVER, {}),
    "retention:page": (Capability.MANAGE_RETENTION, {}),
    "retention:rules": (Capability.MANAGE_RETENTION, {}),
    "retention:apply": (Capability.MANAGE_RETENTION, {}),
    "desk:reports": (Capability.READ_REPORTS, {}),
    "desk:enter": (Capability.READ_REPORTS, {}),
    "desk:enter_urgent": (Capability.READ_REPORTS, {}),
    "desk:report": (Capability.READ_REPORTS, {"pk": "report"}),
    "desk:evidence": (Capability.READ_REPORTS, {"pk": "upload", "kind": "original"}),
    "cases:list": (Capability.WORK_CASES, {}),
    "cases:inbox": (Capability.WORK_CASES, {}),
    "cases:my_tasks": (Capability.WORK_CASES, {}),
    "cases:open": (Capability.WORK_CASES, {}),
    "cases:attach": (Capability.WORK_CASES, {}),
    "cases:set_aside": (Capability.WORK_CASES, {"pk": "loose_report"}),
    "cases:case": (Capability.WORK_CASES, {"pk": "case"}),
    "cases:edit": (Capability.WORK_CASES, {"pk": "case"}),
    "cases:status": (Capability.WORK_CASES, {"pk": "case"}),
    "cases:risk": (Capability.WORK_CASES, {"pk": "case"}),
    "cases:contact": (Capability.WORK_CASES, {"pk": "case"}),
    "cases:action": (Capability.WORK_CASES, {"pk": "case"}),
    "cases:task": (Capability.WORK_CASES, {"pk": "case"}),
    "cases:task_done": (Capability.WORK_CASES, {"pk": "case", "task": "task"}),
    "cases:note": (Capability.WORK_CASES, {"pk": "case"}),
    "cases:reply": (Capability.WORK_CASES, {"pk": "case", "report": "report"}),
    "cases:members": (Capability.WORK_CASES, {"pk": "case"}),
    "cases:print": (Capability.WORK_CASES, {"pk": "case"}),
    "alerts:on_call": (Capability.MANAGE_ALERTS, {}),
    "alerts:test": (Capability.MANAGE_ALERTS, {}),
    "referrals:partners": (Capability.MANAGE_PARTNERS, {}),
    "referrals:partner_deactivate": (Capability.MANAGE_PARTNERS, {"pk": "partner"}),
    "referrals:case": (Capability.WORK_CASES, {"pk": "case"}),
    "referrals:consent": (Capability.WORK_CASES, {"pk": "case"}),
    "referrals:withdraw": (Capability.WORK_CASES, {"pk": "case"}),
    "referrals:package": (Capability.WORK_CASES, {"pk": "case"}),
    "search:page": (Capability.SEARCH_RECORDS, {}),
    "search:save": (Capability.SEARCH_RECORDS, {}),
    "search:forget": (Capability.SEARCH_RECORDS, {"pk": "saved_search"}),
    "vocabularies:all": (Capability.MANAGE_VOCABULARIES, {}),
    "vocabularies:list": (Capability.MANAGE_VOCABULARIES, {"name": "perpetrator_types"}),
    "vocabularies:switch": (Capability.MANAGE_VOCABULARIES, {"name": "perpetrator_types"}),
    "records:events": (Capability.CODE_RECORDS, {}),
    "records:new_event": (Capability.CODE_RECORDS, {}),
    "records:code_report": (Capability.CODE_RECORDS, {"report": "report"}),
    "records:event": (Capability.CODE_RECORDS, {"pk": "event"}),
    "records:edit_event": (Capability.CODE_RECORDS, {"pk": "event"}),
    "records:add_act": (Capability.CODE_RECORDS, {"pk": "event"}),
    "records:edit_act": (Capability.CODE_RECORDS, {"pk": "event", "act": "act"}),
    "records:remove_act": (Capability.CODE_RECORDS, {"pk": "event", "act": "act"}),
    "records:remove_event": (Capability.CODE_RECORDS, {"pk": "event"}),
    "records:remove_part": (Capability.CODE_RECORDS,
                            {"pk": "event", "kind": "perpetrator", "part": "involvement"}),
    "records:add_perpetrator": (Capability.CODE_RECORDS, {"pk": "event"}),
    "records:add_source": (Capability.CODE_RECORDS, {"pk": "event"}),
    "records:add_intervention": (Capability.CODE_RECORDS, {"pk": "event"}),
    "records:link_event": (Capability.CODE_RECORDS, {"pk": "event"}),
    "records:take_file": (Capability.CODE_RECORDS, {"pk": "event", "upload": "upload"}),
    "records:held_elsewhere": (Capability.CODE_RECORDS, {"pk": "event"}),
    "records:merge_event": (Capability.CODE_RECORDS, {"pk": "event"}),
    "records:evidence": (Capability.CODE_RECORDS, {"pk": "item"}),
    "records:evidence_file": (Capability.CODE_RECORDS, {"pk": "item"}),
    "records:merge_person": (Capability.CODE_RECORDS, {"pk": "victim"}),
    "records:person": (Capability.CODE_RECORDS, {"pk": "victim"}),
    "records:edit_person": (Capability.CODE_RECORDS, {"pk": "victim"}),
    "records:consent": (Capability.CODE_RECORDS, {"pk": "victim"}),
    "records:identity": (Capability.CODE_RECORDS, {"pk": "victim"}),
    "records:edit_identity": (Capability.CODE_RECORDS, {"pk": "victim"}),
    "exchange:page": (EXCHANGE, {}),
    "exchange:export": (Capability.EXPORT_RECORDS, {}),
    "exchange:import": (Capability.CODE_RECORDS, {}),
    "exchange:archive_export": (Capability.EXPORT_RECORDS, {}),
    "exchange:archive_import": (Capability.CODE_RECORDS, {}),
    "exchange:archive_import_job": (Capability.CODE_RECORDS, {"job_id": "import_job"}),
    "laws:list": (Capability.TRACK_LEGISLATION, {}),
    "laws:new": (Capability.TRACK_LEGISLATION, {}),
    "laws:law": (Capability.TRACK_LEGISLATION, {"pk": "law"}),
    "laws:edit": (Capability.TRACK_LEGISLATION, {"pk": "law"}),
    "laws:add_stage": (Capability.TRACK_LEGISLATION, {"pk": "law"}),
    "laws:remove_stage": (Capability.TRACK_LEGISLATION, {"pk": "law", "stage": "stage"}),
    "laws:add_deadline": (Capability.TRACK_LEGISLATION, {"pk": "law"}),
    "laws:deadline_done": (Capability.TRACK_LEGISLATION, {"pk": "law", "deadline": "deadline"}),
    "laws:link_event": (Capability.CODE_RECORDS, {"event": "event"}),
    "laws:unlink_event": (Capability.CODE_RECORDS, {"event": "event", "link": "law_link"}),
    "dashboards:page": (Capability.BUILD_REPORTS, {}),
    "dashboards:chart": (Capability.BUILD_REPORTS, {"name": "by_region"}),
    "linkage:export": (Capability.BUILD_REPORTS, {}),
    "drafts:list": (Capability.BUILD_REPORTS, {}),
    "drafts:draft": (Capability.BUILD_REPORTS, {"pk": "draft"}),
    "drafts:review": (Capability.BUILD_REPORTS, {"pk": "draft"}),
    "drafts:download": (Capability.BUILD_REPORTS, {"pk": "draft"}),
    "estimates:page": (Capability.BUILD_REPORTS, {}),
    "estimates:attach": (Capability.BUILD_REPORTS, {}),
    "estimates:job": (Capability.BUILD_REPORTS, {"job_id": "x"}),
}

ROLES = {"amir": "admin", "bota": "responder", "chingiz": "documenter", "dana": "analyst"}


def may(who: str, needs: Capability | str) -> bool:
    if needs in (OPEN, STAFF):
        return True
    capabilities = MATRIX[ROLES[who]]
    if needs == EXCHANGE:
        return bool({Capability.EXPORT_RECORDS, Capability.CODE_RECORDS} & capabilities)
    return needs in capabilities


def staff_routes() -> Iterator[tuple[str, URLPattern]]:
    """(namespace:name, pattern) of every route under staff/, from the resolver itself."""

    def walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[tuple[str, str,
                                                                                  URLPattern]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            else:
                yield prefix + str(pattern.pattern), f"{namespace}{pattern.name}", pattern

    for route, name, pattern in walk(get_resolver().url_patterns, "", ""):
        if "staff/" in route:
            yield name, pattern


@dataclass
class World:
    """One of everything a staff URL can name, made through the services the web uses."""

    member: int
    report: str
    loose_report: str
    upload: str
    case: str
    task: str
    partner: str
    saved_search: str
    event: str
    act: str
    involvement: str
    victim: str
    item: str
    law: str
    stage: str
    deadline: str
    law_link: str
    draft: str
    import_job: str


@pytest.fixture
def world(amir, bota, chingiz, dana, erlan) -> World:
    keys = amir.keyring()
    submit_report(Submission(narrative="Detained after a meeting in the park"), [])
    submit_report(Submission(narrative="A second report nobody took yet"), [])
    report, loose = Report.objects.order_by("revision")
    row, key = new_content_key(None)
    upload = Evidence(content_key=row, created_on=report.created_on, report=report)
    stored = store_file(key, str(upload.id), row.sealed_in_epoch, [b"fictional photo " * 64])
    upload.original_file = stored.name
    write(upload, key, meta=json.dumps({"name": "photo.jpg", "size": stored.size,
                                        "sha256": stored.sha256, "sanitised": False}))
    case = desk.open_case([report], keys, bota.user, title="Park detention")
    task = desk.add_task(case, keys, title="Call the lawyer",
                         due_at=timezone.now() + timedelta(days=1), assignee=bota.user)
    partner = referrals.add_partner(keys, "Tulip Shelter (fictional)",
                                    {"contact": "tulip@example.org", "services": "shelter"},
                                    crypto.new_keypair()[1])
    saved, saved_key = new_sealed(SavedSearch, keys, owner=amir.user)
    write(saved, saved_key, name="Park", query="q=park")
    event = records.new_event(keys, chingiz.user, title="Park detention", reports=[report])
    victim = records.new_person(keys, pseudonym="A. B.", profile={"kind": "individual"})
    police = records.new_person(keys, pseudonym="District police",
                                profile={"kind": "organisation"})
    act = records.add_act(event, keys, victim=victim, details={"type": "detention"})
    involvement = records.add_involvement(act, keys, perpetrator=police,
                                          details={"perpetrator_types": ["police.district"]})
    item = evidence.from_intake(upload, keys, chingiz.user, events=[event])
    law = laws.new_law(keys, amir.user, title="Bill on agents (fictional)",
                       details={"country": "kg", "type": "foreign_agents"})
    stage = laws.add_stage(law, keys, stage="introduced", date=laws.month_date(2026, 1, 5))
    deadline = laws.add_deadline(law, keys, due=timezone.localdate() + timedelta(days=5),
                                 what="Comments due")
    link = laws.link_event(law, event, keys, amir.user, relation="justified_by")
    draft = new_draft(keys, chingiz.user, Asked(mechanism="upr", country="kg",
                                                 year_from=2022, year_to=2026))
    # A finished import (of something that is no archive: refused, nothing stored).
    job = import_jobs.start(io.BytesIO(b"not an archive"), keys, chingiz.user,
                            secret_key=None, passphrase=None, language="en")
    assert job is not None and job.finished.is_set()
    return World(
        member=dana.user.pk, report=str(report.pk), loose_report=str(loose.pk),
        upload=str(upload.pk), case=str(case.pk), task=str(task.pk), partner=str(partner.pk),
        saved_search=str(saved.pk), event=str(event.pk), act=str(act.pk),
        involvement=str(involvement.pk), victim=str(victim.pk), item=str(item.pk),
        law=str(law.pk), stage=str(stage.pk), deadline=str(deadline.pk), law_link=str(link.pk),
        draft=str(draft.pk), import_job=job.id,
    )


def url_of(name: str, world: World, language: str = "en") -> str:
    _needs, parameters = WHO_MAY[name]
    kwargs = {key: (getattr(world, value) if hasattr(world, value) else value)
              for key, value in parameters.items()}
    with translation.override(language):
        return reverse(name, kwargs=kwargs)


def test_every_staff_route_is_classified():
    found = {name for name, _pattern in staff_routes()}
    assert len(found) >= 89
    assert found - set(WHO_MAY) == set(), "add the new staff routes to WHO_MAY"
    assert set(WHO_MAY) - found == set(), "WHO_MAY names routes that do not exist"


def _is_login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/en/staff/login/")


def _walk(client: Client, world: World, check: Callable[[str, str, Any], None],
          names: list[str]) -> None:
    for name in names:
        url = url_of(name, world)
        for method in ("get", "post"):
            check(name, method, getattr(client, method)(url))


@pytest.mark.parametrize("who", ["anonymous", "erlan"])
def test_strangers_are_sent_to_the_login_page_everywhere(client, world, erlan, who):
    if who == "erlan":  # disabled: the session that remains is ended
        log_in(client, erlan)
    wrong: list[str] = []

    def check(name: str, method: str, response: Any) -> None:
        if not _is_login_redirect(response):
            wrong.append(f"{method.upper()} {name}: {response.status_code}")

    closed = [name for name, (needs, _p) in WHO_MAY.items() if needs != OPEN]
    _walk(client, world, check, closed)
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("who", ["amir", "bota", "chingiz", "dana"])
def test_each_role_is_refused_what_it_may_not_do_and_can_use_the_rest(
    client, world, amir, bota, chingiz, dana, who
):
    log_in(client, {"amir": amir, "bota": bota, "chingiz": chingiz, "dana": dana}[who])
    wrong: list[str] = []
    refused = [name for name, (needs, _p) in WHO_MAY.items() if not may(who, needs)]
    allowed = [name for name, (needs, _p) in WHO_MAY.items()
               if may(who, needs) and needs != OPEN]

    def check_refused(name: str, method: str, response: Any) -> None:
        if response.status_code not in (403, 404):
            wrong.append(f"{method.upper()} {name}: {response.status_code}")

    _walk(client, world, check_refused, refused)
    for name in allowed:
        # Only GET: the page opens for those who may (the fixture ids are real), without
        # changing anything.
        status = client.get(url_of(name, world)).status_code
        if status not in (200, 302, 405):
            wrong.append(f"GET {name} as {who}: {status}")
    assert wrong == [], "\n".join(wrong)


def forgotten(request: Any) -> HttpResponse:
    """A staff view whose author forgot every decorator."""
    return HttpResponse("the secret list")


urlpatterns = i18n_patterns(
    path("staff/forgotten/", forgotten),
    path("staff/", include("kalkan.accounts.urls")),
)


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("language", ["ru", "ky", "kk", "en"])
def test_a_view_that_forgets_its_guard_is_still_closed_to_strangers(client, bota, language):
    for method in ("get", "post"):
        response = getattr(client, method)(f"/{language}/staff/forgotten/")
        assert response.status_code == 302
        assert response["Location"].startswith(f"/{language}/staff/login/?next=")
        assert b"secret" not in response.content
    assert client.get(f"/{language}/staff/login/").status_code == 200  # open, by name
    log_in(client, bota)
    assert client.get(f"/{language}/staff/forgotten/").content == b"the secret list"
