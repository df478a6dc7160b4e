"""Partners and referrals: the person's consent, per partner, decides what leaves Kalkan.

    partner = add_partner(keyring, "Safe House Almaty", {"contact": …}, public_key)
    record_consent(case, partner, ["needs", "place"], "in person", date(…), keyring, by)
    package = make_referral(case, partner, keyring, by)   # bytes only the partner opens
    withdraw_consent(case, partner, date(…), keyring, by) # every later referral is refused

A package is JSON ("kalkan-referral/1") holding exactly the consented parts of the case,
sealed (libsodium sealed box) to the partner's X25519 public key; the partner opens it
with tools/kalkan_referral.py and their secret key, which never comes here. Kalkan keeps
no copy, only which parts went and the SHA-256 of the encrypted package. See
docs/referrals.md.

Partners' names and details are sealed to the organisation (never in a case compartment:
every responder must be able to choose a partner); consents and referrals are records of
the case, sealed in its compartment when it is restricted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kalkan.accounts.models import User
from kalkan.audit.services import record
from kalkan.desk.models import Case, Partner, Referral, ReferralConsent
from kalkan.desk.services import DeskError, json_field, open_fields
from kalkan.desk.vocab import REFERRAL_FIELDS, RISKS
from kalkan.intake.forms import COUNTRIES, HELP
from kalkan.intake.models import Report
from kalkan.records.gazetteer import REGIONS
from kalkan.vault import authentic, crypto
from kalkan.vault.keyring import Keyring
from kalkan.vault.records import new_sealed, open_content_key, write

FORMAT = "kalkan-referral/1"
FIELD_CODES = tuple(code for code, _label in REFERRAL_FIELDS)
# The package's JSON is padded with spaces to a multiple of this, so its size says little.
PACKAGE_BLOCK = 512

# How the person said yes, in the staff member's words ("in person at the office, with an
# interpreter"): sealed like everything else.
HOW_MAX_LENGTH = 500


class BadPublicKey(ValueError):
    """Not an X25519 public key (32 bytes, usable for a sealed box)."""


class ReferralRefused(DeskError):
    """No package is made: no current consent for this partner, or the partner is inactive.
    The message is for the person (already translated)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


# --- keys --------------------------------------------------------------------------------------


def check_public_key(public_key: bytes) -> bytes:
    """The key if it is a usable X25519 public key, else BadPublicKey."""
    if len(public_key) != crypto.KEY_BYTES:
        raise BadPublicKey(f"{len(public_key)} bytes, not {crypto.KEY_BYTES}")
    try:
        # libsodium refuses keys of small order (all-zero and the like) here.
        crypto.seal_to(public_key, b"check")
    except (RuntimeError, ValueError, TypeError):  # libsodium's refusal
        raise BadPublicKey("not a usable X25519 public key") from None
    return public_key


def parse_public_key(text: str) -> bytes:
    """A public key as printed by `kalkan_referral.py keygen` (base64), checked."""
    cleaned = "".join(text.split())
    try:
        raw = base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        raise BadPublicKey("not base64") from None
    return check_public_key(raw)


def fingerprint(public_key: bytes) -> str:
    """What the partner and the admin read to each other (phone, Signal) before any
    package is made: the first 128 bits of the key's SHA-256 in groups of four hex digits.
    tools/kalkan_referral.py computes the same."""
    return crypto.fingerprint(public_key)


# --- partners ------------------------------------------------------------------------------


def add_partner(keyring: Keyring, name: str, details: dict[str, str], public_key: bytes) -> Partner:
    """A partner whose name and details are sealed to the organisation (not to a case)."""
    check_public_key(public_key)
    if not name.strip():
        raise ValueError("a partner needs a name")
    with transaction.atomic():
        partner, key = new_sealed(Partner, keyring, None, public_key=public_key, active=True)
        authentic.stamp(partner)
        write(partner, key, name=name.strip(), details=json.dumps(details, ensure_ascii=False))
    return partner


def deactivate_partner(partner: Partner) -> None:
    """No more referrals to this partner; what was sent and recorded stays."""
    Partner.objects.filter(pk=partner.pk).update(active=False)
    partner.active = False


@dataclass(frozen=True)
class PartnerView:
    partner: Partner
    name: str
    details: dict[str, str]
    fingerprint: str


def read_partner(partner: Partner, keyring: Keyring) -> PartnerView:
    fields = open_fields(partner, keyring)
    return PartnerView(
        partner,
        fields.get("name", ""),
        json_field(fields, "details", {}),
        fingerprint(bytes(partner.public_key)),
    )


def partners(keyring: Keyring, *, active_only: bool = False) -> list[PartnerView]:
    """Partners with their names opened, sorted by name; active ones first."""
    queryset = Partner.objects.select_related("content_key")
    if active_only:
        queryset = queryset.filter(active=True)
    views = [read_partner(p, keyring) for p in queryset]
    return sorted(views, key=lambda v: (not v.partner.active, v.name.casefold()))


