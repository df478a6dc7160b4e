"""The demo instance: fictional staff, one per role, and (as later parts land) fictional data.

Everything goes through the same services the web uses. Names are invented; none belongs
to a real person.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import OutputWrapper
from django.utils import timezone, translation

from kalkan.accounts.models import User
from kalkan.accounts.roles import Role
from kalkan.accounts.services import enrol_staff
from kalkan.accounts.totp import current_code, device_of
from kalkan.analysis import laws, linkage, linkage_samples
from kalkan.analysis.builder import Asked, new_draft
from kalkan.audit.services import record
from kalkan.core.instance import DEMO_MARKER_FILE
from kalkan.desk import services as desk
from kalkan.desk.models import Case
from kalkan.intake.models import Mailbox, Report
from kalkan.intake.services import Submission, find_mailbox, reply, submit_report
from kalkan.records import consent, gazetteer
from kalkan.records import services as records
from kalkan.records.generator import generate
from kalkan.records.models import Act, Event, Person
from kalkan.records.vocabularies import vocabulary
from kalkan.vault.escrow_words import to_words
from kalkan.vault.records import open_content_key, read
from kalkan.vault.services import Founding, found_organisation

DEMO_STAFF = [
    ("admin.aru", Role.ADMIN),
    ("responder.bek", Role.RESPONDER),
    ("documenter.saule", Role.DOCUMENTER),
    ("analyst.temir", Role.ANALYST),
]


def build_demo(out: OutputWrapper) -> None:
    call_command("migrate", interactive=False, verbosity=0)
    (settings.DATA_DIR / DEMO_MARKER_FILE).write_text(
        "This instance holds fictional demo data only.\n", encoding="utf-8"
    )
    out.write(f"Demo instance in {settings.DATA_DIR}\n")
    founding = found_organisation()
    out.write("Demo logins (fictional staff; passphrases are shown only now):\n")
    for username, role in DEMO_STAFF:
        enrolment = enrol_staff(username, role, actor=None, keyring=founding.keyring)
        with translation.override("en"):
            out.write(f"  {username:<18} {enrolment.passphrase:<56} {role.label}\n")
    receipt = _demo_reports(founding)
    out.write(f"A demo reporter's receipt (try it at /en/mailbox/): {receipt}\n")
    folder = _demo_linkage(founding)
    out.write(f"Three organisations' lists to link and estimate from (docs/analysis.md, "
              f"\"Linking lists\"): {folder}\n")
    escrow = " ".join(to_words(founding.escrow_secret))
    out.write(f"Escrow words (to try `kalkan recover` with): {escrow}\n")
    out.write("Codes change every 30 s; the current ones are printed while the demo runs.\n")
    _print_codes(out)


# Fictional reports in the four languages; people and places are invented.
DEMO_REPORTS = [
    Submission(
        narrative=(
            "Вчера вечером меня задержали у кафе «Арча» в Таш-Булаке. В отделе забрали "
            "телефон, требовали 500 долларов и имена друзей из приложения знакомств."
        ),
        answers={"reporter_role": "self", "acts": ["detention", "extortion", "entrapment"],
                 "perpetrators": ["police"], "when": "2026-11", "country": "KG",
                 "place": "Таш-Булак", "channel": "web", "language": "ru"},
        consent={"services": True, "statistics": True},
        contact={"contact_method": "signal", "contact_details": "@tumanny-veter"},
    ),
    Submission(
        narrative=(
            "Досумду бир саат мурун Ак-Суу районунун милициясы кармап кетти. "
            "Адвокат жок, телефону өчүк."
        ),
        answers={"reporter_role": "relative", "acts": ["detention"], "perpetrators": ["police"],
                 "country": "KG", "place": "Ак-Суу", "channel": "web", "language": "ky",
                 "urgent": {"where_now": "Ак-Суу райондук бөлүмү", "since_when": "бир саат",
                            "lawyer": "no"}},
        consent={"services": True},
        urgent=True,
    ),
    Submission(
        narrative=(
            "Біздің ұйымның қызметкерлері туралы видео желіде жарияланды: аты-жөні, "
            "суреттері және мекенжайлары бар."
        ),
        answers={"reporter_role": "organisation", "acts": ["outing"],
                 "perpetrators": ["online_accounts"], "country": "KZ", "place": "Жаңаөзек",
                 "channel": "web", "language": "kk"},
        consent={"services": True, "statistics": True, "un_submission": True},
    ),
    Submission(
        narrative=(
            "My family found messages on my phone and locked me at home for two weeks. "
            "They say they will send me to a 'treatment' centre."
        ),
        answers={"reporter_role": "self", "acts": ["family_violence"],
                 "perpetrators": ["family"], "country": "KZ", "channel": "web",
                 "language": "en"},
        consent={"services": True, "contact_back": True},
        contact={"contact_method": "telegram", "contact_details": "@quiet_lake_07",
                 "safe_times": "weekdays 10-12"},
    ),
]


def _demo_reports(founding: Founding) -> str:
    """Submit the fictional reports through intake's own service; a responder answers one,
    and works cases in every state."""
    receipts = [submit_report(submission, []) for submission in DEMO_REPORTS]
    box = find_mailbox(receipts[0])
    if box is not None:
        responder = User.objects.get(username="responder.bek")
        reply(box[0], founding.keyring, "Здравствуйте. Юрист может позвонить вам завтра в 18:00.")
        record("report.reply", actor_id=responder.pk, object_id=str(box[0].report_id))
    boxes = [find_mailbox(r) for r in receipts]
    _demo_cases(founding, boxes)
    _demo_records(founding, [box[0].report for box in boxes if box is not None])
    return receipts[0]


def _demo_records(founding: Founding, reports: list[Report]) -> None:
    """The fictional reports coded into events, acts, persons and sources, as a
    documentation officer would, with consent from the reports."""
    keys = founding.keyring
    saule = User.objects.get(username="documenter.saule")
    month = {"precision": "month", "approximate": False, "day": None}

    def victim(pseudonym: str, report: Report, **profile: object) -> Person:
        person = records.new_person(keys, pseudonym=pseudonym, profile=dict(profile))
        answers = json.loads(read(report, open_content_key(report.content_key, keys))["consent"])
        for purpose in consent.from_intake(answers):
            consent.record(person, purpose, given=True, on=report.created_on,
                           how="intake form", keyring=keys, by=saule)
        return person

    police = records.new_person(keys, pseudonym="Таш-Булак police unit",
                                profile={"kind": "organisation"})
    cafe = records.new_event(
        keys, saule, title="Entrapment and extortion at the Archa café", reports=[reports[0]],
        description="Lured through a dating app, detained, phone taken, money demanded.",
        details={"start": {"year": 2026, "month": 11, **month},
                 "place": {"code": "kg.chuy.sokuluk", "detail": "café «Арча»"},
                 "violation_status": "confirmed"},
    )
    timur = victim("Тимур Б.", reports[0], kind="individual", age_band="25_34",
                   characteristics=["hrd"], hrd_role="outreach volunteer")
    for act_type in ("entrapment", "detention", "extortion"):
        act = records.add_act(cafe, keys, victim=timur, details={
            "type": act_type, "start": {"year": 2026, "month": 11, **month},
            **({"extortion": {"amount": "500", "currency": "usd", "payment_method": "cash",
                              "disclosure_threatened_to": ["family"]}}
               if act_type == "extortion" else {}),
        })
        records.add_involvement(act, keys, perpetrator=police,
                                details={"perpetrator_types": ["police.district"],
                                         "degree": "direct"})
    records.add_information(cafe, keys, source=timur,
                            details={"source_type": "victim_testimony", "reliability": "high",
                                     "language": "ru"})

    video = records.new_event(
        keys, saule, title="Staff named and shown in a video", reports=[reports[2]],
        details={"start": {"year": 2026, "month": 10, **month},
                 "place": {"code": "kz.mangystau", "detail": ""},
                 "violation_status": "confirmed"},
    )
    trolls = records.new_person(keys, pseudonym="Anonymous channel «Правда-Жаңаөзек»",
                                profile={"kind": "group"})
    staff = victim("Ұйым қызметкерлері", reports[2], kind="organisation",
                   characteristics=["hrd", "activist"])
    outing = records.add_act(video, keys, victim=staff, details={"type": "outing"})
    records.add_involvement(outing, keys, perpetrator=trolls,
                            details={"perpetrator_types": ["online_accounts"]})

    home = records.new_event(
        keys, saule, title="Locked at home by family", reports=[reports[3]],
        details={"start": {"year": 2026, "month": 11, **month},
                 "place": {"code": "kz.almaty-city", "detail": ""},
                 "violation_status": "likely"},
    )
    dana = victim("Dana S.", reports[3], kind="individual", age_band="18_24")
    family = records.new_person(keys, pseudonym="Her parents", profile={"kind": "family"})
    locked = records.add_act(home, keys, victim=dana, details={"type": "family_violence"})
    records.add_involvement(locked, keys, perpetrator=family,
                            details={"perpetrator_types": ["family"]})
    records.add_intervention(home, keys, victim=dana,
                             details={"party_type": "this_organisation",
                                      "type": "medical_report", "status": "planned"})
    _demo_laws(founding, saule, cafe)
    _demo_statistics(founding, saule)


# Enough fictional acts for dashboards and a sample UPR draft to say something: with fewer,
# the publication gate (rightly) hides nearly every number.
DEMO_GENERATED_ACTS = 600
DEMO_SEED = 2026  # README.md gives the counts this seed makes (kalkan/core/tests/test_cli.py)


def _demo_statistics(founding: Founding, saule: User) -> None:
    keys = founding.keyring
    before = set(Person.objects.values_list("pk", flat=True))
    generate(keys, acts=DEMO_GENERATED_ACTS, seed=DEMO_SEED, by=saule)
    victims = sorted({str(pk) for pk in Act.objects.values_list("victim_id", flat=True)}
                     - {str(pk) for pk in before})
    # About a third of the invented victims agreed to an anonymised UN case summary.
    for pk in victims[::3]:
        consent.record(Person.objects.select_related("content_key").get(pk=pk),
                       "un_submission", given=True, on=timezone.localdate() - timedelta(days=30),
                       how="in person", keyring=keys, by=saule)
    # One story with what redaction must catch: an invented name, phone and village.
    today = timezone.localdate()
    story = records.new_event(
        keys, saule, title="Detention after a dating-app meeting",
        description=("Эрлан Садыков познакомился через приложение с «Максатом». На встрече "
                     "его задержали, телефон +996 700 418 265 забрали, вечером отпустили в "
                     "Кара-Балте без протокола."),
        # This month: the newest detention, so the sample draft shows it first.
        details={"start": {"year": today.year, "month": today.month, "day": None,
                           "precision": "month", "approximate": False},
                 "place": {"code": "kg.bishkek", "detail": ""}, "violation_status": "confirmed"},
    )
    erlan = records.new_person(keys, pseudonym="Э. С.", profile={
        "kind": "individual", "age_band": "25_34", "gender_identity": {"code": "man"}})
    for purpose in ("un_submission", "statistics"):
        consent.record(erlan, purpose, given=True, on=timezone.localdate(),
                       how="in person", keyring=keys, by=saule)
    act = records.add_act(story, keys, victim=erlan, details={"type": "detention.arbitrary"})
    police = records.new_person(keys, pseudonym="District police (demo)",
                                profile={"kind": "organisation"})
    records.add_involvement(act, keys, perpetrator=police,
                            details={"perpetrator_types": ["police.district"]})
    year = timezone.localdate().year
    new_draft(keys, saule, Asked(mechanism="upr", country="kg", year_from=year - 4,
                                 year_to=year, language="en"))


def _demo_laws(founding: Founding, by: User, event: Event) -> None:
    """Fictional bills at several stages, dated back from today so that the signature
    window of the first one closes within days (it shows in the desk inbox), and the café
    event linked to the fines law the police cited."""
    keys = founding.keyring
    today = timezone.localdate()

    def on(days_ago: int, *, month_only: bool = False) -> dict[str, object]:
        day = today - timedelta(days=days_ago)
        return laws.month_date(day.year, day.month, None if month_only else day.day)

    agents = laws.new_law(keys, by, title="Bill on “foreign representatives” (demo)", details={
        "country": "kg", "type": "foreign_agents", "reference": "Demo bill No. 0001",
        "summary": "NGOs with foreign funding must register as “foreign representatives” "
                   "and report quarterly; unregistered work can be suspended.",
        "link": "https://example.org/demo/bill-0001", "notes": "Partners are drafting a "
                "joint statement.",
    })
    for stage, days_ago in (("first_reading", 75), ("second_reading", 40),
                            ("third_reading", 24), ("passed", 24)):
        laws.add_stage(agents, keys, stage=stage, date=on(days_ago))
    laws.add_stage(agents, keys, stage="introduced", date=on(170, month_only=True))
    laws.add_deadline(agents, keys, due=today + timedelta(days=6),
                      what="The president has 30 days to sign or veto")

    propaganda = laws.new_law(keys, by, title="Amendments on “propaganda” (demo)", details={
        "country": "kz", "type": "propaganda", "reference": "Demo draft No. 0002",
        "summary": "Bans “propaganda of non-traditional relations” in media and online.",
    })
    laws.add_stage(propaganda, keys, stage="introduced", date=on(120, month_only=True))
    laws.add_stage(propaganda, keys, stage="first_reading", date=on(60),
                   note="Passed in first reading without debate.")
    laws.add_deadline(propaganda, keys, due=today + timedelta(days=30),
                      what="Comments on the draft to the working group")

    fines = laws.new_law(keys, by, title="Fines for “propaganda” in the Code of Offences (demo)",
                         details={"country": "kg", "type": "administrative_code_amendment",
                                  "reference": "Demo law No. 0003"})
    for stage, days_ago in (("introduced", 400), ("passed", 330), ("signed", 310),
                            ("in_force", 300)):
        laws.add_stage(fines, keys, stage=stage, date=on(days_ago))
    hearing = laws.add_deadline(fines, keys, due=today - timedelta(days=20),
                                what="Constitutional chamber hearing")
    laws.mark_done(hearing, by)
    laws.link_event(fines, event, keys, by, relation="justified_by")


def _demo_cases(founding: Founding, boxes: list[tuple[Mailbox, bytes] | None]) -> None:
    """Fictional cases in every state, with risk, actions, tasks, notes, a restricted case
    and a detention whose no-contact timer has run out. The urgent report (the second) stays
    in the inbox for a visitor to triage."""
    keys = founding.keyring
    bek = User.objects.get(username="responder.bek")
    aru = User.objects.get(username="admin.aru")
    reports = [box[0].report for box in boxes if box is not None]
    now = timezone.now()

    detention = desk.open_case([reports[0]], keys, bek, title="Задержание у кафе «Арча»",
                               priority=Case.Priority.URGENT)
    desk.change_status(detention, Case.Status.ACTIVE, "", keys, bek)
    desk.save_risk(detention, keys, {
        "detained": {"present": True, "notes": "Отдел в Таш-Булаке, телефон изъят"},
        "extortion": {"present": True, "notes": "Требуют 500 долларов"},
    }, "Юрист едет в отдел; друзьям сменить пароли в приложении знакомств.")
    desk.add_action(detention, keys, bek, kind="lawyer", outcome="in_progress",
                    done_on=now.date(), notes="Юрист Айдай выехала в отдел.")
    desk.add_task(detention, keys, title="Позвонить юристу после допроса",
                  due_at=now - timedelta(hours=1), assignee=bek)
    # Nobody has reached him for longer than the no-contact limit: the alarm is on.
    Case.objects.filter(pk=detention.pk).update(contact_deadline=now - timedelta(hours=2))

    outing = desk.open_case([reports[2]], keys, bek, title="Жаңаөзек: видео с сотрудниками",
                            priority=Case.Priority.HIGH)
    desk.change_status(outing, Case.Status.ACTIVE, "", keys, bek)
    desk.save_risk(outing, keys, {"outed": {"present": True, "notes": "Адреса в видео"},
                                  "further_attack": {"present": True, "notes": ""}},
                   "Two colleagues stay with friends until the video is taken down.")
    desk.add_action(outing, keys, bek, kind="digital_security", outcome="done",
                    done_on=now.date() - timedelta(days=3),
                    notes="Takedown requests sent to the platform.")
    desk.change_status(outing, Case.Status.MONITORING, "Video removed; watching for reposts.",
                       keys, bek)

    family = desk.open_case([reports[3]], keys, bek, title="Locked in at home by family")
    desk.change_status(family, Case.Status.TRIAGE, "", keys, bek)
    desk.save_risk(family, keys, {"family_threat": {"present": True,
                                                    "notes": "Threat of a 'treatment' centre"}},
                   "Code word on Telegram means: call the shelter hotline now.")
    desk.add_action(family, keys, bek, kind="shelter", outcome="planned", done_on=None,
                    notes="A bed at the partner shelter from Friday.")
    desk.add_task(family, keys, title="Confirm the shelter bed",
                  due_at=now + timedelta(days=2), assignee=bek)
    desk.add_note(family, keys, bek, "Write only in weekday mornings (safe times).")

    desk.open_case([], keys, bek, title="Hotline call: threats at work")

    closed = desk.open_case([], keys, bek, title="Evicted from a flat in Karakol-Tash")
    desk.change_status(closed, Case.Status.ACTIVE, "", keys, bek)
    desk.add_action(closed, keys, bek, kind="emergency_funds", outcome="done",
                    done_on=now.date() - timedelta(days=20), notes="Two months' rent paid.")
    desk.change_status(closed, Case.Status.CLOSED, "Found a new flat; safe.", keys, bek)

    reopened = desk.open_case([], keys, bek, title="Blackmail through a dating app")
    desk.change_status(reopened, Case.Status.CLOSED, "Blackmailer stopped writing.", keys, bek)
    desk.change_status(reopened, Case.Status.REOPENED, "New messages with threats.", keys, bek)

    hidden = desk.open_case([], keys, bek, title="Restricted: a staff member's own case")
    desk.add_note(hidden, keys, bek, "Only Bek and Aru can see this case.")
    desk.restrict(hidden, [aru], keys, bek)


# Three organisations' lists of the same invented people, for the walk-through from linkage to
# an estimate: this instance holds the first list as records; the two partners' exports are
# files beside the coalition's secret. Some people are hard for every list to reach, as in
# life, so the lists together miss more of them than the overlaps alone suggest.
DEMO_LINKAGE_PEOPLE = 400
DEMO_LINKAGE_REACH = (0.45, 0.4, 0.35)  # this instance, partner A, partner B
DEMO_LINKAGE_HARD = (0.3, 0.35)  # share of the hard to reach, and how much less they are seen
DEMO_LINKAGE_SCOPE = {"country": ["kg"], "year": [str(y) for y in range(2019, 2026)]}
DEMO_LINKAGE_ACTS = ("detention.arbitrary", "assault", "threats.outing",
                     "extortion.outing_threat", "torture.in_custody")


def _demo_linkage(founding: Founding) -> Path:
    keys = founding.keyring
    saule = User.objects.get(username="documenter.saule")
    folder = settings.DATA_DIR / "demo-linkage"
    folder.mkdir(exist_ok=True)
    secret = linkage.write_secret_file(folder / "coalition.secret")
    terms = {term.code: term for term in vocabulary("act_types")}

    def group(code: str) -> str:  # what an export writes of an act: its top-level type
        while terms[code].parent:
            code = terms[code].parent
        return code

    rng = random.Random(DEMO_SEED)  # noqa: S311 (invented people, not secrets)
    regions = sorted(code for code, place in gazetteer.PLACES.items()
                     if code.startswith("kg.") and place.level == "region")
    typed = [rng.choice(DEMO_LINKAGE_ACTS) for _ in range(DEMO_LINKAGE_PEOPLE)]
    people = [replace(person, region=rng.choice(regions), act=group(code))
              for person, code in zip(linkage_samples.population(DEMO_LINKAGE_PEOPLE,
                                                                 DEMO_SEED), typed,
                                      strict=True)]
    groups = sorted({group(code) for code in DEMO_LINKAGE_ACTS})
    share, factor = DEMO_LINKAGE_HARD
    lists: list[list[tuple[int, dict[str, str]]]] = [[] for _ in DEMO_LINKAGE_REACH]
    for number, person in enumerate(people):
        hard = rng.random() < share
        for i, reach in enumerate(DEMO_LINKAGE_REACH):
            if rng.random() < reach * (factor if hard else 1.0):
                lists[i].append((number, linkage_samples.record(person, rng, acts=groups)))
    today = timezone.localdate()
    for number, seen in lists[0]:
        year, month = (int(part) for part in people[number].month.split("-"))
        event = records.new_event(
            keys, saule, title="Documented for the coalition's joint count (demo)",
            details={"start": {"year": year, "month": month, "day": None, "precision": "month",
                               "approximate": False},
                     "place": {"code": seen["region"] or "kg", "detail": ""},
                     "violation_status": "confirmed"})
        initials = ". ".join(word[:1] for word in seen["name"].split()[:2]) + "."
        profile: dict[str, object] = {"kind": "individual",
                                      "gender_identity": {"code": seen["gender"]}}
        if seen["birth"]:
            profile["birth_year"] = int(seen["birth"][1:])
        victim = records.new_person(keys, pseudonym=initials, profile=profile,
                                    identity={"names": [seen["name"]]})
        consent.record(victim, consent.STATISTICS, given=True, on=today, how="in person",
                       keyring=keys, by=saule)
        records.add_act(event, keys, victim=victim, details={"type": typed[number]})
    for name, partner in zip(("partner-a", "partner-b"), lists[1:], strict=True):
        data = linkage.write_export(secret, DEMO_LINKAGE_SCOPE,
                                    [[seen] for _, seen in partner])
        linkage.write_new(folder / f"{name}.kalkan-linkage", data)
    on_some = len({number for one in lists for number, _ in one})
    (folder / "README.txt").write_text(
        f"Three organisations' lists of {DEMO_LINKAGE_PEOPLE} invented people (demo only).\n"
        f"This instance holds the first list ({len(lists[0])} victims); partner A's "
        f"({len(lists[1])}) and partner B's ({len(lists[2])}) exports are here, made with "
        f"coalition.secret. Together the three lists know {on_some} of the "
        f"{DEMO_LINKAGE_PEOPLE}; compare the estimate with the true {DEMO_LINKAGE_PEOPLE}.\n\n"
        "1. Log in as analyst.temir; on /en/staff/linkage/ choose Kyrgyzstan, 2019 to 2025, "
        "no type ticked, and paste the last line of coalition.secret. Save the file here.\n"
        "2. kalkan linkage match THAT-FILE partner-a.kalkan-linkage partner-b.kalkan-linkage "
        "--secret-file coalition.secret --output counts.csv\n"
        "3. Upload counts.csv on /en/staff/estimates/.\n", encoding="utf-8")
    return folder


def _print_codes(out: OutputWrapper) -> None:
    codes = "  ".join(
        f"{user.username} {current_code(device) if (device := device_of(user)) else '-'}"
        for user in User.objects.filter(username__in=[u for u, _ in DEMO_STAFF])
    )
    out.write(f"Current codes: {codes}\n")
    out.flush()


def print_codes_forever(out: OutputWrapper) -> None:
    """Print fresh TOTP codes at the start of every 30-second window (demo only)."""
    while True:
        time.sleep(30 - time.time() % 30 + 0.5)
        _print_codes(out)
