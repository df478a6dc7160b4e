"""Response-desk figures on this machine, in one run (issue: Response desk).

    .venv/bin/python benchmarks/desk.py [--cases 10000 --reports 50000 --repeat 30]

Makes a new instance in a temporary directory (SQLite, the production Argon2id parameters)
with synthetic, fictional data: `--reports` sealed reports (about 2 % urgent, most already
seen), four fifths of them taken into `--cases` sealed cases (every priority and status,
one or two assignees each), the rest waiting in the triage inbox; follow-up messages on about
a quarter of the reports; twice as many tasks as cases spread over the staff (a few hundred
open ones for the benchmark responder, some overdue). One case is made through the desk's
own services: two reports with their messages, notes, actions, tasks and status changes.

Then, in a fresh process, a logged-in responder's session (django.test.Client, no network)
requests three staff pages: the triage inbox, that case and "my tasks". The first request
builds the working set (every record the keys open, decrypted and indexed); its time is
reported apart. Each page then gets one request of its own (reported as "first"), `--repeat`
timed ones (p50, p95), and one more under CaptureQueriesContext to count its SQL queries.
Times are the whole request in this process (middleware, views, templates; no network, and
the database connection stays open between requests as the test client keeps it). Prints a
table, then one JSON line with every figure. Generating the data is not measured (its time
is printed). Nothing here asserts anything about time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.vault import WORDS, peak_rss_mb, setup  # noqa: E402 (after the path is set)

STAFF = [  # fictional; "bench" is the responder whose session is measured
    ("bench", "responder"),
    ("responder.aigul", "responder"),
    ("responder.nurlan", "responder"),
    ("responder.zarina", "responder"),
    ("admin.timur", "admin"),
]
PAGES = [
    ("inbox", "triage inbox"),
    ("case", "one case (2 reports)"),
    ("tasks", "my tasks"),
]

ROLES = ["self", "witness", "relative", "organisation"]
ACTS = ["detention", "assault", "threats", "extortion", "entrapment", "outing",
        "device_search", "online_harassment", "family_violence", "discrimination", "other"]
PERPETRATORS = ["police", "security_service", "family", "strangers", "online_accounts",
                "unknown"]
HELP = ["legal", "medical", "shelter", "relocation", "psychological", "digital_security",
        "document_only"]
CONSENTS = ["services", "referral", "statistics", "un_submission", "media", "contact_back"]
REGIONS = ["kg.bishkek", "kg.osh-city", "kg.chuy", "kg.jalal-abad", "kg.issyk-kul",
           "kz.almaty-city", "kz.astana", "kz.shymkent", "kz.karaganda", "kz.turkistan"]
CONTACTS = ["signal", "telegram", "whatsapp", "phone", "email", ""]
RISKS = ["detained", "injured", "whereabouts_unknown", "outed", "extortion", "family_threat",
         "lost_housing", "further_attack"]
# (value, weight): every status and priority occurs.
STATUSES = [("new", 5), ("triage", 10), ("active", 30), ("monitoring", 15), ("closed", 35),
            ("reopened", 5)]
PRIORITIES = [(0, 5), (1, 20), (2, 55), (3, 20)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def words(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def weighted(rng: random.Random, choices: list[tuple[Any, int]]) -> Any:
    return rng.choices([c for c, _w in choices], weights=[w for _c, w in choices])[0]


# --- generating the data (not timed) ----------------------------------------------------------


def day_of(index: int, total: int, today: date) -> date:
    """Records spread over the past year, oldest first (as their revisions are)."""
    return today - timedelta(days=(total - index) * 365 // max(total, 1))


def report_rows(
    rng: random.Random, total: int, linked: int, today: date
) -> Iterator[tuple[dict[str, str], dict[str, Any]]]:
    for i in range(total):
        urgent = rng.random() < 0.02
        region = rng.choice(REGIONS)
        answers: dict[str, Any] = {
            "reporter_role": rng.choice(ROLES),
            "acts": rng.sample(ACTS, rng.randint(1, 3)),
            "perpetrators": rng.sample(PERPETRATORS, rng.randint(0, 2)),
            "when": words(rng, 1, 3),
            "fuzzy_date": {},
            "country": region[:2].upper(),
            "region": region,
            "place": rng.choice(WORDS),
            "help_wanted": rng.sample(HELP, rng.randint(0, 3)),
            "channel": "web",
            "language": rng.choice(["ru", "ky", "kk", "en"]),
        }
        if urgent:
            answers["urgent"] = {"where_now": words(rng, 2, 5), "since_when": words(rng, 1, 3),
                                 "lawyer": rng.choice(["yes", "no", "unknown"]),
                                 "reach_now": words(rng, 2, 4)}
        method = rng.choice(CONTACTS)
        contact = {"contact_method": method, "contact_details": words(rng, 1, 2) if method else "",
                   "safe_times": words(rng, 0, 3), "code_word": rng.choice(WORDS)}
        consent = {purpose: rng.random() < 0.6 for purpose in CONSENTS}
        if i < linked:
            status = "in_case"  # taken into a case
        else:
            status = weighted(rng, [("seen", 80), ("new", 12), ("spam", 5), ("duplicate", 3)])
        yield (
            {"narrative": words(rng, 60, 300),  # about 0.5 to 2.5 KB of UTF-8
             "answers": json.dumps(answers, ensure_ascii=False),
             "contact": json.dumps(contact, ensure_ascii=False),
             "consent": json.dumps(consent)},
            {"urgent": urgent, "status": status, "created_on": day_of(i, total, today)},
        )


def case_rows(
    rng: random.Random, total: int, today: date, now: datetime
) -> Iterator[tuple[dict[str, str], dict[str, Any]]]:
    for i in range(total):
        status = weighted(rng, STATUSES)
        risk = {code: {"present": rng.random() < 0.25, "notes": words(rng, 0, 8)}
                for code in RISKS}
        plain: dict[str, Any] = {"status": status, "priority": weighted(rng, PRIORITIES),
                                 "created_on": day_of(i, total, today)}
        if status != "closed" and i % 1000 == 7:  # a detention timer ran out: escalated
            plain["contact_deadline"] = now - timedelta(hours=rng.randint(1, 30))
        elif status != "closed" and i % 1000 == 500:  # a timer still running
            plain["contact_deadline"] = now + timedelta(hours=rng.randint(1, 30))
        yield (
            {"title": words(rng, 3, 8), "summary": words(rng, 20, 80),
             "risk": json.dumps(risk, ensure_ascii=False), "safety_plan": words(rng, 10, 60)},
            plain,
        )


def prepare(data_dir: Path, n_cases: int, n_reports: int) -> dict[str, float]:
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from kalkan.accounts.services import enrol_staff
    from kalkan.core.testing import Character, log_in
    from kalkan.desk import services as desk
    from kalkan.desk.models import Case, CaseReport, Task
    from kalkan.intake.models import Mailbox, Message, Report
    from kalkan.intake.services import add_follow_up, reply
    from kalkan.vault.records import bulk_create_sealed
    from kalkan.vault.services import found_organisation, unlock

    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    founding = found_organisation()
    users = {}
    passphrase = ""
    for username, role in STAFF:
        enrolment = enrol_staff(username, role, actor=None, keyring=founding.keyring)
        users[username] = enrolment.user
        if username == "bench":
            passphrase = enrolment.passphrase
    bench = users["bench"]
    others = [u for name, u in users.items() if name != "bench"]
    keyring = founding.keyring
    rng = random.Random(n_cases * 7 + n_reports)
    now = timezone.now()
    today = now.date()
    staff_done = time.perf_counter()

    # Reports, each with its mailbox (fake key material: nobody opens these mailboxes).
    linked = n_reports * 4 // 5
    report_ids = bulk_create_sealed(Report, keyring, report_rows(rng, n_reports, linked, today))
    Mailbox.objects.bulk_create(
        (Mailbox(report_id=rid, lookup_key=os.urandom(32).hex(),
                 reporter_public_key=os.urandom(32), wrapped_reporter_secret=os.urandom(72))
         for rid in report_ids),
        batch_size=2000,
    )
    mailbox_of = dict(Mailbox.objects.values_list("report_id", "id"))

    # Cases, their assignees and their reports. The last two linked reports are kept for
    # the measured case, which the services make below.
    # One case fewer than asked: the measured one is the last.
    case_ids = bulk_create_sealed(Case, keyring, case_rows(rng, n_cases - 1, today, now))
    case_facts = {
        pk: (priority, status)
        for pk, priority, status in Case.objects.values_list("pk", "priority", "status")
    }
    through = Case.assignees.through
    assignments: list[Any] = []
    for pk in case_ids:
        people = rng.sample(list(users.values()), rng.choice([1, 1, 2]))
        assignments.extend(through(case_id=pk, user_id=person.pk) for person in people)
    through.objects.bulk_create(assignments, batch_size=2000)
    kept = report_ids[linked - 2 : linked]
    # Every case gets one report, the rest go to cases at random.
    CaseReport.objects.bulk_create(
        (CaseReport(case_id=case_ids[i] if i < len(case_ids) else rng.choice(case_ids),
                    report_id=rid)
         for i, rid in enumerate(report_ids[: linked - 2])),
        batch_size=2000,
    )

    # Follow-ups and replies on about a quarter of the reports; a few unread (the inbox
    # shows those: cases with new messages, reports waiting with follow-ups).
    def message_rows() -> Iterator[tuple[dict[str, str], dict[str, Any]]]:
        for i, rid in enumerate(report_ids):
            if rid in kept or rng.random() > 0.25:
                continue
            count = rng.randint(1, 3)
            unread = rng.random() < (0.01 if i < linked else 0.1)
            day = day_of(i, n_reports, today)
            for m in range(count):
                from_reporter = m % 2 == 0
                yield (
                    {"body": words(rng, 10, 80)},
                    {"mailbox_id": mailbox_of[rid], "from_reporter": from_reporter,
                     "seen": not (from_reporter and unread and m >= count - 2),
                     "reporter_copy": b"" if from_reporter else os.urandom(120),
                     "created_on": day},
                )

    bulk_create_sealed(Message, keyring, message_rows())

    # Tasks: twice as many as cases. Most are done; the open ones are due from three
    # weeks ago to six weeks ahead (about a third overdue); only a dozen urgent ones are
    # overdue, as a desk that keeps up would have.
    def task_rows() -> Iterator[tuple[dict[str, str], dict[str, Any]]]:
        overdue_urgent = 0
        for _ in range(2 * n_cases):
            case_id = rng.choice(case_ids)
            priority, status = case_facts[case_id]
            urgent = priority == Case.Priority.URGENT
            roll = rng.random()
            assignee = bench if roll < 0.075 else None if roll > 0.95 else rng.choice(others)
            done = status == "closed" or rng.random() < 0.75
            if done:
                due = now - timedelta(hours=rng.randint(24, 24 * 300))
            else:
                due = now + timedelta(hours=rng.randint(-24 * 21, 24 * 42))
                if urgent and due <= now:
                    if overdue_urgent >= 12:
                        due = now + timedelta(hours=rng.randint(1, 72))
                    overdue_urgent += 1
            yield (
                {"title": words(rng, 3, 10)},
                {"case_id": case_id, "assignee": assignee, "due_at": due, "urgent": urgent,
                 "done_at": due + timedelta(hours=rng.randint(-24, 24)) if done else None,
                 "created_on": (due - timedelta(days=rng.randint(1, 14))).date()},
            )

    if case_ids:
        bulk_create_sealed(Task, keyring, task_rows())
    bulk_done = time.perf_counter()

    # The measured case, through the desk's services as the web makes it.
    bench_keys = unlock(bench, passphrase)
    assert bench_keys is not None
    reports = list(Report.objects.filter(pk__in=kept).select_related("content_key"))
    case = desk.open_case(reports, bench_keys, bench, title="Задержание после встречи, Бишкек")
    desk.save_risk(case, bench_keys, {
        "outed": {"present": True, "notes": words(rng, 5, 15)},
        "extortion": {"present": True, "notes": words(rng, 5, 15)},
        "further_attack": {"present": True, "notes": ""},
    }, words(rng, 30, 60))
    desk.change_status(case, "triage", "", bench_keys, bench)
    desk.change_status(case, "active", words(rng, 3, 8), bench_keys, bench)
    for _ in range(3):
        desk.add_note(case, bench_keys, bench, words(rng, 20, 120))
    for kind, outcome in (("lawyer", "done"), ("digital_security", "in_progress"),
                          ("psychological", "planned")):
        desk.add_action(case, bench_keys, bench, kind=kind, outcome=outcome,
                        done_on=today - timedelta(days=2), notes=words(rng, 10, 40))
    for offset, assignee in ((-2, bench), (48, bench), (24, others[0]), (96, None)):
        task = desk.add_task(case, bench_keys, title=words(rng, 3, 8),
                             due_at=now + timedelta(hours=offset), assignee=assignee)
    desk.complete_task(task)
    for report in reports:
        box = Mailbox.objects.select_related("report__content_key").get(report=report)
        add_follow_up(box, words(rng, 20, 60), [])
        reply(box, bench_keys, words(rng, 20, 60))
        add_follow_up(box, words(rng, 10, 40), [])

    # A logged-in, unlocked session for the measuring process (so that its peak memory
    # holds no Argon2 run): the cookies are all it needs.
    client = log_in(Client(), Character(bench, passphrase))
    (data_dir / "session.json").write_text(json.dumps({
        "cookies": {name: morsel.value for name, morsel in client.cookies.items()},
        "case": str(case.pk),
    }))
    open_mine = Task.objects.filter(assignee=bench, done_at__isnull=True)
    return {
        "generate_s": time.perf_counter() - start,
        "generate_staff_s": staff_done - start,
        "generate_bulk_s": bulk_done - staff_done,
        "generate_rss_mb": peak_rss_mb(),
        "reports": float(Report.objects.count()),
        "reports_in_cases": float(CaseReport.objects.count()),
        "reports_waiting": float(Report.objects.filter(
            status__in=["new", "seen"]).count()),
        "cases": float(Case.objects.count()),
        "cases_open": float(Case.objects.exclude(status="closed").count()),
        "messages": float(Message.objects.count()),
        "tasks": float(Task.objects.count()),
        "my_open_tasks": float(open_mine.count()),
        "my_overdue_tasks": float(open_mine.filter(due_at__lte=now).count()),
    }


# --- measuring ---------------------------------------------------------------------------------


def measure(data_dir: Path, repeat: int) -> dict[str, float]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kalkan.vault import workingset

    session = json.loads((data_dir / "session.json").read_text())
    client = Client()
    for name, value in session["cookies"].items():
        client.cookies[name] = value
    urls = {
        "inbox": "/en/staff/cases/inbox/",
        "case": f"/en/staff/cases/{session['case']}/",
        "tasks": "/en/staff/cases/tasks/",
    }

    builds: list[float] = []
    build = workingset.build

    def timed_build(keyring: Any) -> Any:
        began = time.perf_counter()
        try:
            return build(keyring)
        finally:
            builds.append(time.perf_counter() - began)

    workingset.build = timed_build

    def get(url: str) -> tuple[float, int]:
        began = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - began
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code} {response.get('Location', '')}")
        return elapsed, len(response.content)

    figures: dict[str, float] = {"rss_before_warmup_mb": peak_rss_mb()}
    figures["warmup_s"], _size = get(urls["inbox"])
    figures["workingset_build_s"] = sum(builds)
    figures["rss_after_warmup_mb"] = peak_rss_mb()
    sets = list(workingset._sets.values())
    for kind in ("report", "case", "task", "message"):
        figures[f"workingset_{kind}s"] = float(sum(ws.count(kind) for ws in sets))
    figures["workingset_records"] = float(sum(ws.count() for ws in sets))

    for page, url in urls.items():
        figures[f"{page}_first_ms"] = get(url)[0] * 1000
        times = [get(url)[0] * 1000 for _ in range(repeat)]
        with CaptureQueriesContext(connection) as queries:
            size = get(url)[1]
        figures[f"{page}_p50_ms"] = percentile(times, 0.5)
        figures[f"{page}_p95_ms"] = percentile(times, 0.95)
        figures[f"{page}_queries"] = float(len(queries.captured_queries))
        figures[f"{page}_kb"] = size / 1024
    figures["peak_rss_mb"] = peak_rss_mb()
    return figures


# --- the driver -----------------------------------------------------------------------------------


def child(phase: str, data_dir: Path, args: argparse.Namespace) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--data-dir", str(data_dir),
         "--cases", str(args.cases), "--reports", str(args.reports),
         "--repeat", str(args.repeat)],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"the {phase} phase failed")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--reports", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--phase", default="")
    parser.add_argument("--data-dir", default="")
    args = parser.parse_args()

    if args.phase:
        data_dir = Path(args.data_dir)
        setup(data_dir)
        if args.phase == "prepare":
            result = prepare(data_dir, args.cases, args.reports)
        else:
            result = measure(data_dir, args.repeat)
        print(json.dumps(result))
        return

    print(f"kalkan desk benchmark on {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"SQLite; {args.cases:,} cases, {args.reports:,} reports, {args.repeat} repeats")
    with tempfile.TemporaryDirectory(prefix="kalkan-bench-desk-") as tmp:
        data_dir = Path(tmp) / "instance"
        data_dir.mkdir(mode=0o700)
        (data_dir / "secret_key").write_text("bench-" + os.urandom(32).hex())
        made = child("prepare", data_dir, args)
        print(
            f"generated {made['reports']:,.0f} reports ({made['reports_in_cases']:,.0f} in "
            f"cases, {made['reports_waiting']:,.0f} waiting), {made['cases']:,.0f} cases "
            f"({made['cases_open']:,.0f} open), {made['messages']:,.0f} messages, "
            f"{made['tasks']:,.0f} tasks ({made['my_open_tasks']:,.0f} open for the "
            f"responder, {made['my_overdue_tasks']:,.0f} overdue) in {made['generate_s']:.1f} s "
            f"(not measured; staff enrolment {made['generate_staff_s']:.1f} s, peak RSS "
            f"{made['generate_rss_mb']:.0f} MB)"
        )
        got = child("measure", data_dir, args)
    print(
        f"warm-up: first inbox request {got['warmup_s']:.2f} s, of which building the "
        f"working set of {got['workingset_records']:,.0f} records "
        f"({got['workingset_reports']:,.0f} reports, {got['workingset_cases']:,.0f} cases, "
        f"{got['workingset_tasks']:,.0f} tasks, {got['workingset_messages']:,.0f} messages) "
        f"{got['workingset_build_s']:.2f} s"
    )
    print(f"{'page':<22} {'first':>8} {'p50':>8} {'p95':>8} {'queries':>8} {'size':>8}")
    for page, label in PAGES:
        print(
            f"{label:<22} {got[page + '_first_ms']:6.0f}ms {got[page + '_p50_ms']:6.0f}ms "
            f"{got[page + '_p95_ms']:6.0f}ms {got[page + '_queries']:8.0f} "
            f"{got[page + '_kb']:6.0f}kB"
        )
    print(
        f"peak RSS of the serving process: {got['peak_rss_mb']:.0f} MB (before the warm-up "
        f"{got['rss_before_warmup_mb']:.0f} MB, after it {got['rss_after_warmup_mb']:.0f} MB)"
    )
    print(json.dumps({
        "cores": os.cpu_count(), "cases_arg": args.cases, "reports_arg": args.reports,
        "repeat": args.repeat, **made, **got,
    }, sort_keys=True))


if __name__ == "__main__":
    main()
