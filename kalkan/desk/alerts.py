"""Content-free alerts: counts and a link, by e-mail to whoever is on call and to a webhook.

    pending = collect()              # what the next alert covers (nothing is sent)
    outcome = send(pending)          # one e-mail per on-call address, one webhook POST
    send_test()                      # from the on-call page: a fixed text, no state

An alert says how many new reports (and how many of them urgent), new follow-ups and cases
that need attention now (a detention's no-contact timer ran out, or an urgent task is
overdue), and links to the inbox. It never holds a name, a case id, a username, a place or
anything anyone typed: it is written with nobody unlocked, from plaintext workflow facts
only (security.md, "What may stay plaintext"), and it leaves the server.

A restricted case must not show even in a count to someone outside it: its follow-ups and
its escalations are counted only in the e-mails to its compartment's members, never in the
webhook. So the counts are per recipient.

State advances only after every send succeeded: a failed send is retried on the next run,
a sent alert is not repeated.
"""

from __future__ import annotations

import contextlib
import json
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import make_msgid, parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from kalkan.desk.models import AlertState, Case, OnCall, Task
from kalkan.desk.services import overdue_timers, overdue_urgent_tasks
from kalkan.intake.models import Message, Report
from kalkan.vault.models import Compartment

WEBHOOK_TIMEOUT = 10


@dataclass(frozen=True)
class Counts:
    new_reports: int = 0
    urgent: int = 0
    follow_ups: int = 0
    escalations: int = 0

    def __bool__(self) -> bool:
        return bool(self.new_reports or self.follow_ups or self.escalations)


@dataclass(frozen=True)
class Recipient:
    """An on-call address and the restricted compartments its owner belongs to."""

    user_id: int
    username: str
    email: str
    compartments: frozenset[str]


@dataclass
class Pending:
    """What the next alert would cover. Each item carries the compartment it is restricted
    to (None when it is not), so that counts can be made for each recipient."""

    now: datetime
    # (revision, urgent, compartment)
    reports: list[tuple[int, bool, str | None]] = field(default_factory=list)
    # (revision, compartment)
    follow_ups: list[tuple[int, str | None]] = field(default_factory=list)
    # (case id, contact deadline, compartment): detention timers that ran out
    timers: list[tuple[Any, datetime, str | None]] = field(default_factory=list)
    # (task id, case id, compartment): overdue urgent tasks
    tasks: list[tuple[Any, Any, str | None]] = field(default_factory=list)

    def counts_for(self, compartments: Iterable[str] = ()) -> Counts:
        """The counts someone who belongs to `compartments` may see (none: the webhook)."""
        allowed = frozenset(compartments)

        def visible(compartment: str | None) -> bool:
            return compartment is None or compartment in allowed

        reports = [urgent for _rev, urgent, c in self.reports if visible(c)]
        cases = {case for case, _deadline, c in self.timers if visible(c)}
        cases |= {case for _task, case, c in self.tasks if visible(c)}
        return Counts(
            new_reports=len(reports),
            urgent=sum(1 for urgent in reports if urgent),
            follow_ups=sum(1 for _rev, c in self.follow_ups if visible(c)),
            escalations=len(cases),
        )

    def told(self, audiences: Iterable[frozenset[str]]) -> set[str | None]:
        """The compartments (None: unrestricted) whose items reach one of `audiences`."""
        audiences = list(audiences)
        reached: set[str | None] = {None} if audiences else set()
        for compartments in audiences:
            reached |= compartments
        return reached

    def escalations_beyond(self, audiences: Iterable[frozenset[str]]) -> int:
        """How many cases needing attention reach nobody in `audiences`."""
        told = self.told(audiences)
        cases = {case for case, _deadline, c in self.timers if c not in told}
        cases |= {case for _task, case, c in self.tasks if c not in told}
        return len(cases)


@dataclass
class Outcome:
    emails_sent: int = 0
    webhook_sent: bool = False
    errors: list[str] = field(default_factory=list)
    no_recipients: bool = False
    nothing_new: bool = False
    # Cases needing attention that no recipient may be told about (restricted, and none of
    # their members on call): they stay pending.
    held_back: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


# --- what is new --------------------------------------------------------------------------------


def _compartment(value: Any) -> str | None:
    return None if value is None else str(value)


def state() -> AlertState:
    alert_state, _ = AlertState.objects.get_or_create(pk=1)
    return alert_state


