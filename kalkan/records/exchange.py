"""Import and export of documentation records: one JSON document, or a ZIP of CSV tables.

    data, report = export_json(keyring, purpose=None)                 # internal, everything
    data, report = export_csv(keyring, purpose="statistics")          # consent respected
    result = import_json(data, keyring, by)   # result.errors, or result.created and .ids

What goes out. Every event the keyring opens (`visible_events`: a restricted case's events
only for its members, because only they hold its key), with its acts, involvements, sources,
interventions, the chain links between exported events, the persons those name and the
persons' consent statements. Ids are kept, every sealed field goes out, JSON fields stay JSON
(in CSV: a JSON text in the cell). `events=` narrows the export to some of those events.

Tables and columns (the same names in JSON, where each table is a list of objects):

    events         id, title, description, details, reports, restricted
    acts           id, event, victim, details
    involvements   id, act, perpetrator, details
    persons        id, pseudonym, profile, [identity], restricted
    sources        id, event, source, details
    interventions  id, event, victim, party, details
    links          id, from_event, to_event, details
    consents       id, person, purpose, given, on, how, partner, refused

plus, in the ZIP, export.csv (and in JSON the top-level keys): format, version, purpose,
identity included, and how many rows of each table were left out and why (data-model.md:
an output says how many records it left out).

Real names and contacts (Person.identity) go out only when `include_identity=True` is asked
for explicitly. An export is a copy outside the vault: it is not encrypted, it outlives
revocation and it is the thing a police raid, a lost laptop or a careless e-mail exposes. Most
uses (analysis, statistics, a UN submission, moving records to a new instance where the
identities can be typed in again) need no names; so they stay out unless someone decides
they must travel, and the web page asks for a fresh passphrase and code before that. For the
anonymised purposes (statistics, UN submission) identities are refused outright.

Consent (with `purpose`). The consent ledger is the consent of the people whose stories
these are: victims, sources and the persons an intervention helped. Each of them who does not
consent to the purpose now is left out, and with them every row that names them: the acts
they suffered (and those acts' involvements), the information they gave, the interventions
for them. An event all of whose acts were left out goes too (its story is theirs), with its
sources, interventions and links. Perpetrators and intervening parties (police units,
officials, "this organisation", a lawyer) are not asked for consent: documenting who did it is
the point. Nor, for statistics, is a community targeted as such (nobody can answer for it, and
counting the act names no one: kalkan.records.consent.NOBODY_TO_ASK). A person who is a
perpetrator in one act and a victim without consent in another is left out everywhere. The
report counts what was left out, table by table. What remains is filtered by consent, not
anonymised: narratives, place details and notes go out in full, so a purpose export is
material to work from (e.g. for the report builder), not a publication.

What comes in. `import_json` / `import_csv` first check every row of every table (required
fields, types, ids unique, references between rows, dates, gazetteer codes, vocabulary codes
where the vocabulary is installed, consent purposes) and collect every problem with its
file and row ("acts.csv row 7: victim 1f3c… is not in persons.csv"; a CSV row is counted as a
spreadsheet shows it, the header being row 1). One problem and nothing is stored. Otherwise
everything is created in one transaction through kalkan.records.services and
kalkan.records.consent, with new ids; the result maps every old id to its new id. Rows keep
their file order, so a person's consent history keeps its order too. Events that name intake
reports present here (and readable with the importer's keys) are linked to them again; an
event or person marked `restricted` must land in a restricted case's compartment that way,
else the import refuses it rather than showing it to all staff.

Kalkan never writes an export or an import to disk: both live in memory, and the web view
sends the bytes as an attachment (kalkan.records.exchange_views).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kalkan.accounts.models import User
from kalkan.intake.models import Report as IntakeReport
from kalkan.records import consent, gazetteer, services
from kalkan.records.models import (
    Act,
    ChainLink,
    ConsentEntry,
    Event,
    Information,
    Intervention,
    Involvement,
    Person,
)
from kalkan.vault.keyring import Keyring
from kalkan.vault.models import Compartment, SealedRecord
from kalkan.vault.records import readable_by

FORMAT = "kalkan-records"
VERSION = 1
# Purposes whose outputs are anonymised by definition: real names never go with them.
ANONYMISED_PURPOSES = ("statistics", "un_submission")

TABLES = (
    "events", "acts", "involvements", "persons", "sources", "interventions", "links", "consents",
)
MANIFEST = "export.csv"

# Column -> kind. "id" and "ref:<table>" must be filled in; "optref:<table>" may be empty;
# "text!" must be filled in, "text" may be empty; "object" is a JSON object, "list" a JSON
# list of ids; "bool!" must say true or false; "date!" is an ISO date.
COLUMNS: dict[str, dict[str, str]] = {
    "events": {"id": "id", "title": "text!", "description": "text", "details": "object",
               "reports": "list", "restricted": "bool"},
    "acts": {"id": "id", "event": "ref:events", "victim": "ref:persons", "details": "object"},
    "involvements": {"id": "id", "act": "ref:acts", "perpetrator": "ref:persons",
                     "details": "object"},
    "persons": {"id": "id", "pseudonym": "text!", "profile": "object", "identity": "object",
                "restricted": "bool"},
    "sources": {"id": "id", "event": "ref:events", "source": "optref:persons",
                "details": "object"},
    "interventions": {"id": "id", "event": "ref:events", "victim": "optref:persons",
                      "party": "optref:persons", "details": "object"},
    "links": {"id": "id", "from_event": "ref:events", "to_event": "ref:events",
              "details": "object"},
    "consents": {"id": "id", "person": "ref:persons", "purpose": "text!", "given": "bool!",
                 "on": "date!", "how": "text", "partner": "text", "refused": "bool"},
}

# Coded values checked against the controlled vocabularies (kalkan.records.vocabularies), as
# the coding forms (kalkan.records.forms) fill them in: (table, field, path inside it,
# vocabulary). A value is a code, a list of codes, or {"code", "self_described"}. A vocabulary
# that is not installed is not checked, and the import result names it.
CODED: tuple[tuple[str, str, str, str], ...] = (
    ("events", "details", "violation_status", "violation_status"),
    ("events", "details", "monitoring_status", "monitoring_status"),
    ("events", "details", "start.precision", "date_precision"),
    ("events", "details", "end.precision", "date_precision"),
    ("acts", "details", "type", "act_types"),
    ("acts", "details", "start.precision", "date_precision"),
    ("acts", "details", "end.precision", "date_precision"),
    ("acts", "details", "type_of_place", "type_of_place"),
    ("acts", "details", "methods", "methods_of_violence"),
    ("acts", "details", "consequences", "consequences"),
    ("acts", "details", "victim_characteristics", "victim_characteristics"),
    ("acts", "details", "rights", "rights"),
    ("acts", "details", "detention.type", "detention_types"),
    ("acts", "details", "torture.methods", "methods_of_violence"),
    ("acts", "details", "torture.intent", "torture_intent"),
    ("acts", "details", "killing.type", "killing_types"),
    ("acts", "details", "extortion.currency", "currencies"),
    ("acts", "details", "extortion.payment_method", "payment_methods"),
    ("acts", "details", "extortion.disclosure_threatened_to", "disclosure_threatened_to"),
    ("acts", "details", "digital.platform", "platforms"),
    ("acts", "details", "digital.content_type", "digital_content_types"),
    ("acts", "details", "digital.takedown_outcome", "takedown_outcome"),
    ("involvements", "details", "perpetrator_types", "perpetrator_types"),
    ("involvements", "details", "degree", "degree_of_involvement"),
    ("involvements", "details", "status_after", "perpetrator_status_after"),
    ("persons", "profile", "kind", "person_kind"),
    ("persons", "profile", "age_band", "age_band"),
    ("persons", "profile", "sexual_orientation", "sexual_orientation"),
    ("persons", "profile", "gender_identity", "gender_identity"),
    ("persons", "profile", "gender_expression", "gender_expression"),
    ("persons", "profile", "sex_characteristics", "sex_characteristics"),
    ("persons", "profile", "occupation", "occupation"),
    ("persons", "profile", "characteristics", "victim_characteristics"),
    ("sources", "details", "source_type", "source_types"),
    ("sources", "details", "connection", "connection_to_information"),
    ("sources", "details", "reliability", "reliability"),
    ("sources", "details", "date.precision", "date_precision"),
    ("sources", "details", "language", "language"),
    ("interventions", "details", "party_type", "intervening_parties"),
    ("interventions", "details", "type", "intervention_types"),
    ("interventions", "details", "status", "intervention_status"),
    ("interventions", "details", "date.precision", "date_precision"),
    ("links", "details", "relation", "chain_relations"),
)
# Fuzzy dates ({year, month, day, precision}) inside JSON fields, and places ({code, detail}).
DATES = {"events": ("start", "end"), "acts": ("start", "end"), "sources": ("date",),
         "interventions": ("date",)}
PLACES = ("events", "acts")
LINK_DETAILS = ("relation", "notes")

# What an upload may unpack to, at most (a ZIP bomb stops here).
MAX_UNPACKED_BYTES = 200 * 1024 * 1024

Row = dict[str, Any]


# --- export ------------------------------------------------------------------------------------


@dataclass
class Report:
    """What an export holds and what it left out. Counts are kept per key family (None: the
    organisation's; otherwise a restricted compartment's id) so that the audit log can
    seal a restricted case's numbers to its members."""

    purpose: str | None
    identity_included: bool
    counts: dict[str | None, Counter[str]] = field(default_factory=dict)
    # Persons referred to whose keys the exporter lacks (with every row naming them).
    unreadable: int = 0

    def tally(self, family: Any, key: str, n: int = 1) -> None:
        self.counts.setdefault(None if family is None else str(family), Counter())[key] += n

    def _total(self, prefix: str) -> dict[str, int]:
        out = {table: 0 for table in TABLES}
        for counter in self.counts.values():
            for key, n in counter.items():
                if key.startswith(prefix) and key[len(prefix):] in out:
                    out[key[len(prefix):]] += n
        return out

    @property
    def exported(self) -> dict[str, int]:
        return self._total("")

    @property
    def left_out(self) -> dict[str, int]:
        return self._total("left_out.")

    def why(self) -> str:
        if self.purpose is None:
            return _("Internal export of every record your keys open: nothing left out.")
        return _(
            "Left out: persons who do not consent to “%(purpose)s” now, and every act, "
            "source, intervention and involvement that names them; events all of whose acts "
            "were left out."
        ) % {"purpose": self.purpose}

    def audit_details(self, family: str | None) -> dict[str, str | int | bool]:
        """Counts only, never content: of the organisation's records (family None) or of
        one restricted compartment's."""
        counter = self.counts.get(family, Counter())
        details: dict[str, str | int | bool] = {
            "purpose": self.purpose or "internal", "identity": self.identity_included,
        }
        for key, n in sorted(counter.items()):
            if n:
                details[key] = n
        return details