# --- consent ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Consent:
    record: ReferralConsent
    fields: list[str]
    given_on: date
    how: str
    withdrawn_on: date | None
    recorded_at: str

    @property
    def order(self) -> tuple[date, str]:
        return (self.given_on, self.recorded_at)


def _consent(record_: ReferralConsent, keyring: Keyring) -> Consent:
    details = json_field(open_fields(record_, keyring), "details", {})
    withdrawn = details.get("withdrawn_on") or ""
    return Consent(
        record=record_,
        fields=[f for f in details.get("fields", []) if f in FIELD_CODES],
        given_on=date.fromisoformat(details["given_on"]),
        how=str(details.get("how", "")),
        withdrawn_on=date.fromisoformat(withdrawn) if withdrawn else None,
        recorded_at=str(details.get("recorded_at", "")),
    )


def consents(case: Case, keyring: Keyring, partner: Partner | None = None) -> list[Consent]:
    """The case's consent records (for one partner or all), oldest first."""
    queryset = ReferralConsent.objects.filter(case=case).select_related("content_key")
    if partner is not None:
        queryset = queryset.filter(partner=partner)
    return sorted((_consent(r, keyring) for r in queryset), key=lambda c: c.order)


def current_consent(case: Case, partner: Partner, keyring: Keyring) -> Consent | None:
    """The person's latest word for this partner, if it is a yes that stands: the newest
    consent (by the day it was given) counts unless it was withdrawn, or a withdrawal for
    this partner is dated after it was given."""
    given = consents(case, keyring, partner)
    if not given:
        return None
    latest = given[-1]
    if latest.withdrawn_on is not None or not latest.fields:
        return None
    if any(c.withdrawn_on and c.withdrawn_on > latest.given_on for c in given):
        return None
    return latest


def consented_fields(case: Case, partner: Partner, keyring: Keyring) -> list[str]:
    """Which parts of the case may go to this partner now ([] without a current consent)."""
    consent = current_consent(case, partner, keyring)
    return [] if consent is None else [c for c in FIELD_CODES if c in consent.fields]


def _check_day(day: date) -> None:
    if day > timezone.localdate():
        raise DeskError(_("The date cannot be in the future."))


def _dump(details: dict[str, Any]) -> str:
    return json.dumps(details, ensure_ascii=False, sort_keys=True)


def record_consent(
    case: Case,
    partner: Partner,
    fields: list[str],
    how: str,
    given_on: date,
    keyring: Keyring,
    by: User | None,
) -> ReferralConsent:
    """What the person agreed may go to this partner. It replaces any earlier consent for
    the same partner (the newest counts), so narrowing it is recording a smaller one."""
    chosen = [code for code in FIELD_CODES if code in set(fields)]
    if not chosen or len(set(fields)) != len(chosen):
        raise DeskError(_("Choose at least one part of the case, from the list."))
    how = how.strip()
    if not how or len(how) > HOW_MAX_LENGTH:
        raise DeskError(_("Say how the person gave their consent."))
    _check_day(given_on)
    if not partner.active:
        raise DeskError(_("This partner no longer receives referrals."))
    withdrawals = [c.withdrawn_on for c in consents(case, keyring, partner) if c.withdrawn_on]
    if withdrawals and given_on < max(withdrawals):
        raise DeskError(
            _("The person withdrew consent for this partner after that date. Record the "
              "date on which they agreed again.")
        )
    details = {
        "fields": chosen,
        "given_on": given_on.isoformat(),
        "how": how,
        "withdrawn_on": "",
        "recorded_at": timezone.now().isoformat(),
    }
    with transaction.atomic():
        consent, key = new_sealed(
            ReferralConsent, keyring, case.compartment, case=case, partner=partner, by=by
        )
        write(consent, key, details=_dump(details))
    return consent


def withdraw_consent(
    case: Case, partner: Partner, withdrawn_on: date, keyring: Keyring, by: User | None
) -> int:
    """The person takes back their consent for this partner: every consent recorded for it
    is marked withdrawn, and every later referral to it is refused until they agree again.
    Returns how many records were marked."""
    _check_day(withdrawn_on)
    marked = 0
    with transaction.atomic():
        for consent in consents(case, keyring, partner):
            if consent.withdrawn_on is not None:
                continue
            if withdrawn_on < consent.given_on:
                raise DeskError(_("A consent cannot be withdrawn before it was given."))
            details = json_field(open_fields(consent.record, keyring), "details", {})
            details["withdrawn_on"] = withdrawn_on.isoformat()
            details["withdrawn_by"] = by.pk if by else None
            write(
                consent.record,
                open_content_key(consent.record.content_key, keyring),
                details=_dump(details),
            )
            marked += 1
    return marked


# --- the package -------------------------------------------------------------------------------