def collect(now: datetime | None = None) -> Pending:
    """Everything not alerted yet, from plaintext columns only (nothing is unlocked)."""
    now = now or timezone.now()
    seen = state()
    pending = Pending(now=now)
    reports = Report.objects.filter(
        revision__gt=seen.reports_revision, status=Report.Status.NEW
    ).values_list("revision", "urgent", "content_key__compartment_id")
    pending.reports = [(rev, urgent, _compartment(c)) for rev, urgent, c in reports]
    # A follow-up is restricted when its report is (or when it was keyed into a
    # compartment itself). Follow-ups the team already opened need no alert.
    follow_ups = Message.objects.filter(
        from_reporter=True, seen=False, revision__gt=seen.messages_revision
    ).values_list(
        "revision",
        "mailbox__report__content_key__compartment_id",
        "content_key__compartment_id",
    )
    pending.follow_ups = [
        (rev, _compartment(report_c or own_c)) for rev, report_c, own_c in follow_ups
    ]
    timers = overdue_timers(now).filter(escalated_at__isnull=True).values_list(
        "pk", "contact_deadline", "compartment_id"
    )
    pending.timers = [
        (pk, deadline, _compartment(c)) for pk, deadline, c in timers if deadline is not None
    ]
    tasks = overdue_urgent_tasks(now).filter(escalated_at__isnull=True).values_list(
        "pk", "case_id", "case__compartment_id"
    )
    pending.tasks = [(pk, case, _compartment(c)) for pk, case, c in tasks]
    return pending


def recipients() -> list[Recipient]:
    """Active staff on call with an address, and the restricted compartments they are in."""
    rows = (
        OnCall.objects.filter(active=True, user__is_active=True)
        .exclude(email="")
        .select_related("user")
        .order_by("user__username")
    )
    people = []
    for row in rows:
        compartments = Compartment.objects.filter(members=row.user).values_list("pk", flat=True)
        people.append(
            Recipient(
                user_id=row.user_id,
                username=row.user.username,
                email=row.email,
                compartments=frozenset(str(c) for c in compartments),
            )
        )
    return people


# --- the words ----------------------------------------------------------------------------------


def inbox_url() -> str:
    """The link in every alert: the case inbox, in the instance's default language."""
    with translation.override(settings.LANGUAGE_CODE):
        return f"{settings.KALKAN_BASE_URL}{reverse('cases:inbox')}"