def _family(record: SealedRecord) -> Any:
    return record.content_key.compartment_id


def _event_ids(events: Iterable[Any]) -> list[Any]:
    return [e.pk if isinstance(e, Event) else e for e in events]


def _in_batches(model: type[SealedRecord], ids: Iterable[Any], size: int = 500) -> Iterator[Any]:
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield from model._default_manager.filter(pk__in=ids[start:start + size]).select_related(
            "content_key"
        ).order_by("revision")


def _open(record: SealedRecord, keyring: Keyring) -> dict[str, Any] | None:
    try:
        return services.opened(record, keyring)
    except PermissionError:
        return None


def _collect(
    keyring: Keyring, *, purpose: str | None, events: Iterable[Any] | None, include_identity: bool
) -> tuple[dict[str, list[Row]], Report]:
    if purpose is not None and purpose not in consent.PURPOSE_CODES:
        raise ValueError(f"unknown purpose {purpose!r}")
    if include_identity and purpose in ANONYMISED_PURPOSES:
        raise ValueError(f"real names never go into a {purpose} export")
    report = Report(purpose, include_identity)
    chosen: QuerySet[Event] = services.visible_events(keyring)
    if events is not None:
        chosen = chosen.filter(pk__in=_event_ids(events))
    in_export = chosen.values("pk")

    def rows(queryset: QuerySet[Any]) -> list[tuple[Any, dict[str, Any]]]:
        out = []
        for record in queryset.select_related("content_key").order_by("revision"):
            fields = _open(record, keyring)
            if fields is not None:
                out.append((record, fields))
        return out

    event_rows = rows(chosen)
    act_rows = rows(Act.objects.filter(event__in=in_export))
    involvement_rows = rows(Involvement.objects.filter(act__event__in=in_export))
    source_rows = rows(Information.objects.filter(event__in=in_export))
    intervention_rows = rows(Intervention.objects.filter(event__in=in_export))
    link_rows = rows(readable_by(
        ChainLink.objects.filter(from_event__in=in_export, to_event__in=in_export), keyring
    ))
    reports_of: dict[Any, list[str]] = {}
    for event_id, report_id in Event.reports.through.objects.filter(
        event__in=in_export
    ).values_list("event_id", "report_id").order_by("report_id"):
        reports_of.setdefault(event_id, []).append(str(report_id))

    referred: set[Any] = set()
    for act, _f in act_rows:
        referred.add(act.victim_id)
    for inv, _f in involvement_rows:
        referred.add(inv.perpetrator_id)
    for info, _f in source_rows:
        referred.add(info.source_id)
    for item, _f in intervention_rows:
        referred |= {item.victim_id, item.party_id}
    referred.discard(None)
    persons: dict[Any, tuple[Person, dict[str, Any]]] = {}
    left_out: set[Any] = set()
    for person in _in_batches(Person, referred):
        fields = _open(person, keyring)
        if fields is None:
            left_out.add(person.pk)
            report.unreadable += 1
        else:
            persons[person.pk] = (person, fields)

    if purpose is not None:
        subjects = {act.victim_id for act, _f in act_rows}
        subjects |= {info.source_id for info, _f in source_rows}
        subjects |= {item.victim_id for item, _f in intervention_rows}
        for pk in subjects:
            if pk not in persons or (purpose == consent.STATISTICS
                                     and _kind(persons[pk][1]) in consent.NOBODY_TO_ASK):
                continue  # counting an act against a community names no one (consent.py)
            if not consent.permitted(persons[pk][0], purpose, keyring):
                left_out.add(pk)

    # Drop every row that names a person left out, then events whose acts all went.
    kept_acts = [(a, f) for a, f in act_rows if a.victim_id not in left_out]
    kept_act_ids = {a.pk for a, _f in kept_acts}
    emptied = {a.event_id for a, _f in act_rows} - {a.event_id for a, _f in kept_acts}
    kept_events = [(e, f) for e, f in event_rows if e.pk not in emptied]
    kept_event_ids = {e.pk for e, _f in kept_events}
    kept: dict[str, list[tuple[Any, dict[str, Any]]]] = {
        "events": kept_events,
        "acts": kept_acts,
        "involvements": [(i, f) for i, f in involvement_rows
                         if i.act_id in kept_act_ids and i.perpetrator_id not in left_out],
        "sources": [(s, f) for s, f in source_rows
                    if s.event_id in kept_event_ids and s.source_id not in left_out],
        "interventions": [(i, f) for i, f in intervention_rows
                          if i.event_id in kept_event_ids and i.victim_id not in left_out
                          and i.party_id not in left_out],
        "links": [(link, f) for link, f in link_rows
                  if link.from_event_id in kept_event_ids and link.to_event_id in kept_event_ids],
    }
    named: set[Any] = {a.victim_id for a, _f in kept["acts"]}
    named |= {i.perpetrator_id for i, _f in kept["involvements"]}
    named |= {s.source_id for s, _f in kept["sources"]}
    named |= {pk for i, _f in kept["interventions"] for pk in (i.victim_id, i.party_id)}
    kept["persons"] = [persons[pk] for pk in sorted(
        persons, key=lambda pk: persons[pk][0].revision) if pk in named]
    entries = rows(ConsentEntry.objects.filter(person__in=[p.pk for p, _f in kept["persons"]]))
    kept["consents"] = entries

    everything = {"events": event_rows, "acts": act_rows, "involvements": involvement_rows,
                  "sources": source_rows, "interventions": intervention_rows,
                  "links": link_rows}
    for table, all_rows in everything.items():
        ids = {record.pk for record, _f in kept[table]}
        for record, _f in all_rows:
            report.tally(_family(record), table if record.pk in ids else f"left_out.{table}")
    exported_persons = {p.pk for p, _f in kept["persons"]}
    for pk in referred:
        if pk in persons:
            person = persons[pk][0]
            report.tally(_family(person),
                         "persons" if pk in exported_persons else "left_out.persons")
        else:  # unreadable: not even its family is told
            report.tally(None, "left_out.persons")
    for entry, _f in kept["consents"]:
        report.tally(_family(entry), "consents")

    tables = {
        "events": [{
            "id": str(e.pk), "title": f["title"], "description": f["description"],
            "details": f["details"], "reports": reports_of.get(e.pk, []),
            "restricted": _family(e) is not None,
        } for e, f in kept["events"]],
        "acts": [{"id": str(a.pk), "event": str(a.event_id), "victim": str(a.victim_id),
                  "details": f["details"]} for a, f in kept["acts"]],
        "involvements": [{"id": str(i.pk), "act": str(i.act_id),
                          "perpetrator": str(i.perpetrator_id), "details": f["details"]}
                         for i, f in kept["involvements"]],
        "persons": [{
            "id": str(p.pk), "pseudonym": f["pseudonym"], "profile": f["profile"],
            **({"identity": f["identity"]} if include_identity else {}),
            "restricted": _family(p) is not None,
        } for p, f in kept["persons"]],
        "sources": [{"id": str(s.pk), "event": str(s.event_id), "source": _str(s.source_id),
                     "details": f["details"]} for s, f in kept["sources"]],
        "interventions": [{"id": str(i.pk), "event": str(i.event_id), "victim": _str(i.victim_id),
                           "party": _str(i.party_id), "details": f["details"]}
                          for i, f in kept["interventions"]],
        "links": [{"id": str(link.pk), "from_event": str(link.from_event_id),
                   "to_event": str(link.to_event_id), "details": f["details"]}
                  for link, f in kept["links"]],
        "consents": [_consent_row(c, f["details"]) for c, f in kept["consents"]],
    }
    return tables, report


