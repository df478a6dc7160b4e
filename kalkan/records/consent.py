"""The consent ledger: per person and purpose, dated, revocable (data-model.md).

Every path that lets data leave for a purpose — exports, statistics, UN submissions,
referrals, publication — asks `permitted(...)` or filters with `split_by_consent(...)` (or, for
counts, `countable(...)`), and says how many records it left out. The newest entry for a
purpose decides; a withdrawal applies to everything made after it. A statement is "given",
"withdrawn" (given before, taken back) or "refused" (asked, and the answer was no): refused
and withdrawn both mean no, as does no statement at all ("not asked").

    record(person, "statistics", given=True, on=date(2026, 3, 1), how="intake form", ...)
    allowed, left_out = split_by_consent(persons, "statistics", keyring)
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from kalkan.accounts.models import User
from kalkan.intake.models import Report
from kalkan.records.models import ConsentEntry, Person
from kalkan.vault.keyring import Keyring
from kalkan.vault.records import new_sealed, open_content_key, read, write
from kalkan.vault.workingset import WorkingSet

# The purposes of data-model.md; the codes are the intake form's.
PURPOSES = [
    ("services", _("Services from our team")),
    ("referral", _("Referral to a named partner")),
    ("statistics", _("Anonymised statistics")),
    ("un_submission", _("Anonymised case summary in a UN submission")),
    ("media", _("Publication or media")),
    ("contact_back", _("Contacting the person back")),
]
PURPOSE_CODES = tuple(code for code, _label in PURPOSES)
STATISTICS = "statistics"
# The statements' kind in the working set (registered in kalkan.records.apps).
KIND = "consent"

# What a statement says, as the ledger and its forms name it.
STATUSES = [
    ("given", _("Consent given")),
    ("withdrawn", _("Consent withdrawn")),
    ("refused", _("Consent refused")),
]
# Kinds of victim nobody can be asked for (an open community targeted as such, e.g. by hate
# speech): counting an act against them names no one, so anonymised statistics count it
# without a statement. Individuals, families, groups and organisations are identifiable and
# someone can answer for them: they are counted only with consent (docs/analysis.md).
NOBODY_TO_ASK = frozenset({"community"})


@dataclass(frozen=True)
class Statement:
    purpose: str
    given: bool
    on: date
    how: str
    partner: str
    by: str
    revision: int
    refused: bool = False  # not given, and never was: "asked, and the answer was no"
    report: str = ""  # the intake report whose form the statement came from

    @property
    def status(self) -> str:
        return "given" if self.given else "refused" if self.refused else "withdrawn"


def record(
    person: Person,
    purpose: str,
    *,
    given: bool,
    on: date,
    how: str,
    keyring: Keyring,
    by: User | None,
    partner: str = "",
    refused: bool = False,
    report: str = "",
) -> ConsentEntry:
    if purpose not in PURPOSE_CODES:
        raise ValueError(f"unknown purpose {purpose!r}")
    if given and refused:
        raise ValueError("a statement is given or refused, not both")
    details: dict[str, Any] = {"purpose": purpose, "given": given, "on": on.isoformat(),
                               "how": how, "partner": partner}
    if refused:
        details["refused"] = True
    if report:
        details["report"] = report
    with transaction.atomic():
        entry, key = new_sealed(ConsentEntry, keyring, person.content_key.compartment,
                                person=person, by=by)
        write(entry, key, details=json.dumps(details, ensure_ascii=False))
    return entry


def ledger(person: Person, keyring: Keyring) -> list[Statement]:
    """The person's whole history of consent, oldest first."""
    return [_statement(entry, keyring) for entry in person.consents.select_related(
        "content_key", "by").order_by("revision")]


def _statement(entry: ConsentEntry, keyring: Keyring) -> Statement:
    details = json.loads(read(entry, open_content_key(entry.content_key, keyring))["details"])
    return Statement(details["purpose"], bool(details["given"]),
                     date.fromisoformat(details["on"]), details.get("how", ""),
                     details.get("partner", ""), entry.by.username if entry.by else "",
                     entry.revision, bool(details.get("refused")), details.get("report", ""))


def consenting(person_ids: Iterable[Any], purpose: str, keyring: Keyring,
               working: WorkingSet | None = None) -> set[str]:
    """Of many persons, the ids of those who consent to the purpose now. With the person's
    working set (which holds every statement the keyring opens, caught up to now): from the
    statements decrypted there once; otherwise one pass over the ledger entries of those
    persons (most have none), instead of one query per person."""
    wanted = {str(pk) for pk in person_ids}
    if working is not None:
        return wanted & _consenting_in(working, purpose)
    statements: dict[str, list[Statement]] = {}
    entries = ConsentEntry.objects.select_related("content_key", "by").order_by("revision")
    ids = list(wanted)
    for start in range(0, len(ids), 5000):  # within the databases' limits of parameters
        for entry in entries.filter(person_id__in=ids[start : start + 5000]):
            try:
                statement = _statement(entry, keyring)
            except PermissionError:
                continue  # sealed in a restricted case this keyring is not a member of
            statements.setdefault(str(entry.person_id), []).append(statement)
    return {pk for pk, said in statements.items() if current(said).get(purpose, False)}


@dataclass(frozen=True)
class _Newest:
    """For one purpose, each person's newest statement in a working set (date, revision,
    given) as of the statements up to revision `seen`; `tally` is the set's count and sum
    of revisions of statements (any purpose) it was made from."""

    seen: int
    tally: tuple[int, int]
    newest: dict[str, tuple[str, int, bool]]
    consenting: frozenset[str]


