"""Content-free alerts against a real SMTP server and a real webhook: counts and a link, per
recipient, never a word anyone typed; escalation of detention timers and urgent tasks; the
`kalkan escalate` command; and the administrators' on-call page."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage as ParsedMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from kalkan.audit.models import AuditEntry
from kalkan.core.testing import csrf_token_in, free_port, kalkan, log_in
from kalkan.desk import alerts, services
from kalkan.desk.models import AlertState, Case, OnCall, Task
from kalkan.intake.models import Report
from kalkan.intake.services import Submission, add_follow_up, find_mailbox, submit_report

BASE = "http://alerts-test.example.onion"
LINK = f"{BASE}/en/staff/cases/inbox/"
PAGE = "/en/staff/on-call/"


# --- a real SMTP server and a real webhook --------------------------------------------------------


class Mailroom:
    """What the SMTP server received: (recipients, raw bytes) per message."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append((list(envelope.rcpt_tos), bytes(envelope.original_content)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[ParsedMessage]:
        return [_parse(raw) for rcpt, raw in self.received if address in rcpt]

    def raw(self) -> list[bytes]:
        return [raw for _rcpt, raw in self.received]


def _parse(raw: bytes) -> ParsedMessage:
    message = message_from_bytes(raw, policy=default_policy)
    assert isinstance(message, ParsedMessage)
    return message


def body_of(message: ParsedMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


@pytest.fixture
def smtp(settings) -> Iterator[Mailroom]:
    mailroom = Mailroom()
    port = free_port()
    controller = Controller(mailroom, hostname="127.0.0.1", port=port)
    controller.start()
    # pytest-django swaps in the in-memory backend; these tests talk real SMTP.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "alerts@alerts-test.example.org"
    settings.KALKAN_BASE_URL = BASE
    settings.LANGUAGE_CODE = "en"
    settings.KALKAN_ALERT_WEBHOOK = ""
    yield mailroom
    controller.stop()


class Hook:
    def __init__(self) -> None:
        self.posts: list[bytes] = []
        self.status = 204

    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(post) for post in self.posts]


@pytest.fixture
def webhook(settings, smtp) -> Iterator[Hook]:
    hook = Hook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            hook.posts.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(hook.status)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.KALKAN_ALERT_WEBHOOK = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield hook
    server.shutdown()
    server.server_close()


# --- the cast on call, and canaries ---------------------------------------------------------------


AMIR_ADDRESS = "night-desk-1@alerts-test.example.org"
BOTA_ADDRESS = "night-desk-2@alerts-test.example.org"
CHINGIZ_ADDRESS = "resting@alerts-test.example.org"


@pytest.fixture
def on_call(amir, bota, chingiz) -> None:
    OnCall.objects.create(user=amir.user, email=AMIR_ADDRESS, active=True)
    OnCall.objects.create(user=bota.user, email=BOTA_ADDRESS, active=True)
    # Chingiz has an address but is not on call: he gets nothing.
    OnCall.objects.create(user=chingiz.user, email=CHINGIZ_ADDRESS, active=False)


def canary() -> str:
    return f"kanarejka-{uuid.uuid4().hex[:12]}"


def assert_clean(blobs: list[bytes], secrets: list[str]) -> None:
    """None of the secrets, in any common form, in any message or payload."""
    assert blobs
    for blob in blobs:
        decoded = blob.decode("utf-8", "replace")
        try:
            parsed = _parse(blob)
            decoded += "\n" + body_of(parsed) + "\n" + str(dict(parsed.items()))
        except (AssertionError, ValueError):
            pass
        for secret in secrets:
            for form in (secret, secret.lower(), secret.upper()):
                assert form not in decoded, secret
                assert form.encode() not in blob, secret
                assert form.encode().hex() not in decoded, secret


def urgent_report(*secrets: str) -> str:
    """An urgent report with a secret in every field a reporter types; returns the receipt."""
    first, *rest = [*secrets, canary(), canary(), canary()]
    return submit_report(
        Submission(
            narrative=f"Police took {first} from the market",
            answers={"urgent": {"where_now": rest[0], "since_when": "21:00"}},
            contact={"contact_method": "signal", "contact_details": rest[1]},
            consent={"services": True},
            urgent=True,
        ),
        [],
    )


