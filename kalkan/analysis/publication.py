"""A reviewed selection for publication, in the formats partners and the press read.

A publication is asked for, prepared and reviewed as a draft is (kalkan.analysis.builder,
mechanism ``publication``): only acts whose victims agreed to publication ("media" in the
consent ledger) have a case summary; each summary is k-anonymous over every act in scope,
coarsened or held back by the gate; each story is shown only as a reviewer left it. Nothing
unreviewed leaves: both formats refuse a selection with a summary not yet reviewed.

    uwazi_zip(prepared, review, today)   # bytes: import.csv, held_back.txt, README.txt
    press_json(prepared, review, today)  # bytes: one JSON document

The ZIP is what HURIDOCS Uwazi's CSV import takes (Uwazi 1.x, the importer in
app/api/csv of huridocs/uwazi, as documented on its wiki page "Import CSV"): a ZIP holding
``import.csv``, whose first row names the template's properties by their property names
(lower case, words joined by "_"), one entity per row, "title" required, several values of
one property separated by "|", dates as YYYY-MM-DD and a date range as "from:to". Uwazi
reads only ``import.csv`` and the files its rows name, so the notes beside it do not
disturb the import. README.txt says which template to make first (the property of each
column and its type). Values are written in the selection's language, so the CSV is
imported while Uwazi shows that language.

Like the drafts' files, both are made in memory and carry no author, organisation or
software name; the ZIP's entries have a fixed timestamp.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kalkan.analysis import builder, gate
from kalkan.records.vocabularies import vocabulary

FORMAT = "kalkan-publication"
VERSION = 1
# Uwazi property name -> (Uwazi property type, what the column holds), in column order.
COLUMNS = (
    ("title", "title", gettext_lazy("Case number, type of act and year (required)")),
    ("period", "daterange", gettext_lazy("When: a year or a period of years")),
    ("country", "select", gettext_lazy("Country")),
    ("region", "select", gettext_lazy("Region")),
    ("type_of_act", "select", gettext_lazy("Type of act")),
    ("perpetrator", "select", gettext_lazy("Perpetrator")),
    ("age", "select", gettext_lazy("Age")),
    ("gender_identity", "select", gettext_lazy("Gender identity")),
    ("summary", "markdown", gettext_lazy("The reviewed, redacted story")),
    ("summary_language", "select", gettext_lazy("Language the story was written in")),
    ("translated", "select", gettext_lazy("Whether the story was translated at review")),
    ("same_events_as", "text", gettext_lazy("The case that tells the same events")),
)
# A fixed time for every ZIP entry: a file found on a seized laptop does not say when.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Case:
    """One published case summary, in the selection's language."""

    number: int
    title: str
    year: str  # as released: "2024", "2021–2023", "" (unknown) or "*" (not shown)
    values: dict[str, str]  # quasi-identifier -> label
    summary: str
    written_in: str  # language code of the story as recorded
    translated: bool
    same_events_as: int | None


def cases(prepared: builder.Prepared, review: builder.Review) -> list[Case]:
    """The reviewed summaries that are not left out, numbered as a draft numbers them.
    Raises ValueError when a summary is not reviewed."""
    if not prepared.asked.for_publication:
        raise ValueError("not a selection for publication")
    unreviewed = [s for s in prepared.summaries if not review.reviewed(s)]
    if unreviewed:
        raise ValueError(f"{len(unreviewed)} case summaries are not reviewed")
    language = prepared.asked.language
    shown = [s for s in prepared.summaries if not review.left_out(s)]
    numbers = {s.id: i for i, s in enumerate(shown, 1)}
    out = []
    with translation.override(language):
        for summary in shown:
            qi = summary.released
            values = {name: gate.value_label(name, getattr(qi, name), language)
                      for name in ("country", "region", "age_band", "gender_identity",
                                   "act_type", "perpetrator_type")}
            translated = review.translated_text(summary, language)
            same = numbers.get(summary.same_event_as) if summary.same_event_as else None
            # A summary of the same events as another has no story of its own (nor a
            # translation, whatever a crafted review says): the page showed none to review.
            story = "" if same or not summary.narrative else (translated or review.text(summary))
            number = numbers[summary.id]
            out.append(Case(
                number=number,
                title=_("Case %(number)d: %(act)s, %(year)s") % {
                    "number": number, "act": values["act_type"],
                    "year": gate.value_label("year", qi.year, language)},
                year=qi.year, values=values, summary=story,
                written_in=review.language(summary) if story else "",
                translated=bool(translated) and not same, same_events_as=same))
    return out


