"""Drafts for UN mechanisms: gated statistics, charts, legislation, the treaty articles each
type of act engages, and redacted case summaries of people who consented to a UN submission.

    asked = Asked(mechanism="upr", country="kg", year_from=2022, year_to=2026, language="ru")
    prepared = prepare(working, asked, keyring)        # counts, summaries, proposed redactions
    draft = document(prepared, review, appendix=False)  # kalkan.analysis.documents.Draft

Nothing leaves without the gate (kalkan.analysis.gate): every number in a table, a chart or a
sentence is a gated count; case summaries are k-anonymous over every act in scope, coarsened
or held back, and the draft says what was held back and why. A summary appears only after a
person reviewed its redactions (`Review`), and only as they left it. Which acts stand behind
each figure (the provenance) is kept with the draft inside the system; the exported file has
it only when asked for explicitly.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from functools import cache, cached_property
from operator import attrgetter
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from kalkan.accounts.models import User
from kalkan.analysis import charts, estimate_texts, gate, redaction, register
from kalkan.analysis.documents import Block, Bullets, Draft, Figure, Heading, Paragraph, Table
from kalkan.analysis.laws import laws_for, stage_label, type_label
from kalkan.analysis.mechanisms import Mechanism, articles_engaged, mechanisms
from kalkan.analysis.models import ReportDraft
from kalkan.analysis.statistics import (
    SEVERAL,
    ActRow,
    ValueLabels,
    act_rows,
    left_out_note,
    legend_note,
    stacked_with_hidden,
    tally,
    with_consent,
)
from kalkan.records import consent, gazetteer
from kalkan.records.models import Event
from kalkan.records.services import opened
from kalkan.records.vocabularies import vocabulary
from kalkan.vault.keyring import Keyring
from kalkan.vault.records import new_sealed, readable_by, write
from kalkan.vault.workingset import Query, WorkingSet

# What the review screen calls each kind of finding.
KIND_LABELS = {
    "person": gettext_lazy("Name"),
    "phone": gettext_lazy("Phone number"),
    "email": gettext_lazy("E-mail address"),
    "handle": gettext_lazy("Social-media account"),
    "id_number": gettext_lazy("Passport or ID number"),
    "plate": gettext_lazy("Vehicle plate"),
    "address": gettext_lazy("Street address"),
    "birth_date": gettext_lazy("Date of birth"),
    "place": gettext_lazy("Place more precise than the summary shows"),
}
PURPOSE = "un_submission"
# A selection for publication (kalkan.analysis.publication) is asked for, reviewed and gated
# as a draft is; its summaries need the consent to publication ("media") instead.
PUBLICATION = "publication"
PUBLICATION_PURPOSE = "media"
# The languages a reviewer may say a story is written in (those a draft can be in).
NARRATIVE_LANGUAGES = ("ru", "ky", "kk", "en")


@dataclass(frozen=True)
class Asked:
    """What a person asked for; kept (sealed) with the draft."""

    mechanism: str
    country: str
    year_from: int
    year_to: int
    language: str = "en"
    act_groups: tuple[str, ...] = ()
    defenders_only: bool = False
    # A submission tells a few cases well; a reviewer can check a few dozen, not thousands.
    summaries: int = 20

    def query(self) -> Query:
        filters: dict[str, list[str]] = {"country": [self.country]}
        if self.act_groups:
            filters["act_type"] = list(self.act_groups)
        if self.defenders_only:
            filters["hrd"] = ["yes"]
        return Query(kind="act", filters=filters,
                     ranges={"year": (str(self.year_from), str(self.year_to))})

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "act_groups": list(self.act_groups)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Asked:
        return cls(**{**data, "act_groups": tuple(data.get("act_groups", ()))})

    @property
    def for_publication(self) -> bool:
        return self.mechanism == PUBLICATION

    @property
    def purpose(self) -> str:
        """The consent a case summary of this selection needs."""
        return PUBLICATION_PURPOSE if self.for_publication else PURPOSE

    @property
    def chosen_mechanism(self) -> Mechanism:
        if self.for_publication:
            return publication_as_mechanism()
        return mechanisms()[self.mechanism]


def publication_as_mechanism() -> Mechanism:
    """A publication named as the mechanisms are, in four languages; it engages no treaty."""
    labels = {}
    for language in NARRATIVE_LANGUAGES:
        with translation.override(language):
            labels[language] = _("Publication (Uwazi CSV, JSON for the press)")
    return Mechanism(PUBLICATION, (), labels)


def new_draft(keyring: Keyring, by: User | None, asked: Asked) -> ReportDraft:
    """A draft as asked, not yet reviewed, sealed with the organisation's keys."""
    draft, key = new_sealed(ReportDraft, keyring, created_by=by)
    write(draft, key, request=json.dumps(asked.as_json()),
          review=json.dumps({"summaries": {}}), provenance="{}")
    return draft