_FIELDS = ("purpose", "person", "on", "given")


def _consenting_in(working: WorkingSet, purpose: str) -> frozenset[str]:
    """Everyone whose newest statement for the purpose (by date, then order of entry: as
    _latest) gives consent, from the working set's copy of the ledger: brought up to date
    with the statements added since the last time (a dashboard after a new statement
    reads one, not 100,000)."""
    return working.carried(("consenting", purpose),
                           lambda previous: _newest(working, purpose, previous)).consenting


def _newest(working: WorkingSet, purpose: str, previous: _Newest | None) -> _Newest:
    tally = working.tally_of_kind(KIND)
    if previous is not None and previous.tally == tally:
        return previous  # no statement added, replaced or removed since
    added = working.fields_of_kind(KIND, _FIELDS, after=previous.seen) if previous else []
    if previous is None or (previous.tally[0] + len(added),
                            previous.tally[1] + sum(r for r, _f in added)) != tally:
        # The first time, or a statement was removed, replaced or added out of order:
        # anew. The ledger only grows, so this is rare after the first time.
        previous, added = None, working.fields_of_kind(KIND, _FIELDS)
    newest = dict(previous.newest) if previous else {}  # the kept one is not changed
    seen = previous.seen if previous else -1
    for revision, (said_for, person, on, given) in added:
        seen = max(seen, revision)
        if said_for != purpose:
            continue
        key = (on, revision)
        if person not in newest or key >= newest[person][:2]:
            newest[person] = (*key, given == "1")
    return _Newest(seen, tally, newest,
                   frozenset(p for p, (_on, _revision, given) in newest.items() if given))


def _latest(statements: Iterable[Statement], partner: str = "") -> dict[str, Statement]:
    """Purpose -> the statement that decides now: the newest (by date, then by order of
    entry)."""
    latest: dict[str, Statement] = {}
    for statement in sorted(statements, key=lambda s: (s.on, s.revision)):
        if statement.purpose == "referral" and partner and statement.partner not in ("", partner):
            continue
        latest[statement.purpose] = statement
    return latest


def current(statements: Iterable[Statement], partner: str = "") -> dict[str, bool]:
    """Purpose -> consent now, from a ledger; no statement means no consent."""
    return {purpose: s.given for purpose, s in _latest(statements, partner).items()}


def status_now(statements: Iterable[Statement]) -> dict[str, str]:
    """Purpose -> "given", "withdrawn" or "refused" now (a purpose never asked is absent)."""
    return {purpose: s.status for purpose, s in _latest(statements).items()}


def permitted(person: Person, purpose: str, keyring: Keyring, partner: str = "") -> bool:
    return current(ledger(person, keyring), partner).get(purpose, False)


def split_by_consent(
    persons: Iterable[Person], purpose: str, keyring: Keyring
) -> tuple[list[Person], int]:
    """The persons who consent to the purpose now, and how many were left out."""
    allowed, left_out = [], 0
    for person in persons:
        if permitted(person, purpose, keyring):
            allowed.append(person)
        else:
            left_out += 1
    return allowed, left_out


def from_intake(consent: dict[str, Any]) -> list[str]:
    """The purposes a reporter ticked in the public form."""
    return [purpose for purpose in PURPOSE_CODES if consent.get(purpose)]


# What the ledger says of a statement carried over from the public form (how it was given);
# pages show it in the reader's language with the report's date.
FROM_REPORT_FORM = "public report form"


def answers_of_form(consent: dict[str, Any]) -> dict[str, bool]:
    """Purpose -> what the public form's answer means for the ledger: True given, False
    refused. The form lists every purpose under "tick only what you agree to", so a purpose
    it asked and the reporter left unticked is a no — but only a purpose the form asked (a
    report from an older form, or entered without that question, has no answer for it), and
    only when something was ticked at all: a form with every box empty may be a section
    skipped, so the person is asked again rather than marked as having refused."""
    asked = {purpose: bool(consent[purpose]) for purpose in PURPOSE_CODES if purpose in consent}
    return asked if any(asked.values()) else {}


def carry_over(person: Person, report: Report, consent_answers: dict[str, Any], *,
               keyring: Keyring, by: User | None) -> int:
    """Record in the person's ledger what the reporter answered on the public form, dated
    the day of the report: the person is the one who reported ("it happened to me"). Returns
    how many statements were recorded."""
    answers = answers_of_form(consent_answers)
    with transaction.atomic():
        for purpose, given in answers.items():
            record(person, purpose, given=given, refused=not given, on=report.created_on,
                   how=FROM_REPORT_FORM, report=str(report.pk), keyring=keyring, by=by)
    return len(answers)


def countable(person_ids: Iterable[Any], kinds: dict[str, str], keyring: Keyring,
              purpose: str = STATISTICS, working: WorkingSet | None = None) -> set[str]:
    """Of the victims of acts, the ids whose acts anonymised counts may include now: those
    who consent to the purpose, and victims nobody can be asked for (`NOBODY_TO_ASK`, by
    `kinds`: person id -> kind)."""
    wanted = {str(pk) for pk in person_ids}
    unasked = {pk for pk in wanted if kinds.get(pk, "") in NOBODY_TO_ASK}
    return unasked | consenting(wanted - unasked, purpose, keyring, working)