def _kind(fields: dict[str, Any]) -> str:
    return str((fields.get("profile") or {}).get("kind") or "")


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _consent_row(entry: ConsentEntry, details: dict[str, Any]) -> Row:
    return {"id": str(entry.pk), "person": str(entry.person_id), "purpose": details["purpose"],
            "given": bool(details["given"]), "on": details["on"],
            "how": details.get("how", ""), "partner": details.get("partner", ""),
            "refused": bool(details.get("refused"))}


def _header(report: Report) -> Row:
    return {
        "format": FORMAT,
        "version": VERSION,
        "purpose": report.purpose,
        "identity_included": report.identity_included,
        "left_out": {table: n for table, n in report.left_out.items() if n},
    }


def export_json(
    keyring: Keyring,
    *,
    purpose: str | None,
    events: Iterable[Any] | None = None,
    include_identity: bool = False,
) -> tuple[bytes, Report]:
    tables, report = _collect(keyring, purpose=purpose, events=events,
                              include_identity=include_identity)
    document = {**_header(report), **tables}
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"), report


# Spreadsheets run a cell that starts with one of these as a formula. Such a cell gets a
# leading apostrophe, which the import takes away again: the round trip stays exact.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def _cell(value: Any) -> str:
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _uncell(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:2].startswith(_FORMULA_START) else text