@dataclass
class Summary:
    """A case summary before review: the released (coarsened) values, the narrative and the
    redactions proposed for it."""

    id: str  # the act's id
    event: str
    released: gate.QuasiIdentifiers
    narrative: str  # as recorded: never exported; only apply(narrative, decisions) is
    proposals: list[redaction.Decision]
    same_event_as: str = ""  # the narrative is shown once per event
    language: str = ""  # what the narrative is written in, as far as its words tell

    @cached_property
    def fingerprint(self) -> str:
        """Changes when the narrative or what was found in it changes: a review of an older
        version no longer counts."""
        digest = hashlib.blake2b(digest_size=16)
        digest.update(self.narrative.encode())
        for finding, _replacement in self.proposals:
            digest.update(f"|{finding.start}:{finding.end}:{finding.kind}".encode())
        return digest.hexdigest()


@dataclass
class Review:
    """What reviewers decided, per summary id: for each proposal the replacement (None keeps
    the original), words the reviewer hid that nothing had found, whether to leave the
    summary out, and the fingerprint reviewed."""

    summaries: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The estimate of the undocumented added from the estimation page, if any
    # (kalkan.analysis.estimation_views.summary).
    estimate: dict[str, Any] | None = None

    def reviewed(self, summary: Summary) -> bool:
        entry = self.summaries.get(summary.id) or {}
        return entry.get("fingerprint") == summary.fingerprint

    def decisions(self, summary: Summary) -> list[redaction.Decision]:
        """The proposals as decided, then every mention of the reviewer's own words."""
        entry = self.summaries.get(summary.id) or {}
        chosen = entry.get("replacements") or []
        decided = list(summary.proposals) if len(chosen) != len(summary.proposals) else [
            (finding, choice) for (finding, _proposed), choice
            in zip(summary.proposals, chosen, strict=True)]
        return decided + _hidden_by_hand(summary.narrative, self.hidden_words(summary),
                                         [finding for finding, _choice in decided])

    def hidden_words(self, summary: Summary) -> list[str]:
        """The words typed in "also hide these words", then those ticked in the list of
        words the tool let stand (kalkan.analysis.review_hints)."""
        typed = self.typed_words(summary)
        return typed + [word for word in self.ticked_words(summary) if word not in typed]

    def typed_words(self, summary: Summary) -> list[str]:
        return list((self.summaries.get(summary.id) or {}).get("extra") or [])

    def ticked_words(self, summary: Summary) -> list[str]:
        return list((self.summaries.get(summary.id) or {}).get("ticked") or [])

    def left_out(self, summary: Summary) -> bool:
        return bool((self.summaries.get(summary.id) or {}).get("leave_out"))

    def text(self, summary: Summary) -> str:
        return redaction.apply(summary.narrative, self.decisions(summary))

    def language(self, summary: Summary) -> str:
        """The story's language: as the reviewer corrected it, else as its words tell."""
        chosen = (self.summaries.get(summary.id) or {}).get("language")
        return chosen if chosen in NARRATIVE_LANGUAGES else summary.language

    def translation(self, summary: Summary) -> str:
        """The reviewer's translation of the story into the draft's language, if any."""
        return str((self.summaries.get(summary.id) or {}).get("translation") or "")

    def translated_text(self, summary: Summary, language: str) -> str:
        """The translation as the draft prints it: redacted like the original. A name, phone
        or place the reviewer decided on in the original gets the same decision here (the
        same person in another spelling too); whatever else is found in the translation
        gets its placeholder, a person no decision names "[…]"; the reviewer's own hidden
        words are hidden here as well."""
        text = self.translation(summary)
        if not text:
            return ""
        with translation.override(language):
            return redaction.apply(text, self._translation_decisions(summary, text, language))

    def _translation_decisions(self, summary: Summary, text: str,
                               language: str) -> list[redaction.Decision]:
        decided = self.decisions(summary)
        by_text = {finding.text.casefold(): choice for finding, choice in decided}
        people = [(redaction.name_keys(finding.text), choice)
                  for finding, choice in decided if finding.kind == "person"]
        findings, places = redaction.find_with_places(text, language)
        placeholders = redaction.Pseudonyms(language)
        out: list[redaction.Decision] = []
        for finding in findings:
            if finding.text.casefold() in by_text:
                out.append((finding, by_text[finding.text.casefold()]))
            elif finding.kind == "person":
                keys = redaction.name_keys(finding.text)
                same = [choice for known, choice in people if redaction.same_person(keys, known)]
                out.append((finding, same[0] if same else HIDDEN_BY_HAND))
            else:
                out.append((finding, placeholders.replacement(finding)))
        for finding, proposed in _place_proposals(text, summary.released, findings, places):
            out.append((finding, by_text.get(finding.text.casefold(), proposed)))
        return out + _hidden_by_hand(text, self.hidden_words(summary),
                                     [finding for finding, _choice in out])


# What replaces words a reviewer hid by hand: the same in every language.
HIDDEN_BY_HAND = "[…]"