def detained_case(character: Any, *secrets: str) -> Case:
    """A case opened from an urgent report, the person detained: the timer runs."""
    keys = character.keyring()
    receipt = urgent_report(*secrets[:3])
    found = find_mailbox(receipt)
    assert found is not None
    report = Report.objects.get(pk=found[0].report_id)
    title, notes, plan = [*secrets[3:], canary(), canary(), canary()][:3]
    case = services.open_case([report], keys, character.user, title=f"Case of {title}")
    services.save_risk(case, keys, {"detained": {"present": True, "notes": notes}}, plan)
    case.refresh_from_db()
    assert case.contact_deadline is not None
    return case


def time_runs_out(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(
        contact_deadline=timezone.now() - timedelta(minutes=1)
    )


def run() -> str:
    out = _Out()
    call_command("escalate", stdout=out)
    return out.text.strip()


class _Out:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


# --- new reports ----------------------------------------------------------------------------------


def test_a_new_urgent_report_alerts_everyone_on_call_with_counts_only(
    smtp, webhook, on_call, amir, bota
):
    secrets = [canary(), canary(), canary()]
    receipt = urgent_report(*secrets)
    report = Report.objects.get()

    assert run() == "alerts sent: 2 e-mails, webhook: yes"

    assert sorted(r for rcpt, _raw in smtp.received for r in rcpt) == sorted(
        [AMIR_ADDRESS, BOTA_ADDRESS]
    )
    for address in (AMIR_ADDRESS, BOTA_ADDRESS):
        (message,) = smtp.to(address)
        assert message["Subject"] == "Kalkan: new activity"  # KALKAN_TOTP_ISSUER's default
        assert message["To"] == address
        # Not the server's own host name, as Django's default Message-ID would have it.
        assert message["Message-ID"].endswith("@alerts-test.example.org>")
        assert body_of(message).strip() == f"1 new report, 1 urgent.\n\nOpen: {LINK}"
    assert smtp.to(CHINGIZ_ADDRESS) == []
    (payload,) = webhook.payloads()
    assert payload == {
        "text": f"1 new report, 1 urgent.\n\nOpen: {LINK}\n",
        "new_reports": 1, "urgent": 1, "follow_ups": 0, "escalations": 0, "url": LINK,
    }
    forbidden = [*secrets, receipt, str(report.pk), "amir", "bota", "market", "Police"]
    assert_clean([*smtp.raw(), *webhook.posts], forbidden)

    # Sent once: the next run has nothing to say.
    assert run() == "nothing new"
    assert len(smtp.received) == 2 and len(webhook.posts) == 1


def test_follow_ups_and_calm_reports_are_counted_too(smtp, on_call, bota):
    submit_report(Submission(narrative=canary()), [])
    receipt = urgent_report()
    alerts.send()
    smtp.received.clear()
    found = find_mailbox(receipt)
    assert found is not None
    secret = canary()
    add_follow_up(found[0], f"They moved him, {secret}", [])
    add_follow_up(found[0], "Still no news", [])
    submit_report(Submission(narrative=canary()), [])

    assert run() == "alerts sent: 2 e-mails, webhook: no"
    (message,) = smtp.to(BOTA_ADDRESS)
    assert body_of(message).strip() == f"1 new report. 2 new follow-ups.\n\nOpen: {LINK}"
    assert_clean(smtp.raw(), [secret])


def test_nothing_is_sent_to_nobody(smtp, amir):
    urgent_report()
    assert "no recipients" in run()
    assert smtp.received == []
    # Nothing was marked as alerted: the first person on call hears of it.
    OnCall.objects.create(user=amir.user, email=AMIR_ADDRESS, active=True)
    assert run() == "alerts sent: 1 e-mail, webhook: no"


def test_a_dry_run_shows_counts_and_sends_nothing(smtp, webhook, on_call):
    secret = canary()
    urgent_report(secret)
    out = _Out()
    call_command("escalate", "--dry-run", stdout=out)
    assert "would send: 2 e-mails, webhook: yes" in out.text
    assert "e-mail to bota: 1 new reports (1 urgent), 0 follow-ups" in out.text
    assert secret not in out.text
    assert smtp.received == [] and webhook.posts == []
    assert AlertState.objects.get(pk=1).reports_revision == 0
    assert run() == "alerts sent: 2 e-mails, webhook: yes"


# --- escalation -----------------------------------------------------------------------------------


def test_a_detention_timer_that_runs_out_is_escalated_once(smtp, webhook, on_call, bota):
    secrets = [canary() for _ in range(6)]
    case = detained_case(bota, *secrets)
    # The report went into the case: not new any more; the timer has not run out.
    assert run() == "nothing new"

    time_runs_out(case)
    assert run() == "alerts sent: 2 e-mails, webhook: yes"
    for address in (AMIR_ADDRESS, BOTA_ADDRESS):
        (message,) = smtp.to(address)
        assert body_of(message).strip() == f"1 case needs attention now.\n\nOpen: {LINK}"
    assert webhook.payloads()[0]["escalations"] == 1
    forbidden = [*secrets, str(case.pk), case.pk.hex, "bota", "amir", "Case of"]
    assert_clean([*smtp.raw(), *webhook.posts], forbidden)
    assert Case.objects.get(pk=case.pk).escalated_at is not None

    # Once per deadline.
    assert run() == "nothing new"
    assert len(smtp.received) == 2

    # Someone reached the lawyer: the timer starts again, and a new deadline alerts again.
    services.record_contact(case)
    case.refresh_from_db()
    assert case.contact_deadline is not None and case.escalated_at is None
    assert case.contact_deadline > timezone.now()
    assert run() == "nothing new"
    time_runs_out(case)
    assert run() == "alerts sent: 2 e-mails, webhook: yes"
    assert len(smtp.received) == 4


def test_a_closed_case_or_a_released_person_is_not_escalated(smtp, on_call, bota):
    keys = bota.keyring()
    case = detained_case(bota)
    services.save_risk(case, keys, {"detained": {"present": False}}, "")
    case.refresh_from_db()
    assert case.contact_deadline is None
    Case.objects.filter(pk=case.pk).update(contact_deadline=timezone.now() - timedelta(hours=1),
                                           status=Case.Status.CLOSED)
    assert run() == "nothing new"


def test_an_overdue_urgent_task_is_escalated_once(smtp, webhook, on_call, bota):
    keys = bota.keyring()
    secret = canary()
    urgent_report()
    case = services.open_case([Report.objects.get()], keys, bota.user)
    assert case.priority == Case.Priority.URGENT
    soon = timezone.now() + timedelta(hours=2)
    task = services.add_task(case, keys, title=f"Call {secret}", due_at=soon, assignee=bota.user)
    calm = services.open_case([], keys, bota.user, title="calm")
    late = services.add_task(
        calm, keys, title="not urgent", due_at=timezone.now() - timedelta(days=1), assignee=None
    )
    assert task.urgent and not late.urgent
    assert run() == "nothing new"

    Task.objects.filter(pk=task.pk).update(due_at=timezone.now() - timedelta(minutes=5))
    assert run() == "alerts sent: 2 e-mails, webhook: yes"
    (message,) = smtp.to(BOTA_ADDRESS)
    assert body_of(message).strip() == f"1 case needs attention now.\n\nOpen: {LINK}"
    assert webhook.payloads()[0]["escalations"] == 1
    assert_clean([*smtp.raw(), *webhook.posts], [secret, str(case.pk), str(task.pk), "bota"])
    assert run() == "nothing new"
    assert Task.objects.get(pk=task.pk).escalated_at is not None


# --- restricted cases -----------------------------------------------------------------------------


def test_a_restricted_case_is_counted_only_for_its_members(smtp, webhook, on_call, amir, bota):
    keys = bota.keyring()
    open_case = detained_case(bota)
    receipt = urgent_report()
    hidden_report = Report.objects.get(status=Report.Status.NEW)
    hidden = services.open_case([hidden_report], keys, bota.user, title="restricted")
    services.restrict(hidden, [bota.user], keys, bota.user)
    hidden = Case.objects.get(pk=hidden.pk)  # its key moved into the compartment
    assert hidden.compartment is not None
    assert list(hidden.compartment.members.all()) == [bota.user]
    services.save_risk(hidden, keys, {"detained": {"present": True}}, "")
    found = find_mailbox(receipt)
    assert found is not None
    add_follow_up(found[0], canary(), [])
    time_runs_out(open_case)
    time_runs_out(hidden)

    assert run() == "alerts sent: 2 e-mails, webhook: yes"
    (to_bota,) = smtp.to(BOTA_ADDRESS)
    (to_amir,) = smtp.to(AMIR_ADDRESS)
    assert body_of(to_bota).strip() == (
        f"1 new follow-up. 2 cases need attention now.\n\nOpen: {LINK}"
    )
    assert body_of(to_amir).strip() == f"1 case needs attention now.\n\nOpen: {LINK}"
    (payload,) = webhook.payloads()
    assert (payload["escalations"], payload["follow_ups"]) == (1, 0)
    assert "2 cases" not in payload["text"] and "follow-up" not in payload["text"]
    assert run() == "nothing new"


def test_a_restricted_escalation_waits_for_a_member_on_call(smtp, on_call, amir, bota, dana):
    keys = dana.keyring()
    case = detained_case(dana)
    services.restrict(case, [], keys, dana.user)
    time_runs_out(case)
    out = run()
    assert out.startswith("nothing new") and "none of their members is on call" in out
    assert smtp.received == []
    assert Case.objects.get(pk=case.pk).escalated_at is None

    OnCall.objects.create(user=dana.user, email="third-desk@alerts-test.example.org", active=True)
    assert run() == "alerts sent: 1 e-mail, webhook: no"
    (message,) = smtp.to("third-desk@alerts-test.example.org")
    assert "1 case needs attention now." in body_of(message)
    assert Case.objects.get(pk=case.pk).escalated_at is not None


# --- failures -------------------------------------------------------------------------------------


def test_smtp_down_fails_with_one_line_and_retries_next_time(smtp, settings, on_call):
    urgent_report()
    up = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there
    with pytest.raises(CommandError) as failure:
        run()
    assert failure.value.returncode == 1
    message = str(failure.value)
    assert "\n" not in message and message.startswith("alert not sent, will retry: e-mail")
    assert AlertState.objects.get(pk=1).reports_revision == 0

    settings.EMAIL_PORT = up
    assert run() == "alerts sent: 2 e-mails, webhook: no"
    assert "1 new report, 1 urgent." in body_of(smtp.to(AMIR_ADDRESS)[0])
    assert run() == "nothing new"


def test_a_failing_webhook_is_retried_too(smtp, webhook, on_call, bota):
    case = detained_case(bota)
    time_runs_out(case)
    webhook.status = 500
    with pytest.raises(CommandError, match="webhook: HTTPError: HTTP Error 500"):
        run()
    assert Case.objects.get(pk=case.pk).escalated_at is None
    webhook.status = 204
    assert run() == "alerts sent: 2 e-mails, webhook: yes"
    assert Case.objects.get(pk=case.pk).escalated_at is not None


def test_the_command_exits_1_with_one_line_when_smtp_is_down(tmp_path, settings, smtp):
    data = tmp_path / "inst"
    init = kalkan("init", "--data-dir", str(data), "--admin", "amir", "--non-interactive",
                  "--show-escrow")
    assert init.returncode == 0, init.stderr
    plant = kalkan(
        "shell", "--data-dir", str(data), "-c",
        "from kalkan.accounts.models import User\n"
        "from kalkan.desk.models import OnCall\n"
        "from kalkan.intake.services import Submission, submit_report\n"
        "submit_report(Submission(narrative='Taken from the bus stop', urgent=True), [])\n"
        "OnCall.objects.create(user=User.objects.get(), email='cli-desk@example.org',"
        " active=True)\n",
    )
    assert plant.returncode == 0, plant.stderr
    env = {"KALKAN_SMTP_HOST": "127.0.0.1", "KALKAN_SMTP_STARTTLS": "false",
           "KALKAN_BASE_URL": BASE}

    down = kalkan("escalate", "--data-dir", str(data),
                  env={**env, "KALKAN_SMTP_PORT": str(free_port())})
    assert down.returncode == 1
    assert len(down.stderr.strip().splitlines()) == 1, down.stderr
    assert "alert not sent, will retry" in down.stderr and "Traceback" not in down.stderr

    port = str(settings.EMAIL_PORT)  # where the `smtp` fixture listens
    sent = kalkan("escalate", "--data-dir", str(data), env={**env, "KALKAN_SMTP_PORT": port})
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.strip() == "alerts sent: 1 e-mail, webhook: no"
    (message,) = smtp.to("cli-desk@example.org")
    assert f"{BASE}/ru/staff/cases/inbox/" in body_of(message)
    assert_clean(smtp.raw(), ["Taken from the bus stop", "bus stop", "amir"])
    again = kalkan("escalate", "--data-dir", str(data), env={**env, "KALKAN_SMTP_PORT": port})
    assert again.stdout.strip() == "nothing new"


# --- the on-call page -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [("amir", 200), ("bota", 403), ("chingiz", 403), ("dana", 403), ("anonymous", 302)],
)
def test_only_administrators_manage_who_is_on_call(request, client, who, status):
    if who != "anonymous":
        log_in(client, request.getfixturevalue(who))
    else:
        request.getfixturevalue("organisation")
    response = client.get(PAGE)
    assert response.status_code == status
    if who == "anonymous":
        assert response["Location"].startswith("/en/staff/login/?next=")
    for url in (PAGE, PAGE + "test/"):
        after = client.post(url, {})
        assert after.status_code == (302 if who in ("amir", "anonymous") else 403)


