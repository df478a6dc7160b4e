"""The consent ledger: per person and purpose, dated, revocable (data-model.md).

Every path that lets data leave for a purpose — exports, statistics, UN submissions,
referrals, publication — asks `permitted(...)` or filters with `split_by_consent(...)`, and
says how many records it left out. The newest entry for a purpose decides; a withdrawal
applies to everything made after it.

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
from kalkan.records.models import ConsentEntry, Person
from kalkan.vault.keyring import Keyring
from kalkan.vault.records import new_sealed, open_content_key, read, write

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


@dataclass(frozen=True)
class Statement:
    purpose: str
    given: bool
    on: date
    how: str
    partner: str
    by: str
    revision: int


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
) -> ConsentEntry:
    if purpose not in PURPOSE_CODES:
        raise ValueError(f"unknown purpose {purpose!r}")
    details = {"purpose": purpose, "given": given, "on": on.isoformat(), "how": how,
               "partner": partner}
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
                     entry.revision)


def consenting(person_ids: Iterable[Any], purpose: str, keyring: Keyring) -> set[str]:
    """Of many persons, the ids of those who consent to the purpose now: one pass over the
    ledger entries of those persons (most have none), instead of one query per person."""
    wanted = {str(pk) for pk in person_ids}
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


def current(statements: Iterable[Statement], partner: str = "") -> dict[str, bool]:
    """Purpose -> consent now, from a ledger: the newest statement (by date, then by
    order of entry) decides; no statement means no consent."""
    latest: dict[str, Statement] = {}
    for statement in sorted(statements, key=lambda s: (s.on, s.revision)):
        if statement.purpose == "referral" and partner and statement.partner not in ("", partner):
            continue
        latest[statement.purpose] = statement
    return {purpose: statement.given for purpose, statement in latest.items()}


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