def _hidden_by_hand(text: str, words: list[str],
                    found: list[redaction.Finding]) -> list[redaction.Decision]:
    """Every mention (any case, with endings: "Максат" hides "Максатом") of the words a
    reviewer listed, where no finding is already."""
    taken = [(f.start, f.end) for f in found]
    out: list[redaction.Decision] = []
    for word in words:
        for match in re.finditer(rf"(?<!\w){re.escape(word)}\w{{0,4}}", text, re.IGNORECASE):
            if any(a < match.end() and match.start() < b for a, b in taken):
                continue
            taken.append((match.start(), match.end()))
            out.append((redaction.Finding(match.start(), match.end(), "by_hand",
                                          match.group(0)), HIDDEN_BY_HAND))
    return out


@dataclass
class GatedFigure:
    """A gated table as a draft prints it, and the acts behind each of its numbers."""

    caption: str
    header: list[str]
    rows: list[list[str]]
    note: str
    behind: dict[str, list[str]]  # "row × column" -> act ids
    table: str = ""  # which table (register.TWO_WAY or the one-way table's dimension)
    facts: tuple[register.Fact, ...] = ()  # its numbers by codes, for the register


@dataclass(frozen=True)
class AttributeFlag:
    """A published count whose every act has a victim of one gender identity: whoever knows
    that someone is counted there learns their gender identity (attribute disclosure)."""

    caption: str  # the table's, in the draft's language
    cell: str  # the cell's row (and column), in the draft's language
    count: int
    gender_identity: str  # the shared value (code)

    def text(self) -> str:
        """In the active language."""
        return _("“%(cell)s” in “%(caption)s”: all %(count)d acts counted there are against "
                 "people of one gender identity (%(value)s). A reader who knows someone is "
                 "counted there learns theirs.") % {
            "cell": self.cell, "caption": self.caption, "count": self.count,
            "value": vocabulary("gender_identity").label(self.gender_identity)}


@dataclass
class Prepared:
    asked: Asked
    acts: int
    tables: list[GatedFigure]
    periods: list[str]
    by_period: dict[str, list[int | None]]  # act group label -> gated counts per period
    period_totals: list[int | None]
    period_note: str
    total: int | None
    summaries: list[Summary]
    statement: list[str]
    levels: dict[str, int]  # how far each quasi-identifier of the summaries was coarsened
    without_consent: int
    # Acts in scope not counted anywhere in the draft: the victim did not agree to anonymised
    # statistics (kalkan.analysis.statistics.with_consent).
    without_statistics_consent: int
    held_back: int
    laws: list[Any]
    groups_shown: list[str]  # top-level act types whose gated count is visible
    # Published counts whose acts all share the victim's gender identity: shown to the
    # reviewer before download.
    attribute_flags: list[AttributeFlag] = field(default_factory=list)
    # Captions of tables left out because, with tables released before, they would give a
    # hidden count away (register.audit; see withhold).
    withheld: list[str] = field(default_factory=list)


def _quasi(row: ActRow) -> gate.QuasiIdentifiers:
    def known(value: str) -> str:
        return "" if value == SEVERAL else value

    age = row.age_band if row.age_band in vocabulary("age_band") else ""
    return gate.QuasiIdentifiers(
        country=known(row.country), region=known(row.region), year=known(row.year),
        age_band=age, gender_identity=known(row.gender_identity),
        act_type=known(row.act_type) if row.act_type in vocabulary("act_types") else "",
        perpetrator_type=known(row.perpetrator_group),
    )


def _figure(caption: str, rows: list[str], columns: list[str], table: gate.GatedTable,
            behind: dict[tuple[str, ...], list[str]], labels: ValueLabels,
            row_dimension: str, column_dimension: str) -> GatedFigure:
    total = _("Total")
    out = []
    for i, row in enumerate(rows):
        out.append([labels(row_dimension, row), *(gate.shown(v) for v in table.cells[i]),
                    gate.shown(table.row_totals[i])])
    out.append([total, *(gate.shown(v) for v in table.column_totals), gate.shown(table.total)])
    named = {
        f"{labels(row_dimension, r)} × {labels(column_dimension, c)}": ids
        for (r, c), ids in behind.items()
    }
    header = [DIMENSION_HEADS[row_dimension](), *(labels(column_dimension, c) for c in columns),
              total]
    return GatedFigure(caption, header, out, table.note, named, register.TWO_WAY,
                       register.two_way_facts(rows, columns, table))


def _series_figure(caption: str, dimension: str, rows: list[ActRow],
                   labels: ValueLabels) -> GatedFigure | None:
    """A one-way table of the acts, or None when it may not stand beside the first table
    (which publishes their total)."""
    counted = tally(rows, dimension)
    categories = sorted((key[0] for key in counted.counts),
                        key=lambda v: (v in ("", SEVERAL), -counted.counts[(v,)], v))
    series = gate.gate_series(categories, [counted.counts[(c,)] for c in categories])
    if not gate.beside_a_published_total(series, len(rows)):
        return None
    behind = {labels(dimension, key[0]): ids for key, ids in counted.behind.items()}
    body = [[labels(dimension, c), gate.shown(v)]
            for c, v in zip(categories, series.counts, strict=True)]
    body.append([_("Total"), gate.shown(series.total)])
    return GatedFigure(caption, [DIMENSION_HEADS[dimension](), _("Acts")], body, series.note,
                       behind, dimension, register.series_facts(dimension, categories, series))