def subject() -> str:
    """Seen on a locked phone's screen: the neutral name the admin chose for the instance
    (the same one the authenticator app shows), never "Kalkan" unless they chose it."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("%(name)s: new activity") % {"name": settings.OTP_TOTP_ISSUER}


def text(counts: Counts) -> str:
    """The body: whole sentences of counts, then the link. Nothing else, ever."""
    with translation.override(settings.LANGUAGE_CODE):
        sentences = []
        if counts.new_reports and counts.urgent:
            sentences.append(
                ngettext(
                    "%(count)d new report, %(urgent)d urgent.",
                    "%(count)d new reports, %(urgent)d urgent.",
                    counts.new_reports,
                )
                % {"count": counts.new_reports, "urgent": counts.urgent}
            )
        elif counts.new_reports:
            sentences.append(
                ngettext("%(count)d new report.", "%(count)d new reports.", counts.new_reports)
                % {"count": counts.new_reports}
            )
        if counts.follow_ups:
            sentences.append(
                ngettext(
                    "%(count)d new follow-up.", "%(count)d new follow-ups.", counts.follow_ups
                )
                % {"count": counts.follow_ups}
            )
        if counts.escalations:
            sentences.append(
                ngettext(
                    "%(count)d case needs attention now.",
                    "%(count)d cases need attention now.",
                    counts.escalations,
                )
                % {"count": counts.escalations}
            )
        link = gettext("Open: %(url)s") % {"url": inbox_url()}
    return " ".join(sentences) + "\n\n" + link + "\n"


def test_text() -> str:
    with translation.override(settings.LANGUAGE_CODE):
        line = gettext("This is a test alert. Nothing needs doing.")
        link = gettext("Open: %(url)s") % {"url": inbox_url()}
    return line + "\n\n" + link + "\n"


# --- sending ------------------------------------------------------------------------------------


def _one_line(error: BaseException) -> str:
    """An error as one short line (an SMTP reply may span several)."""
    words = " ".join(str(error).split())
    return f"{type(error).__name__}: {words}" if words else type(error).__name__


def _message_id() -> str:
    # Django's default Message-ID names the server's own host name; use the sender's domain.
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return make_msgid(domain=domain)


def _send_emails(messages: list[tuple[str, str]]) -> tuple[int, list[str]]:
    """Send (address, body) pairs, one e-mail each, over one connection. Returns how many
    went and the errors (one line each, no address)."""
    if not messages:
        return 0, []
    if not settings.EMAIL_HOST:
        return 0, ["e-mail is not set up: KALKAN_SMTP_HOST is empty"]
    sent = 0
    errors: list[str] = []
    try:
        connection = get_connection(fail_silently=False)
        connection.open()
    except Exception as error:  # any failure is one line for the admin
        return 0, [f"e-mail: {_one_line(error)}"]
    try:
        for address, body in messages:
            email = EmailMessage(
                subject=subject(),
                body=body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[address],
                connection=connection,
                headers={"Message-ID": _message_id()},
            )
            try:
                sent += email.send(fail_silently=False)
            except Exception as error:
                errors.append(_one_line(error))
    finally:
        with contextlib.suppress(Exception):  # the messages went or failed already
            connection.close()
    if errors:
        failed = len(messages) - sent
        return sent, [f"e-mail to {failed} of {len(messages)} recipients failed: {errors[0]}"]
    return sent, []


def _post_webhook(payload: dict[str, Any]) -> str:
    """POST the payload as JSON; an error line, or "" when it went."""
    url = settings.KALKAN_ALERT_WEBHOOK
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        return "webhook: KALKAN_ALERT_WEBHOOK must be an http:// or https:// address"
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as response:  # noqa: S310
            status = response.status
    except Exception as error:
        return f"webhook: {_one_line(error)}"
    if not 200 <= status < 300:
        return f"webhook: HTTP {status}"
    return ""


def webhook_payload(counts: Counts, body: str) -> dict[str, Any]:
    return {
        "text": body,
        "new_reports": counts.new_reports,
        "urgent": counts.urgent,
        "follow_ups": counts.follow_ups,
        "escalations": counts.escalations,
        "url": inbox_url(),
    }


@dataclass(frozen=True)
class Plan:
    """Who would get what: (recipient, counts) for each e-mail, and the webhook's counts
    (None when no webhook is set or it has nothing to say)."""

    emails: list[tuple[Recipient, Counts]]
    webhook: Counts | None
    has_recipients: bool


def plan(pending: Pending) -> Plan:
    people = recipients()
    has_webhook = bool(settings.KALKAN_ALERT_WEBHOOK)
    emails = [(person, pending.counts_for(person.compartments)) for person in people]
    webhook = pending.counts_for() if has_webhook else None
    return Plan(
        emails=[(person, counts) for person, counts in emails if counts],
        webhook=webhook if webhook else None,
        has_recipients=bool(people) or has_webhook,
    )


def send(pending: Pending | None = None) -> Outcome:
    """Send what is pending; advance the state only when every send succeeded."""
    pending = pending if pending is not None else collect()
    what = plan(pending)
    if not what.has_recipients:
        return Outcome(no_recipients=True)
    audiences = [person.compartments for person, _counts in what.emails]
    if what.webhook is not None:
        audiences.append(frozenset())
    held_back = pending.escalations_beyond(audiences)
    if not what.emails and what.webhook is None:
        # Nothing new, or only a restricted case's escalation that none of its members on
        # call may hear about: it stays pending until one of them is.
        return Outcome(nothing_new=True, held_back=held_back)
    outcome = Outcome(held_back=held_back)
    outcome.emails_sent, outcome.errors = _send_emails(
        [(person.email, text(counts)) for person, counts in what.emails]
    )
    if what.webhook is not None:
        problem = _post_webhook(webhook_payload(what.webhook, text(what.webhook)))
        if problem:
            outcome.errors.append(problem)
        else:
            outcome.webhook_sent = True
    if outcome.ok:
        advance(pending, audiences)
    return outcome


def advance(pending: Pending, audiences: list[frozenset[str]]) -> None:
    """Mark what `pending` covered as alerted: the revisions counted, and the timers and
    tasks someone in `audiences` was told about (a restricted one no member heard of stays
    pending; a timer restarted meanwhile keeps its new deadline un-escalated)."""
    with transaction.atomic():
        row = AlertState.objects.select_for_update().get_or_create(pk=1)[0]
        reports = max((rev for rev, _u, _c in pending.reports), default=0)
        follow_ups = max((rev for rev, _c in pending.follow_ups), default=0)
        row.reports_revision = max(row.reports_revision, reports)
        row.messages_revision = max(row.messages_revision, follow_ups)
        row.save(update_fields=["reports_revision", "messages_revision"])
        told = pending.told(audiences)
        for pk, deadline, compartment in pending.timers:
            if compartment in told:
                Case.objects.filter(
                    pk=pk, contact_deadline=deadline, escalated_at__isnull=True
                ).update(escalated_at=pending.now)
        Task.objects.filter(
            pk__in=[pk for pk, _case, compartment in pending.tasks if compartment in told],
            escalated_at__isnull=True,
        ).update(escalated_at=pending.now)


def send_test() -> Outcome:
    """A fixed, content-free test message to every on-call address and the webhook."""
    people = recipients()
    has_webhook = bool(settings.KALKAN_ALERT_WEBHOOK)
    if not people and not has_webhook:
        return Outcome(no_recipients=True)
    body = test_text()
    outcome = Outcome()
    outcome.emails_sent, outcome.errors = _send_emails([(p.email, body) for p in people])
    if has_webhook:
        problem = _post_webhook(webhook_payload(Counts(), body))
        if problem:
            outcome.errors.append(problem)
        else:
            outcome.webhook_sent = True
    return outcome