def _form(page: str, people: dict[Any, tuple[str, bool]]) -> dict[str, str]:
    data = {"csrfmiddlewaretoken": csrf_token_in(page), "back": PAGE}
    for user, (email, active) in people.items():
        data[f"email_{user.pk}"] = email
        if active:
            data[f"active_{user.pk}"] = "on"
    return data


def test_an_administrator_puts_people_on_call(csrf_client, amir, bota, dana):
    log_in(csrf_client, amir)
    page = csrf_client.get(PAGE).content.decode()
    assert "bota" in page and "dana" in page and "does not name the person" in page
    data = _form(page, {amir.user: ("", False), bota.user: (BOTA_ADDRESS, True),
                        dana.user: ("spare@alerts-test.example.org", False)})
    response = csrf_client.post(PAGE, data)
    assert response.status_code == 302 and response["Location"] == PAGE
    assert OnCall.objects.get(user=bota.user).active
    assert OnCall.objects.get(user=bota.user).email == BOTA_ADDRESS
    assert not OnCall.objects.get(user=dana.user).active
    entry = AuditEntry.objects.get(action="alerts.on_call")
    assert entry.actor_id == amir.user.pk
    page = csrf_client.get(PAGE).content.decode()
    assert "Saved." in page and f'value="{BOTA_ADDRESS}"' in page