DIMENSION_HEADS = {
    "act_group": lambda: _("Type of act"),
    "perpetrator_group": lambda: _("Perpetrator"),
    "region": lambda: _("Region"),
    "gender_identity": lambda: _("Gender identity of the victim"),
    "year": lambda: _("Year"),
}


def prepare(working: WorkingSet, asked: Asked, keyring: Keyring) -> Prepared:
    """Everything a draft needs, in the draft's language, gated."""
    with translation.override(asked.language):
        return _prepare(working, asked, keyring)


def _prepare(working: WorkingSet, asked: Asked, keyring: Keyring) -> Prepared:
    labels = ValueLabels(keyring)
    rows = act_rows(working, asked.query(), keyring)
    # The tables count only acts whose victims agreed to anonymised statistics; the case
    # summaries ask for a UN submission instead, among every act in scope.
    counted_rows, _left_out = with_consent(working, rows, keyring)
    dated = [row for row in counted_rows if row.year]
    periods = [str(y) for y in range(asked.year_from, asked.year_to + 1)]
    groups = sorted({row.act_group for row in dated}, key=lambda g: (g in ("", SEVERAL), g))
    counted = tally(dated, "act_group", "year")
    tables: list[GatedFigure] = []
    by_period: dict[str, list[int | None]] = {}
    period_totals: list[int | None] = []
    period_note = ""
    total: int | None = 0
    groups_shown: list[str] = []
    if groups:
        table = gate.gate_table(groups, periods, [[counted.counts[g, p] for p in periods]
                                                  for g in groups])
        tables.append(_figure(_("Acts by type and year"), groups, periods, table,
                              counted.behind, labels, "act_group", "year"))
        by_period = {labels("act_group", g): list(table.cells[i]) for i, g in enumerate(groups)}
        period_totals = list(table.column_totals)
        period_note = table.note
        total = table.total
        groups_shown = [g for g, t in zip(groups, table.row_totals, strict=True)
                        if t is not None and t > 0 and g not in ("", SEVERAL)]
    for caption, dimension in ((_("Acts by perpetrator"), "perpetrator_group"),
                               (_("Acts by region"), "region"),
                               (_("Acts by the victim's gender identity"), "gender_identity")):
        figure = _series_figure(caption, dimension, dated, labels)
        if figure is not None:
            tables.append(figure)
    summaries, anonymised, without_consent = _summaries(rows, asked, keyring,
                                                        {row.id for row in dated}, working)
    flags = _attribute_flags(tables, dated, labels)
    return Prepared(
        asked=asked, acts=len(dated), tables=tables, periods=periods, by_period=by_period,
        period_totals=period_totals, period_note=period_note, total=total,
        summaries=summaries, statement=anonymised.statement() if anonymised else [],
        levels=dict(anonymised.levels) if anonymised else {},
        without_consent=without_consent,
        without_statistics_consent=sum(1 for row in rows if row.year) - len(dated),
        held_back=len(anonymised.held_back) if anonymised else 0,
        laws=laws_for(asked.country, keyring), groups_shown=groups_shown,
        attribute_flags=flags,
    )


def _attribute_flags(tables: list[GatedFigure], rows: list[ActRow],
                     labels: ValueLabels) -> list[AttributeFlag]:
    """Every published, nonzero count of the tables whose acts' victims all share one
    recorded gender identity (outside the table by gender identity, which says so anyway)."""
    dimensions = {t.table for t in tables if t.table and t.table != register.TWO_WAY}
    seen: dict[tuple[str, str, str, str], set[str]] = defaultdict(set)
    # The distinct combinations first (100,000 acts make a few hundred).
    for year, group, value in set(map(attrgetter("year", "act_group", "gender_identity"),
                                      rows)):
        for key in (("", "", year, group), ("", "", year, ""), ("", "", "", group),
                    ("", "", "", "")):
            seen[key].add(value)
    for dimension in dimensions:
        for shown, value in set(map(attrgetter(dimension, "gender_identity"), rows)):
            seen[dimension, shown, "", ""].add(value)
    flags = []
    for table in tables:
        if table.table == "gender_identity":
            continue
        for fact in table.facts:
            shared = seen.get((fact.dimension, fact.value, fact.year, fact.group), set())
            if not fact.count or len(shared) != 1 or next(iter(shared)) in ("", SEVERAL):
                continue
            parts = ([labels(fact.dimension, fact.value)] if fact.dimension else []) + (
                [labels("act_group", fact.group)] if fact.group else []) + (
                [fact.year] if fact.year else [])
            flags.append(AttributeFlag(table.caption, " × ".join(parts) or _("Total"),
                                       fact.count, next(iter(shared))))
    return flags