def _date_range(year: str) -> str:
    """A released year or period as Uwazi's date range ("2021-01-01:2023-12-31")."""
    parts = year.split("–")
    if not all(len(p) == 4 and p.isdigit() for p in parts):
        return ""  # unknown or not shown: an empty cell, which Uwazi leaves empty
    return f"{parts[0]}-01-01:{parts[-1]}-12-31"


def _cell(value: str) -> str:
    """A value as a spreadsheet opens it as text, not as a formula: one starting with = + - @
    (or a tab or carriage return) gets an apostrophe before it, as OWASP advises."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv(found: list[Case], language: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([name for name, _type, _what in COLUMNS])
    languages = vocabulary("language")
    titles = {case.number: case.title for case in found}
    yes, no = _("yes"), _("no")
    for case in found:
        writer.writerow([_cell(value) for value in (
            case.title, _date_range(case.year), case.values["country"], case.values["region"],
            case.values["act_type"], case.values["perpetrator_type"], case.values["age_band"],
            case.values["gender_identity"], case.summary,
            languages.label(case.written_in, language) if case.written_in else "",
            (yes if case.translated else no) if case.summary else "",
            titles.get(case.same_events_as, "") if case.same_events_as else "",
        )])
    # A byte-order mark: spreadsheet programs then read the Cyrillic as UTF-8; Uwazi's
    # importer strips it.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _selection(asked: builder.Asked) -> dict[str, Any]:
    labels = vocabulary("act_types")
    return {
        "country": gate.value_label("country", asked.country, asked.language),
        "years": [asked.year_from, asked.year_to],
        "types_of_act": [labels.label(code, asked.language) for code in asked.act_groups],
        "defenders_only": asked.defenders_only,
    }


def _method(prepared: builder.Prepared) -> list[str]:
    return [_(
        "Only people who agreed to publication have a case summary here. Each summary "
        "matches at least %(k)d documented cases in this selection: places are shown by "
        "region at most, and values that would single someone out are coarsened or not "
        "shown. Every story was reviewed, and names, contacts and precise places were "
        "replaced, before it was exported.") % {"k": gate.publication_k()}]


def uwazi_zip(prepared: builder.Prepared, review: builder.Review, today: date) -> bytes:
    """The ZIP for Uwazi's CSV import. Raises ValueError when a summary is not reviewed."""
    found = cases(prepared, review)
    language = prepared.asked.language
    with translation.override(language):
        held = builder.held_back_notes(prepared, review)
        notes = "\r\n".join([
            _("Case summaries published on %(day)s: %(count)d.") % {
                "day": today.isoformat(), "count": len(found)},
            "", *_method(prepared), "", _("What was held back, and why:"),
            *(f"- {note}" for note in held or [_("Nothing.")]), ""])
        readme = "\r\n".join([
            _("Import into Uwazi: create an entity template whose properties have these "
              "names and types, switch Uwazi to the language of this file (%(language)s), "
              "then import this ZIP with the template chosen.") % {
                "language": vocabulary("language").label(language, language)},
            "", *(f"{name}\t{kind}\t{what}" for name, kind, what in COLUMNS), ""])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in (("import.csv", _csv(found, language)),
                           ("held_back.txt", notes.encode("utf-8")),
                           ("README.txt", readme.encode("utf-8"))):
            archive.writestr(zipfile.ZipInfo(name, _ZIP_TIME), data,
                             compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def press_json(prepared: builder.Prepared, review: builder.Review, today: date) -> bytes:
    """One JSON document: the selection, the method, the cases, and what was held back and
    why. Raises ValueError when a summary is not reviewed."""
    found = cases(prepared, review)
    asked = prepared.asked
    with translation.override(asked.language):
        document = {
            "format": FORMAT, "version": VERSION, "language": asked.language,
            "published_on": today.isoformat(),
            "selection": _selection(asked),
            "method": _method(prepared),
            "cases": [{
                "number": case.number, "title": case.title,
                "when": gate.value_label("year", case.year, asked.language),
                "country": case.values["country"], "region": case.values["region"],
                "type_of_act": case.values["act_type"],
                "perpetrator": case.values["perpetrator_type"],
                "age": case.values["age_band"],
                "gender_identity": case.values["gender_identity"],
                "summary": case.summary, "summary_language": case.written_in,
                "translated": case.translated, "same_events_as": case.same_events_as,
            } for case in found],
            "held_back": builder.held_back_notes(prepared, review),
        }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