def _csv_bytes(header: list[str], rows: Iterable[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    # With a byte-order mark, spreadsheets read the Cyrillic as UTF-8.
    return out.getvalue().encode("utf-8-sig")


def _zip_member(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    # A fixed time: the archive tells nothing about when or where it was made.
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    archive.writestr(info, data)


def export_csv(
    keyring: Keyring,
    *,
    purpose: str | None,
    events: Iterable[Any] | None = None,
    include_identity: bool = False,
) -> tuple[bytes, Report]:
    tables, report = _collect(keyring, purpose=purpose, events=events,
                              include_identity=include_identity)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        header = _header(report)
        manifest = [["format", FORMAT], ["version", str(VERSION)],
                    ["purpose", report.purpose or ""],
                    ["identity_included", _cell(report.identity_included)]]
        manifest += [[f"left_out.{table}", str(n)] for table, n in header["left_out"].items()]
        _zip_member(archive, MANIFEST, _csv_bytes(["key", "value"], manifest))
        for table in TABLES:
            columns = [c for c in COLUMNS[table]
                       if not (table == "persons" and c == "identity" and not include_identity)]
            _zip_member(archive, f"{table}.csv", _csv_bytes(
                columns, ([_cell(row.get(c)) for c in columns] for row in tables[table])
            ))
    return buffer.getvalue(), report


# --- import: reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class At:
    """Where a row came from: ("acts.csv", "row", 7) or ("acts", "item", 7)."""

    file: str
    unit: str
    number: int


@dataclass(frozen=True)
class RowError:
    at: At | None
    file: str
    problem: str

    def __str__(self) -> str:
        if self.at is None:
            return f"{self.file}: {self.problem}"  # the same punctuation in every language
        if self.at.unit == "row":
            return _("%(file)s row %(row)s: %(problem)s") % {
                "file": self.at.file, "row": self.at.number, "problem": self.problem}
        return _("%(file)s item %(row)s: %(problem)s") % {
            "file": self.at.file, "row": self.at.number, "problem": self.problem}


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    # table -> {old id: new id}
    ids: dict[str, dict[str, str]] = field(default_factory=dict)
    # Vocabularies that were not installed, so codes from them were not checked.
    unchecked: list[str] = field(default_factory=list)
    # Intake reports present here that imported events were linked to again.
    linked_reports: int = 0
    # Key family (None: the organisation's) -> what was created in it, for the audit log.
    counts: dict[str | None, Counter[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def audit_details(self, family: str | None) -> dict[str, str | int | bool]:
        details: dict[str, str | int | bool] = {}
        if family is None:
            details["errors"] = len(self.errors)
        for key, n in sorted(self.counts.get(family, Counter()).items()):
            details[key] = n
        return details


Located = list[tuple[At, Row]]


@dataclass
class _Read:
    tables: dict[str, Located] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    # Ids of rows that could not be read: rows referring to them get no second error.
    broken: dict[str, set[str]] = field(default_factory=dict)

    def refuse(self, file: str, problem: str) -> _Read:
        self.errors.append(RowError(None, file, problem))
        return self

    def take(self, table: str, raw: dict[str, Any], at: At, fmt: str) -> None:
        row = _typed(table, raw, at, fmt, self.errors)
        if row is not None:
            self.tables.setdefault(table, []).append((at, row))
        elif isinstance(raw.get("id"), str | int):
            self.broken.setdefault(table, set()).add(str(raw["id"]).strip())


def _file_label(table: str, fmt: str) -> str:
    return f"{table}.csv" if fmt == "csv" else table


def _typed(
    table: str, raw: dict[str, Any], at: At, fmt: str, errors: list[RowError]
) -> Row | None:
    """A row with values of the right types (from CSV text or from JSON), or None after
    recording what is wrong with it."""
    label = _file_label(table, fmt)
    row: Row = {}
    problems: list[str] = []
    for column, kind in COLUMNS[table].items():
        value = raw.get(column)
        present = column in raw
        if fmt == "csv" and isinstance(value, str):
            value = _uncell(value)
        required = kind in ("id", "text!", "bool!", "date!") or kind.startswith("ref:")
        empty = value is None or value == ""
        if empty and required:
            problems.append(_("%(column)s is missing") % {"column": column})
            continue
        if kind in ("id",) or kind.startswith(("ref:", "optref:")):
            if empty:
                row[column] = None
            elif isinstance(value, str | int) and not isinstance(value, bool):
                row[column] = str(value).strip()
            else:
                problems.append(_("%(column)s is not an id") % {"column": column})
        elif kind in ("text", "text!"):
            if empty:
                row[column] = ""
            elif isinstance(value, str):
                row[column] = value
            else:
                problems.append(_("%(column)s is not text") % {"column": column})
        elif kind in ("object", "list"):
            if table == "persons" and column == "identity" and not present:
                row[column] = None  # not in the file: the person is imported without
                continue
            parsed: Any = value
            if fmt == "csv" and isinstance(value, str) and value:
                try:
                    parsed = json.loads(value)
                except ValueError:
                    problems.append(_("%(column)s is not valid JSON") % {"column": column})
                    continue
            if empty:
                parsed = {} if kind == "object" else []
            if kind == "object" and not isinstance(parsed, dict):
                problems.append(_("%(column)s is not a JSON object") % {"column": column})
            elif kind == "list" and not (
                isinstance(parsed, list) and all(isinstance(v, str) for v in parsed)
            ):
                problems.append(_("%(column)s is not a list of ids") % {"column": column})
            else:
                row[column] = parsed
        elif kind in ("bool", "bool!"):
            flag = _bool(value)
            if flag is None and not empty:
                problems.append(_("%(column)s must be true or false") % {"column": column})
            else:
                row[column] = bool(flag)
        elif kind == "date!":
            try:
                row[column] = date.fromisoformat(str(value))
            except ValueError:
                problems.append(
                    _("%(column)s is not a date like 2025-03-14") % {"column": column})
    for problem in problems:
        errors.append(RowError(at, label, problem))
    return None if problems else row


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "0", "no"):
        return False
    return None


def _read_json(data: bytes) -> _Read:
    read = _Read()
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return read.refuse("JSON", _("this is not a JSON file in UTF-8"))
    if not isinstance(document, dict) or not isinstance(document.get("events"), list):
        return read.refuse("JSON", _("there is no list of events in this file"))
    if document.get("format", FORMAT) != FORMAT or document.get("version", VERSION) != VERSION:
        return read.refuse("JSON", _("this file is of another format or version"))
    known = {*TABLES, "format", "version", "purpose", "identity_included", "left_out"}
    for key in sorted(set(document) - known):
        read.refuse("JSON", _("unknown table “%(name)s”") % {"name": key})
    for table in TABLES:
        items = document.get(table, [])
        if not isinstance(items, list):
            read.refuse(table, _("is not a list"))
            continue
        for number, item in enumerate(items, start=1):
            at = At(table, "item", number)
            if not isinstance(item, dict):
                read.errors.append(RowError(at, table, _("is not an object")))
                continue
            for key in sorted(set(item) - set(COLUMNS[table])):
                read.errors.append(
                    RowError(at, table, _("unknown field “%(name)s”") % {"name": key}))
            read.take(table, item, at, "json")
    return read


def _read_zip(data: bytes) -> _Read:
    read = _Read()
    errors = read.errors
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [i for i in archive.infolist() if not i.is_dir()
                   and not i.filename.startswith("__MACOSX/")
                   and not i.filename.rsplit("/", 1)[-1].startswith(".")]
    except (zipfile.BadZipFile, OSError, ValueError):
        return read.refuse("ZIP", _("this is not a ZIP file"))
    if sum(i.file_size for i in members) > MAX_UNPACKED_BYTES or len(members) > 50:
        return read.refuse("ZIP", _("the ZIP file unpacks to too much"))
    texts: dict[str, str] = {}
    budget = MAX_UNPACKED_BYTES
    for info in members:
        name = info.filename.rsplit("/", 1)[-1]
        if name != MANIFEST and name.removesuffix(".csv") not in TABLES:
            errors.append(RowError(None, name, _("is not one of the tables of an export")))
            continue
        if name in texts:
            errors.append(RowError(None, name, _("is in the ZIP file twice")))
            continue
        try:
            with archive.open(info) as member:
                raw = member.read(budget + 1)
            budget -= len(raw)
            if budget < 0:
                return _Read().refuse("ZIP", _("the ZIP file unpacks to too much"))
            texts[name] = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            errors.append(RowError(None, name, _("is not in UTF-8")))
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
            errors.append(RowError(None, name, _("cannot be unpacked")))
    if "events.csv" not in {info.filename.rsplit("/", 1)[-1] for info in members}:
        errors.append(RowError(None, "events.csv", _("is missing from the ZIP file")))
    if MANIFEST in texts:
        manifest = {row[0]: row[1] for row in csv.reader(io.StringIO(texts[MANIFEST]))
                    if len(row) >= 2}
        if manifest.get("format", FORMAT) != FORMAT or manifest.get(
            "version", str(VERSION)
        ) != str(VERSION):
            errors.append(RowError(None, MANIFEST, _("this file is of another format or version")))
    for table in TABLES:
        label = f"{table}.csv"
        text = texts.get(label)
        if text is None:
            continue
        try:
            reader = csv.reader(io.StringIO(text, newline=""))
            header = next(reader, [])
            unknown = [c for c in header if c not in COLUMNS[table]]
            for column in unknown:
                errors.append(RowError(None, label, _("unknown column “%(name)s”")
                                       % {"name": column}))
            missing = [c for c, kind in COLUMNS[table].items()
                       if c not in header and (kind in ("id", "text!", "bool!", "date!")
                                               or kind.startswith("ref:"))]
            for column in missing:
                errors.append(RowError(None, label, _("column “%(name)s” is missing")
                                       % {"name": column}))
            if unknown or missing or len(set(header)) != len(header):
                if len(set(header)) != len(header):
                    errors.append(RowError(None, label, _("a column is named twice")))
                continue
            for number, cells in enumerate(reader, start=2):
                if not any(cell.strip() for cell in cells):
                    continue  # a blank line, as spreadsheets leave at the end
                at = At(label, "row", number)
                if len(cells) != len(header):
                    errors.append(RowError(at, label, _(
                        "has %(found)s cells where the header has %(expected)s"
                    ) % {"found": len(cells), "expected": len(header)}))
                    continue
                read.take(table, dict(zip(header, cells, strict=True)), at, "csv")
        except csv.Error:
            errors.append(RowError(None, label, _("is not a readable CSV table")))
    return read


# --- import: checking --------------------------------------------------------------------------


def _vocabulary(name: str) -> Any:
    """The installed vocabulary, or None when there is no such list (yet)."""
    try:
        from kalkan.records.vocabularies import vocabulary
    except (ImportError, ValueError):  # not there, or a list file is broken
        return None
    try:
        return vocabulary(name)
    except (LookupError, OSError, ValueError):
        return None


def _dig(value: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _codes(value: Any) -> list[str]:
    if isinstance(value, dict):
        value = value.get("code")
    if isinstance(value, list):
        return [str(v.get("code") if isinstance(v, dict) else v) for v in value if v]
    return [str(value)] if value else []


def _fuzzy_problem(value: Any) -> tuple[str, tuple[int, ...]]:
    """What is wrong with a fuzzy date ("" if nothing), and its sortable known parts."""
    if not isinstance(value, dict):
        return _("is not a date object like {\"year\": 2025, \"month\": 3}"), ()
    year, month, day = value.get("year"), value.get("month"), value.get("day")
    parts: list[int] = []
    for name, part in (("year", year), ("month", month), ("day", day)):
        if part is None or part == "":
            break
        if not isinstance(part, int) or isinstance(part, bool):
            return _("%(part)s is not a number") % {"part": name}, ()
        parts.append(part)
    if year in (None, "") and (month or day):
        return _("has a month or day but no year"), ()
    if month in (None, "") and day:
        return _("has a day but no month"), ()
    if parts:
        today = timezone.localdate()
        try:
            date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
        except ValueError:
            return _("is not a real date"), ()
        if not 1900 <= parts[0] <= today.year:
            return _("has a year outside 1900–%(year)s") % {"year": today.year}, ()
    return "", tuple(parts)


def _comparable(first: tuple[int, ...], second: tuple[int, ...]) -> bool:
    """Whether `second` (an end) is certainly before `first` (a start)."""
    n = min(len(first), len(second))
    return n > 0 and second[:n] < first[:n]


@dataclass
class _Plan:
    """What the checks found out for the creation step."""

    reports: dict[str, list[IntakeReport]] = field(default_factory=dict)
    event_family: dict[str, Any] = field(default_factory=dict)
    person_family: dict[str, Any] = field(default_factory=dict)


def _check(read: _Read, fmt: str, keyring: Keyring, result: ImportResult) -> _Plan:
    tables, errors = read.tables, result.errors
    plan = _Plan()

    def fail(table: str, at: At, problem: str) -> None:
        errors.append(RowError(at, _file_label(table, fmt), problem))

    ids: dict[str, set[str]] = {}
    for table in TABLES:
        seen: set[str] = set()
        for at, row in tables.get(table, []):
            if row["id"] in seen:
                fail(table, at, _("the id %(id)s is used twice") % {"id": row["id"]})
            seen.add(row["id"])
        ids[table] = seen

    # The ids a link may point at, made once: a union per row made the check quadratic.
    linkable = {table: ids[table] | read.broken.get(table, set()) for table in ids}
    for table in TABLES:
        for at, row in tables.get(table, []):
            for column, kind in COLUMNS[table].items():
                if ":" not in kind or row.get(column) is None:
                    continue
                target = kind.split(":", 1)[1]
                if row[column] not in linkable[target]:
                    fail(table, at, _("%(column)s %(id)s is not in %(file)s") % {
                        "column": column, "id": row[column],
                        "file": _file_label(target, fmt)})

    missing: set[str] = set()
    vocabularies: dict[str, Any] = {}
    for table, column, key, name in CODED:
        for at, row in tables.get(table, []):
            codes = _codes(_dig(row.get(column), key))
            if not codes:
                continue
            if name not in vocabularies:
                vocabularies[name] = _vocabulary(name)
            vocab = vocabularies[name]
            if vocab is None:
                missing.add(name)
                continue
            for code in codes:
                if not vocab.get(code):
                    fail(table, at, _("%(field)s “%(code)s” is not in the vocabulary "
                                      "%(vocabulary)s") % {
                        "field": key, "code": code, "vocabulary": name})
    result.unchecked = sorted(missing)

    for table in PLACES:
        for at, row in tables.get(table, []):
            where = row["details"].get("place")
            if where in (None, "", {}):
                continue
            if not isinstance(where, dict):
                fail(table, at, _("place is not an object like {\"code\": \"kg.chuy\"}"))
                continue
            place_code = where.get("code")
            if place_code and (
                not isinstance(place_code, str) or gazetteer.place(place_code) is None
            ):
                fail(table, at, _("place “%(code)s” is not in the gazetteer")
                     % {"code": place_code})

    for table, names in DATES.items():
        for at, row in tables.get(table, []):
            known: dict[str, tuple[int, ...]] = {}
            for name in names:
                value = row["details"].get(name)
                if value in (None, "", {}):
                    continue
                problem, parts = _fuzzy_problem(value)
                if problem:
                    fail(table, at, _("date %(name)s %(problem)s") % {
                        "name": name, "problem": problem})
                known[name] = parts
            if _comparable(known.get("start", ()), known.get("end", ())):
                fail(table, at, _("ends before it starts"))

    today = timezone.localdate()
    for at, row in tables.get("acts", []):
        if not row["details"].get("type"):
            fail("acts", at, _("the type of act is missing"))
    for at, row in tables.get("links", []):
        if not row["details"].get("relation"):
            fail("links", at, _("the relation is missing"))
        for key in sorted(set(row["details"]) - set(LINK_DETAILS)):
            fail("links", at, _("unknown detail “%(name)s” (a link keeps only relation and "
                                "notes)") % {"name": key})
        if row["from_event"] == row["to_event"]:
            fail("links", at, _("an event cannot be linked to itself"))
    for at, row in tables.get("consents", []):
        if row["purpose"] not in consent.PURPOSE_CODES:
            fail("consents", at, _("“%(purpose)s” is not a purpose of consent (%(known)s)") % {
                "purpose": row["purpose"], "known": ", ".join(consent.PURPOSE_CODES)})
        if row["on"] > today:
            fail("consents", at, _("the date is in the future"))
        if row["given"] and row["refused"]:
            fail("consents", at, _("consent cannot be given and refused at once"))

    _check_families(tables, keyring, plan, fail, result)
    return plan


def _check_families(
    tables: dict[str, Located], keyring: Keyring, plan: _Plan, fail: Any, result: ImportResult
) -> None:
    """Events go back to the intake reports present here (and readable with these keys);
    what was restricted must land in a restricted case's compartment again."""
    wanted: set[uuid.UUID] = set()
    for _at, row in tables.get("events", []):
        for report_id in row["reports"]:
            try:
                wanted.add(uuid.UUID(report_id))
            except ValueError:
                continue
    found = {
        str(r.pk): r for r in readable_by(IntakeReport.objects.filter(pk__in=wanted), keyring)
        .select_related("content_key")
    }
    for at, row in tables.get("events", []):
        linked = [found[r] for r in dict.fromkeys(row["reports"]) if r in found]
        families = {r.content_key.compartment_id for r in linked} - {None}
        if len(families) > 1:
            fail("events", at, _("its reports belong to different restricted cases"))
            continue
        family = next(iter(families), None)
        if row["restricted"] and family is None:
            fail("events", at, _(
                "it was restricted to a case's members, and its reports are not here in a "
                "restricted case, so every documenter would see it. Import it where its case "
                "is, or remove the restricted mark if everyone may see it."))
        plan.reports[row["id"]] = linked
        plan.event_family[row["id"]] = family
        result.linked_reports += len(linked)

    act_event = {row["id"]: row["event"] for _at, row in tables.get("acts", [])}
    events_of: dict[str, set[str]] = {}

    def name(person: str | None, event: str | None) -> None:
        if person is not None and event is not None:
            events_of.setdefault(person, set()).add(event)

    for _at, row in tables.get("acts", []):
        name(row["victim"], row["event"])
    for _at, row in tables.get("involvements", []):
        name(row["perpetrator"], act_event.get(row["act"]))
    for _at, row in tables.get("sources", []):
        name(row["source"], row["event"])
    for _at, row in tables.get("interventions", []):
        name(row["victim"], row["event"])
        name(row["party"], row["event"])
    for at, row in tables.get("persons", []):
        if not row["restricted"]:
            plan.person_family[row["id"]] = None
            continue
        families = {plan.event_family.get(e) for e in events_of.get(row["id"], set())} - {None}
        if len(families) != 1:
            fail("persons", at, _(
                "this person was restricted to a case's members, and no single restricted "
                "event imported here names them, so every documenter would see them. Remove "
                "the restricted mark if everyone may see them."))
            continue
        plan.person_family[row["id"]] = families.pop()


# --- import: creating --------------------------------------------------------------------------


def _create(
    tables: dict[str, Located], plan: _Plan, keyring: Keyring, by: User | None,
    result: ImportResult,
) -> None:
    ids: dict[str, dict[str, str]] = {table: {} for table in TABLES}
    made: dict[str, dict[str, Any]] = {table: {} for table in TABLES}
    compartments = {
        str(c.pk): c for c in Compartment.objects.filter(
            pk__in={f for f in plan.person_family.values() if f is not None}
        )
    }

    def keep(table: str, old: str, record: SealedRecord) -> None:
        ids[table][old] = str(record.pk)
        made[table][old] = record
        result.counts.setdefault(
            None if _family(record) is None else str(_family(record)), Counter()
        )[table] += 1

    def person(old: str | None) -> Person | None:
        return None if old is None else made["persons"][old]

    with transaction.atomic():
        for _at, row in tables["persons"]:
            family = plan.person_family.get(row["id"])
            keep("persons", row["id"], services.new_person(
                keyring, pseudonym=row["pseudonym"], profile=row["profile"],
                identity=row["identity"] or {},
                compartment=compartments[str(family)] if family is not None else None,
            ))
        for _at, row in tables["events"]:
            keep("events", row["id"], services.new_event(
                keyring, by, title=row["title"], description=row["description"],
                details=row["details"], reports=plan.reports.get(row["id"], []),
            ))
        for _at, row in tables["acts"]:
            keep("acts", row["id"], services.add_act(
                made["events"][row["event"]], keyring, victim=made["persons"][row["victim"]],
                details=row["details"]))
        for _at, row in tables["involvements"]:
            keep("involvements", row["id"], services.add_involvement(
                made["acts"][row["act"]], keyring,
                perpetrator=made["persons"][row["perpetrator"]], details=row["details"]))
        for _at, row in tables["sources"]:
            keep("sources", row["id"], services.add_information(
                made["events"][row["event"]], keyring, source=person(row["source"]),
                details=row["details"]))
        for _at, row in tables["interventions"]:
            keep("interventions", row["id"], services.add_intervention(
                made["events"][row["event"]], keyring, details=row["details"],
                victim=person(row["victim"]), party=person(row["party"])))
        for _at, row in tables["links"]:
            keep("links", row["id"], services.link_events(
                made["events"][row["from_event"]], made["events"][row["to_event"]], keyring,
                relation=row["details"]["relation"], notes=row["details"].get("notes") or ""))
        for _at, row in tables["consents"]:
            keep("consents", row["id"], consent.record(
                made["persons"][row["person"]], row["purpose"], given=row["given"],
                on=row["on"], how=row["how"], keyring=keyring, by=by, partner=row["partner"],
                refused=row["refused"]))
    result.ids = ids
    result.created = {table: len(ids[table]) for table in TABLES}


def _import(read: _Read, fmt: str, keyring: Keyring, by: User | None) -> ImportResult:
    result = ImportResult(errors=list(read.errors))
    for table in TABLES:
        read.tables.setdefault(table, [])
    plan = _check(read, fmt, keyring, result)
    if result.errors:
        return result
    try:
        _create(read.tables, plan, keyring, by, result)
    except (ValueError, PermissionError) as refused:
        # Checked above, so not expected; the transaction has undone everything.
        result.errors.append(RowError(None, fmt.upper(), _(
            "the import stopped and stored nothing: %(reason)s") % {"reason": refused}))
        result.ids, result.created, result.counts = {}, {}, {}
    return result


def import_json(data: bytes, keyring: Keyring, by: User | None) -> ImportResult:
    """Check every row of a JSON export, then create all of it or nothing."""
    return _import(_read_json(data), "json", keyring, by)


def import_csv(zip_bytes: bytes, keyring: Keyring, by: User | None) -> ImportResult:
    """Check every row of a ZIP of CSV tables, then create all of it or nothing."""
    return _import(_read_zip(zip_bytes), "csv", keyring, by)