def scope_of(asked: Asked) -> register.Scope:
    """The selection of a draft, as the register compares them."""
    return register.Scope(asked.country,
                          tuple(str(y) for y in range(asked.year_from, asked.year_to + 1)),
                          tuple(sorted(asked.act_groups)), asked.defenders_only)


def released(prepared: Prepared) -> list[register.Released]:
    """The draft's tables as the register keeps them once downloaded."""
    scope = scope_of(prepared.asked)
    return [register.Released(t.table, scope, t.facts) for t in prepared.tables if t.table]


def audited(prepared: Prepared, audit: register.Audit) -> Prepared:
    """The draft as the register's audit allows it: tables with more numbers hidden where
    that was enough, without the tables it refused."""
    if audit.coarsened:
        prepared = replace(prepared, tables=[
            _hide_more(t, audit.coarsened[t.table][0]) if t.table in audit.coarsened else t
            for t in prepared.tables])
        two_way = next((t for t in prepared.tables if t.table == register.TWO_WAY), None)
        if two_way is not None and register.TWO_WAY in audit.coarsened:
            prepared = _chart_numbers(prepared, two_way)
    return withhold(prepared, audit.refused)


def _shown_number(text: str) -> int | None:
    return None if text == gate.MARKER else int(text)


def _hide_more(figure: GatedFigure, table: register.Released) -> GatedFigure:
    """The figure with the numbers the audit hid (`table`: its facts, in the figure's order:
    see register.two_way_facts and series_facts) printed as hidden."""
    rows = [list(row) for row in figure.rows]
    if figure.table == register.TWO_WAY:
        n_rows, n_cols = len(rows) - 1, len(rows[0]) - 2
        places = [(i, 1 + j) for i in range(n_rows) for j in range(n_cols)]
        places += [(i, 1 + n_cols) for i in range(n_rows)]
        places += [(n_rows, 1 + j) for j in range(n_cols)] + [(n_rows, 1 + n_cols)]
    else:
        places = [(i, 1) for i in range(len(rows))]
    for (i, j), before, after in zip(places, figure.facts, table.facts, strict=True):
        if before.count is not None and after.count is None:
            rows[i][j] = gate.MARKER
    note = " ".join(filter(None, [figure.note, _(
        "Further numbers are hidden so that this table cannot be subtracted from one "
        "published before.")]))
    return replace(figure, rows=rows, facts=table.facts, note=note)


def _chart_numbers(prepared: Prepared, figure: GatedFigure) -> Prepared:
    """The chart, the total and the types listed follow the type-by-year table."""
    body, totals = figure.rows[:-1], figure.rows[-1]
    return replace(
        prepared,
        by_period={row[0]: [_shown_number(v) for v in row[1:-1]] for row in body},
        period_totals=[_shown_number(v) for v in totals[1:-1]],
        total=_shown_number(totals[-1]),
        groups_shown=[g for g in prepared.groups_shown
                      if any(f.group == g and not f.year and f.count for f in figure.facts)],
    )


def withhold(prepared: Prepared, tables: Iterable[str]) -> Prepared:
    """The draft without the given tables (register.audit refused them), and without every
    number that repeats them: the type-by-year table's total, chart and list of types."""
    refused = set(tables)
    if not refused:
        return prepared
    gone = [t.caption for t in prepared.tables if t.table in refused]
    changes: dict[str, Any] = {
        "tables": [t for t in prepared.tables if t.table not in refused],
        "withheld": [*prepared.withheld, *gone],
        "attribute_flags": [f for f in prepared.attribute_flags if f.caption not in gone],
    }
    if register.TWO_WAY in refused:
        changes.update(by_period={}, period_totals=[], period_note="", total=None,
                       groups_shown=[])
    return replace(prepared, **changes)


