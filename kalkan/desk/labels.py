"""A report's stored answers as a responder reads them: every key and every code with its
label in the reader's language, a fuzzy date as dates are shown elsewhere, nested answers
(the urgent questions) as labelled rows, and never a Python repr.

The answers are JSON written by the public form (kalkan.intake.forms). A key this module does
not know yet (a new question on the form) still gets a label: the form field's own label if
the form has that field, else the key in words; its codes are labelled through the field's
choices. So a new urgent question shows up readable on the desk before anyone touches this.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kalkan.intake.forms import (
    ACTS,
    CHANNELS,
    CONTACT_METHODS,
    COUNTRIES,
    HELP,
    LAWYER,
    PERPETRATORS,
    REPORTER_ROLES,
    OnBehalfForm,
)
from kalkan.records.consent import PURPOSES
from kalkan.records.gazetteer import REGIONS
from kalkan.records.views import date_text

# Short labels for a responder where the form's question would be long; every other key
# takes the form field's label.
KEY_LABELS: dict[str, Promise] = {
    "fuzzy_date": gettext_lazy("Date"),
    "when": gettext_lazy("When"),
    "place": gettext_lazy("Place"),
    "country": gettext_lazy("Country"),
    "region": gettext_lazy("Region"),
    "perpetrators": gettext_lazy("Perpetrators"),
    "help_wanted": gettext_lazy("Help wanted"),
    "urgent": gettext_lazy("Urgent"),
    "where_now": gettext_lazy("Where now"),
    "since_when": gettext_lazy("Since"),
    "lawyer": gettext_lazy("Lawyer"),
    "danger": gettext_lazy("In danger now"),
    "safe_now": gettext_lazy("Somewhere safe now"),
    "reach_now": gettext_lazy("How to reach safely"),
    "language": gettext_lazy("Language"),
}
VALUE_LABELS: dict[str, Iterable[tuple[str, Any]]] = {
    "reporter_role": REPORTER_ROLES,
    "acts": ACTS,
    "perpetrators": PERPETRATORS,
    "country": COUNTRIES,
    "help_wanted": HELP,
    "lawyer": LAWYER,
    "safe_now": LAWYER,
    "channel": [*CHANNELS, ("web", gettext_lazy("The public form"))],
    "contact_method": CONTACT_METHODS,
    "language": settings.LANGUAGES,
}
# Shown elsewhere on the page (the story) or never shown (the form's bookkeeping).
# The urgent kind needs no row of its own: its questions (where now / in danger now) say it.
HIDDEN = frozenset({"narrative", "kind"})


@dataclass
class Row:
    label: str
    text: str = ""
    rows: list[Row] = field(default_factory=list)


def _form_fields() -> dict[str, forms.Field]:
    # Urgent: the form with every question, those of both urgent paths included.
    return {**OnBehalfForm(urgent="danger").fields, **OnBehalfForm(urgent="detained").fields}


def _choices(choices: Iterable[tuple[Any, Any]]) -> dict[str, str]:
    """Code → label, grouped choices flattened."""
    flat: dict[str, str] = {}
    for code, label in choices:
        if isinstance(label, list | tuple):
            flat.update(_choices(label))
        elif code not in ("", None):
            flat[str(code)] = str(label)
    return flat


def _key_label(key: str, fields: Mapping[str, forms.Field]) -> str:
    if key in KEY_LABELS:
        return str(KEY_LABELS[key])
    if key in fields and fields[key].label:
        return str(fields[key].label)
    # A key nobody labelled yet: in words, never as code.
    return key.replace("_", " ").strip().capitalize() or "—"


def _code_labels(key: str, fields: Mapping[str, forms.Field]) -> dict[str, str]:
    if key in VALUE_LABELS:
        return _choices(VALUE_LABELS[key])
    choices = getattr(fields.get(key), "choices", None)
    return _choices(choices) if choices else {}


def _is_fuzzy_date(value: Mapping[str, Any]) -> bool:
    return "precision" in value and "year" in value


def _text(key: str, value: Any, fields: Mapping[str, forms.Field]) -> str:
    """One value as words (a code labelled, a list joined, a date formatted)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        if key == "region" and value in REGIONS:
            return REGIONS[value].name()
        return _code_labels(key, fields).get(value, value)
    if isinstance(value, list | tuple):
        return ", ".join(t for t in (_text(key, item, fields) for item in value) if t)
    if isinstance(value, Mapping):
        if _is_fuzzy_date(value):
            return date_text(dict(value))
        # A dict inside a list: its values in words, each with its label.
        return "; ".join(f"{row.label}: {row.text}" for row in _rows(value, fields) if row.text)
    return str(value)


def _rows(answers: Mapping[str, Any], fields: Mapping[str, forms.Field]) -> list[Row]:
    rows = []
    for key, value in answers.items():
        if key in HIDDEN:
            continue
        label = _key_label(str(key), fields)
        if isinstance(value, Mapping) and not _is_fuzzy_date(value):
            nested = _rows(value, fields)
            if nested:
                rows.append(Row(label, rows=nested))
            continue
        text = _text(str(key), value, fields)
        if text:
            rows.append(Row(label, text))
    return rows


def excerpt(narrative: str, length: int = 200) -> str:
    """The start of a story, for lists."""
    return narrative[:length] + ("…" if len(narrative) > length else "")


def answer_rows(answers: Mapping[str, Any] | None) -> list[Row]:
    """The answers (or the contact details) as labelled rows; empty answers left out."""
    return _rows(answers or {}, _form_fields())


def consent_labels(consent: Mapping[str, Any] | None) -> tuple[list[str], list[str]]:
    """What the reporter agreed to and what not, named as the consent ledger names them."""
    names = dict(PURPOSES)
    given = [str(names.get(code, _key_label(code, {}))) for code, yes in (consent or {}).items()
             if yes]
    refused = [str(names.get(code, _key_label(code, {}))) for code, yes in (consent or {}).items()
               if not yes]
    return given, refused