def test_a_bad_address_is_refused_and_nothing_is_saved(csrf_client, amir, bota, dana):
    log_in(csrf_client, amir)
    page = csrf_client.get(PAGE).content.decode()
    data = _form(page, {amir.user: ("", False), bota.user: ("bota at home", True),
                        dana.user: ("", True)})
    response = csrf_client.post(PAGE, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a valid email address." in body
    assert "Someone on call needs an e-mail address." in body
    assert "Nothing was saved." in body
    assert not OnCall.objects.exists()
    assert not AuditEntry.objects.filter(action="alerts.on_call").exists()


def test_saving_needs_the_csrf_token(csrf_client, amir, bota):
    log_in(csrf_client, amir)
    data = {f"email_{bota.user.pk}": BOTA_ADDRESS, f"active_{bota.user.pk}": "on"}
    response = csrf_client.post(PAGE, data)
    assert response.status_code == 403
    assert csrf_client.post(PAGE + "test/", {}).status_code == 403
    assert not OnCall.objects.exists()


def test_saving_needs_a_recent_login(client, amir, bota):
    log_in(client, amir, recent=False)
    assert client.get(PAGE).status_code == 200
    response = client.post(PAGE, {f"email_{bota.user.pk}": BOTA_ADDRESS, "back": PAGE})
    assert response["Location"].startswith("/en/staff/confirm/")
    assert not OnCall.objects.exists()


def test_a_test_alert_reports_success_or_the_smtp_error(client, settings, smtp, amir, bota):
    OnCall.objects.create(user=bota.user, email=BOTA_ADDRESS, active=True)
    log_in(client, amir)
    page = client.post(PAGE + "test/", {}, follow=True).content.decode()
    assert "Test alert sent to 1 e-mail address." in page
    (message,) = smtp.to(BOTA_ADDRESS)
    assert body_of(message).strip() == (
        f"This is a test alert. Nothing needs doing.\n\nOpen: {LINK}"
    )
    assert AuditEntry.objects.filter(action="alerts.test").exists()

    settings.EMAIL_PORT = free_port()
    page = client.post(PAGE + "test/", {}, follow=True).content.decode()
    assert "The test alert failed: e-mail: ConnectionRefusedError" in page
    # A test changes nothing about what the real alerts have counted.
    assert not AlertState.objects.exists()


def test_nowhere_to_send_a_test_alert(client, smtp, amir):
    log_in(client, amir)
    page = client.post(PAGE + "test/", {}, follow=True).content.decode()
    assert "there is nowhere to send it" in page
    assert smtp.received == []


def test_alerts_wait_for_the_clock(smtp, on_call, bota):
    """The escalation arithmetic itself: a deadline a second away is not yet due."""
    case = detained_case(bota)
    Case.objects.filter(pk=case.pk).update(
        contact_deadline=timezone.now() + timedelta(seconds=30)
    )
    assert run() == "nothing new"
    later = timezone.now() + timedelta(minutes=1)
    outcome = alerts.send(alerts.collect(now=later))
    assert outcome.emails_sent == 2
    assert Case.objects.get(pk=case.pk).escalated_at is not None