def _summaries(rows: list[ActRow], asked: Asked, keyring: Keyring, counted: set[str],
               working: WorkingSet) -> tuple[list[Summary], gate.AnonymisedSummaries | None, int]:
    """Case summaries of the victims who consented to a UN submission (or, for a publication,
    to publication), k-anonymous over every
    act in scope; returns them, what the gate decided, and how many of the acts the tables
    count (`counted`) have no summary for want of consent."""
    # From the working set's copy of the consent ledger (decrypted once when it was built):
    # reading the ledger again here was most of a draft's preparation at 100,000 acts.
    allowed = consent.consenting({row.victim for row in rows if row.victim}, asked.purpose,
                                 keyring, working)
    candidates = [row for row in rows if row.victim in allowed and row.year]
    without_consent = sum(1 for row in rows if row.id in counted and row.victim not in allowed)
    if not candidates:
        return [], None, without_consent
    population = [_quasi(row) for row in rows if row.year]
    anonymised = gate.anonymise_summaries(
        [gate.CaseSummary(row.id, _quasi(row)) for row in candidates], population)
    by_id = {row.id: row for row in candidates}
    chosen = _choose(anonymised.released, by_id, asked.summaries)
    events = {
        str(event.pk): opened(event, keyring, ("description",)).get("description", "")
        for event in readable_by(
            Event.objects.filter(pk__in={by_id[s.id].event for s in chosen}),
            keyring).select_related("content_key")
    }
    pseudonyms = redaction.Pseudonyms(asked.language)
    out: list[Summary] = []
    first_of_event: dict[str, str] = {}
    for released in sorted(chosen, key=lambda s: (by_id[s.id].date, s.id)):
        row = by_id[released.id]
        narrative = events.get(row.event, "")
        same = first_of_event.get(row.event, "")
        proposals: list[redaction.Decision] = []
        if not same:
            first_of_event[row.event] = row.id
            findings, places = redaction.find_with_places(narrative)
            pseudonyms.prime(findings)
            proposals = [(f, pseudonyms.replacement(f)) for f in findings]
            proposals += _place_proposals(narrative, released.qi, findings, places)
            proposals.sort(key=lambda d: d[0].start)
        else:
            narrative = ""
        out.append(Summary(row.id, row.event, released.qi, narrative, proposals, same,
                           redaction.language_of(narrative) if narrative else ""))
    return out, anonymised, without_consent


def _choose(released: list[gate.CaseSummary], by_id: dict[str, ActRow],
            most: int) -> list[gate.CaseSummary]:
    """At most `most` summaries: the newest of each type of act in turn, so that a draft
    shows the range of what happened rather than twenty of the commonest."""
    queues: dict[str, list[gate.CaseSummary]] = {}
    for summary in sorted(released, key=lambda s: (by_id[s.id].date, s.id), reverse=True):
        queues.setdefault(by_id[summary.id].act_group, []).append(summary)
    chosen: list[gate.CaseSummary] = []
    while len(chosen) < most and any(queues.values()):
        for queue in queues.values():
            if queue and len(chosen) < most:
                chosen.append(queue.pop(0))
    return chosen


# --- places in narratives ------------------------------------------------------------------


@cache
def _place_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    """Every country, region, district and town of the gazetteer in the four languages,
    matched with room for case endings ("в Нарыне", "Нарында", "Narynda")."""
    stems: dict[str, str] = {}
    for code, place in gazetteer.PLACES.items():
        for name in place.names.values():
            word = re.split(r"[\s(,]", name.strip())[0]
            if len(word) < 2:
                continue
            stem = word[:-1] if len(word) > 5 and word[-1].lower() in "аяыеиоуaeiouy" else word
            stems.setdefault(stem.lower(), code)
    alternatives = "|".join(sorted(map(re.escape, stems), key=len, reverse=True))
    return re.compile(rf"(?<!\w)({alternatives})\w{{0,4}}(?!\w)", re.IGNORECASE), stems


def _shown_anyway(code: str, released: gate.QuasiIdentifiers) -> bool:
    """Naming a place the summary shows anyway (its country, its region) gives nothing
    away."""
    place = gazetteer.PLACES[code]
    if place.level == "country":
        return released.country not in ("", gate.ANY)
    return released.region not in ("", gate.ANY) and code == released.region


def _place_proposals(text: str, released: gate.QuasiIdentifiers,
                     found: list[redaction.Finding],
                     places: list[tuple[int, int]]) -> list[redaction.Decision]:
    """Places the narrative names more precisely than the summary may show them: a reader
    who learns the village from the story undoes the coarsening. The gazetteer knows the
    districts and towns; the model finds villages, streets and venues it does not."""
    if not text:
        return []
    pattern, stems = _place_pattern()
    spans: list[tuple[int, int]] = []
    for match in pattern.finditer(text):
        if not _shown_anyway(stems[match.group(1).lower()], released):
            spans.append((match.start(), match.end()))
    for start, end in places:
        known = pattern.fullmatch(text[start:end])
        if known and _shown_anyway(stems[known.group(1).lower()], released):
            continue
        spans.append((start, end))
    # Not the shown region's name: the place named may lie elsewhere, and a summary must not
    # say something false.
    replacement = _("[place]")
    taken = [(f.start, f.end) for f in found]
    proposals: list[redaction.Decision] = []
    for start, end in sorted(spans):
        if any(a < end and start < b for a, b in taken):
            continue
        taken.append((start, end))
        proposals.append((redaction.Finding(start, end, "place", text[start:end]),
                          replacement))
    return proposals


# --- the document --------------------------------------------------------------------------


def document(prepared: Prepared, review: Review, *, appendix: bool = False,
             today: date | None = None) -> Draft:
    """The draft as a document. Raises ValueError when a summary is not reviewed."""
    unreviewed = [s for s in prepared.summaries if not review.reviewed(s)]
    if unreviewed:
        raise ValueError(f"{len(unreviewed)} case summaries are not reviewed")
    with translation.override(prepared.asked.language):
        return _document(prepared, review, appendix, today or date.today())