def _reports(case: Case, keyring: Keyring) -> list[dict[str, str]]:
    reports = Report.objects.filter(case_link__case=case).select_related("content_key")
    return [open_fields(r, keyring) for r in sorted(reports, key=lambda r: r.revision)]


def _english(label: Any) -> str:
    with translation.override("en"):
        return str(label)


def _part(code: str, case_fields: dict[str, str], reports: list[dict[str, str]]) -> Any:
    """One consented part of the case, as the partner reads it."""
    answers = [json_field(r, "answers", {}) for r in reports]
    if code == "needs":
        labels = dict(HELP)
        wanted: list[str] = []
        for a in answers:
            for item in a.get("help_wanted") or []:
                if item not in wanted:
                    wanted.append(item)
        return [{"code": w, "label": _english(labels.get(w, w))} for w in wanted]
    if code == "story":
        return [r.get("narrative", "") for r in reports if r.get("narrative")]
    if code == "place":
        countries = dict(COUNTRIES)
        places = []
        for a in answers:
            country, region = a.get("country") or "", a.get("region") or ""
            if not (country or region):
                continue
            place = {"country": country, "country_name": _english(countries.get(country, ""))}
            if region in REGIONS:
                place.update(region=region, region_name=REGIONS[region].name("en"))
            if place not in places:
                places.append(place)
        return places
    if code == "contact":
        contacts = [json_field(r, "contact", {}) for r in reports]
        return [{k: v for k, v in c.items() if v} for c in contacts if any(c.values())]
    if code == "risk":
        risk = json_field(case_fields, "risk", {})
        return [
            {"factor": factor, "label": _english(label),
             "notes": str(risk[factor].get("notes", ""))}
            for factor, label in RISKS
            if isinstance(risk.get(factor), dict) and risk[factor].get("present")
        ]
    if code == "safety_plan":
        return case_fields.get("safety_plan", "")
    raise ValueError(code)


def build_package(
    case: Case, partner_name: str, fields: list[str], keyring: Keyring, made_on: date
) -> bytes:
    """The package's plaintext: exactly `fields`, nothing else, padded with spaces."""
    case_fields = open_fields(case, keyring)
    reports = _reports(case, keyring)
    package = {
        "format": FORMAT,
        "partner": partner_name,
        "made_on": made_on.isoformat(),
        "fields": {code: _part(code, case_fields, reports) for code in fields},
    }
    plain = json.dumps(package, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    return plain + b" " * (-len(plain) % PACKAGE_BLOCK)


def _refuse(case: Case, partner: Partner, by: User | None, reason: str, message: str) -> None:
    record(
        "referral.refused",
        actor_id=by.pk if by else None,
        object_id=str(case.pk),
        details={"partner": str(partner.pk), "reason": reason},
        compartment=case.compartment,
    )
    raise ReferralRefused(message, reason)


def make_referral(case: Case, partner: Partner, keyring: Keyring, by: User | None) -> bytes:
    """The encrypted package for this partner, holding only what the person consented to
    for it. Raises ReferralRefused (logged as refused, nothing stored) without a current
    consent or for an inactive partner."""
    partner.refresh_from_db(fields=["active"])
    if not partner.active:
        _refuse(case, partner, by, "inactive", _("This partner no longer receives referrals."))
    fields = consented_fields(case, partner, keyring)
    if not fields:
        _refuse(
            case, partner, by, "no_consent",
            _("Nothing was sent: the person has not consented (or has withdrawn consent) to "
              "a referral to this partner."),
        )
    name = open_fields(partner, keyring)["name"]
    plain = build_package(case, name, fields, keyring, timezone.localdate())
    # The partner's key only if Kalkan wrote it: a database writer could swap in their own.
    authentic.check(partner)
    package = crypto.seal_to(check_public_key(bytes(partner.public_key)), plain)
    digest = hashlib.sha256(package).hexdigest()
    with transaction.atomic():
        referral, key = new_sealed(
            Referral, keyring, case.compartment, case=case, partner=partner, by=by
        )
        write(referral, key, details=_dump({"fields": fields, "sha256": digest}))
        record(
            "referral.make",
            actor_id=by.pk if by else None,
            object_id=str(case.pk),
            details={"partner": str(partner.pk), "referral": str(referral.pk),
                     "fields": ",".join(fields), "sha256": digest},
            compartment=case.compartment,
        )
    return package


@dataclass(frozen=True)
class SentReferral:
    record: Referral
    fields: list[str]
    sha256: str


def referrals_of(case: Case, keyring: Keyring) -> list[SentReferral]:
    out = []
    for referral in Referral.objects.filter(case=case).select_related("content_key"):
        details = json_field(open_fields(referral, keyring), "details", {})
        out.append(SentReferral(referral, list(details.get("fields", [])),
                                str(details.get("sha256", ""))))
    return sorted(out, key=lambda r: (r.record.created_on, r.record.revision))