def draw_figures(prepared: Prepared) -> None:
    """Draw the draft's charts ahead (kept by their input: charts.png_of), so that the first
    download after a preparation does not wait for them; the review does not change them."""
    with translation.override(prepared.asked.language):
        _figures(prepared)


def _figures(prepared: Prepared) -> list[Block]:
    figures: list[Block] = []
    if prepared.by_period:
        series = stacked_with_hidden(prepared.by_period, prepared.period_totals,
                                     _("Not shown by type (small numbers)"))
        png = charts.png_of(
            charts.bars_over_time, prepared.periods, series, _("Acts by type and year"),
            suppressed_note=legend_note(prepared.period_note), no_data=_("No acts in this period."))
        figures.append(Figure(_("Acts by type and year"), png))
    milestones = [(when, f"{law.title}: {label}", stage)
                  for law in prepared.laws for when, stage, label in law.stages]
    if prepared.period_totals:
        png = charts.png_of(
            charts.timeline, prepared.periods, prepared.period_totals, milestones,
            _("Acts per year and the stages of laws"),
            suppressed_note=legend_note(prepared.period_note),
            no_data=_("No acts in this period."))
        figures.append(Figure(_("Acts per year and the stages of laws"), png))
    return figures


def _document(prepared: Prepared, review: Review, appendix: bool, today: date) -> Draft:
    asked = prepared.asked
    language = asked.language
    mechanism = asked.chosen_mechanism
    country = gate.value_label("country", asked.country, language)
    period = f"{asked.year_from}–{asked.year_to}" if asked.year_to != asked.year_from \
        else str(asked.year_from)
    threshold = gate.threshold()
    blocks: list[Block] = [
        Heading(_("About this draft"), 1),
        Paragraph(_(
            "This draft was prepared for %(mechanism)s from cases documented in %(country)s "
            "in %(period)s. It counts %(total)s acts. It is a draft: check every figure and "
            "every sentence before submitting it."
        ) % {"mechanism": mechanism.label(language), "country": country, "period": period,
             "total": gate.shown(prepared.total)}),
        Paragraph(_(
            "To protect the people in these cases, no count from 1 to %(limit)d is shown "
            "(%(marker)s), nor any count from which a hidden one could be worked out. Places "
            "are shown by region, and each case summary matches at least %(k)d documented "
            "cases. Case summaries are included only for people who agreed to an anonymised "
            "summary in a UN submission."
        ) % {"limit": threshold - 1, "marker": gate.MARKER, "k": gate.publication_k()},
            "note"),
        Heading(_("Documented violations in numbers"), 1),
    ]
    if prepared.without_statistics_consent:
        blocks.append(Paragraph(left_out_note(prepared.without_statistics_consent), "note"))
    for table in prepared.tables:
        blocks.append(Table(table.caption, table.header, table.rows, table.note))
    if prepared.withheld:
        blocks.append(Paragraph(ngettext(
            "%(count)d table is left out: together with tables published before, it would "
            "let a hidden number be worked out.",
            "%(count)d tables are left out: together with tables published before, they "
            "would let a hidden number be worked out.",
            len(prepared.withheld)) % {"count": len(prepared.withheld)}, "note"))
    blocks += _figures(prepared)
    if review.estimate:
        blocks += estimate_texts.draft_section(review.estimate)
    blocks += _legislation(prepared)
    blocks += _articles(prepared, mechanism)
    blocks += _case_summaries(prepared, review)
    if appendix:
        blocks += _provenance(prepared, review)
    return Draft(
        title=_("%(mechanism)s: %(country)s, %(period)s") % {
            "mechanism": mechanism.label(language), "country": country, "period": period},
        subtitle=_("Draft of %(day)s") % {"day": today.isoformat()},
        language=language,
        blocks=blocks,
    )


def _legislation(prepared: Prepared) -> list[Block]:
    language = prepared.asked.language
    blocks: list[Block] = [Heading(_("Legislation"), 1)]
    if not prepared.laws:
        return [*blocks, Paragraph(_("No laws or bills are recorded for this country."))]
    for law in prepared.laws:
        blocks.append(Heading(law.title + (f" ({law.reference})" if law.reference else ""), 2))
        facts = [type_label(law.type, language)]
        if law.current_stage:
            facts.append(_("now: %(stage)s since %(date)s") % {
                "stage": stage_label(law.current_stage, language), "date": law.current_since})
        blocks.append(Paragraph("; ".join(facts)))
        if law.summary:
            blocks.append(Paragraph(law.summary))
        if law.stages:
            blocks.append(Bullets([f"{when} — {label}" for when, _stage, label in law.stages]))
    return blocks


def _articles(prepared: Prepared, mechanism: Mechanism) -> list[Block]:
    labels = ValueLabels(None)
    rights = vocabulary("rights")
    rows = []
    for group in prepared.groups_shown:
        articles = articles_engaged(group, mechanism)
        if articles:
            rows.append([labels("act_group", group),
                         "; ".join(rights.label(a, prepared.asked.language) for a in articles)])
    blocks: list[Block] = [Heading(_("Rights and treaty articles engaged"), 1)]
    if not rows:
        return [*blocks, Paragraph(_("No type of act has enough documented cases to list."))]
    return [*blocks, Table(_("Types of act and the articles they engage"),
                           [_("Type of act"), _("Articles")], rows)]


def facts(summary: Summary, language: str) -> str:
    """The released values of a summary in one line, as the draft prints them (in the
    draft's language, wherever it is shown)."""
    qi = summary.released
    with translation.override(language):
        where = (gate.value_label("region", qi.region, language)
                 if qi.region not in ("", gate.ANY)
                 else gate.value_label("country", qi.country, language))
        parts = [
            (_("When"), gate.value_label("year", qi.year, language)),
            (_("Where"), where),
            (_("Age"), gate.value_label("age_band", qi.age_band, language)),
            (_("Gender identity"), gate.value_label("gender_identity", qi.gender_identity,
                                                    language)),
            (_("Act"), gate.value_label("act_type", qi.act_type, language)),
            (_("Perpetrator"), gate.value_label("perpetrator_type", qi.perpetrator_type,
                                                language)),
        ]
        return "; ".join(f"{name}: {value}" for name, value in parts)


def _case_summaries(prepared: Prepared, review: Review) -> list[Block]:
    language = prepared.asked.language
    blocks: list[Block] = [Heading(_("Case summaries"), 1)]
    shown = [s for s in prepared.summaries if not review.left_out(s)]
    numbers = {s.id: i for i, s in enumerate(shown, 1)}
    for summary in shown:
        blocks.append(Heading(_("Case %(number)d") % {"number": numbers[summary.id]}, 2))
        blocks.append(Paragraph(facts(summary, language)))
        if summary.same_event_as and summary.same_event_as in numbers:
            blocks.append(Paragraph(_("The same events as case %(number)d.") % {
                "number": numbers[summary.same_event_as]}, "note"))
        elif summary.narrative:
            blocks += _story(summary, review, language)
    if not shown:
        blocks.append(Paragraph(_("No case summary can be published for this selection.")))
    notes = held_back_notes(prepared, review)
    if notes:
        blocks.append(Heading(_("What was held back, and why"), 2))
        blocks.append(Bullets(notes))
    return blocks


def held_back_notes(prepared: Prepared, review: Review) -> list[str]:
    """What was held back of the case summaries, and why, in the active language."""
    left_out = sum(1 for s in prepared.summaries if review.left_out(s))
    notes = list(prepared.statement)
    if prepared.without_consent and prepared.asked.for_publication:
        # No number: nothing gates it here, and with the cases published it would give the
        # exact count of a selection that may be small.
        notes.append(_("Acts of people who did not agree to publication have no summary."))
    elif prepared.without_consent:
        notes.append(_("Acts of people who did not agree to a UN submission are counted in "
                       "the tables but have no summary."))
    if left_out:
        notes.append(_("Reviewers left out %(count)d further summaries.") % {"count": left_out})
    return notes


def _story(summary: Summary, review: Review, language: str) -> list[Block]:
    """The reviewed story, and in which language it is when that is not the draft's: a
    reader of an English draft must know a Russian quote is one, or that it was translated."""
    written_in = review.language(summary)
    name = vocabulary("language").label(written_in, language)
    translated = review.translated_text(summary, language)
    if translated:
        return [Paragraph(translated, "quote"), Paragraph(
            _("Translated from %(language)s when the draft was reviewed.") % {
                "language": name}, "note")]
    story = Paragraph(review.text(summary), "quote")
    if written_in in ("", language):
        return [story]
    return [Paragraph(_("Summary in %(language)s, not translated.") % {"language": name},
                      "note"), story]


def provenance(prepared: Prepared, review: Review) -> dict[str, list[str]]:
    """Figure or case -> the ids of the acts behind it: kept with the draft, inside."""
    out = {f"{table.caption}: {figure}": ids
           for table in prepared.tables for figure, ids in table.behind.items()}
    shown = [s for s in prepared.summaries if not review.left_out(s)]
    with translation.override(prepared.asked.language):
        out.update({_("Case %(number)d") % {"number": i}: [summary.id]
                    for i, summary in enumerate(shown, 1)})
    return out


def _provenance(prepared: Prepared, review: Review) -> list[Block]:
    rows = [[figure, ", ".join(ids)] for figure, ids in provenance(prepared, review).items()]
    return [
        Heading(_("Internal appendix: the records behind each figure"), 1),
        Paragraph(_("For the organisation only. Remove this appendix before sending the "
                    "draft anywhere."), "note"),
        Table(_("Records behind each figure"),
              [pgettext("a number in a published table", "Figure"), _("Acts")], rows),
    ]
