"""The legislation tracker's forms: plain HTML forms (no JavaScript), in the reader's
language, with the records' vocabulary-backed base (records.forms.Coded) so that a type,
stage or relation is always a code of its list.

Stage dates are typed as 2026-03-14, or 2026-03 when only the month is known, and stored in
the documentation model's fuzzy-date shape; a date that does not exist or lies in the
future is refused with a message, never an error page.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from typing import Any, ClassVar

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kalkan.analysis.laws import COUNTRIES, country_name, month_date
from kalkan.records.forms import FIRST_YEAR, MAX_LINE, MAX_TEXT, Coded

_DATE = re.compile(r"\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\s*")


def country_choices() -> list[tuple[str, str]]:
    return [(code, country_name(code)) for code in COUNTRIES]


class StageDateField(forms.CharField):
    """A date known to the day or to the month: {"year", "month", "day", "precision",
    "approximate"} as records store fuzzy dates."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("help_text", _(
            "Year-month-day, e.g. 2026-03-14; or year-month, e.g. 2026-03, when the day is "
            "not known."))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if not text:
            return None
        match = _DATE.fullmatch(text)
        if match is None:
            raise forms.ValidationError(_(
                "Write the date as 2026-03-14, or 2026-03 when the day is not known."))
        year, month = int(match[1]), int(match[2])
        day = int(match[3]) if match[3] else None
        try:
            date = datetime.date(year, month, day or 1)
        except ValueError:
            raise forms.ValidationError(_("This date does not exist.")) from None
        if year < FIRST_YEAR:
            raise forms.ValidationError(_("This date is too long ago."))
        if date > timezone.localdate():
            raise forms.ValidationError(_(
                "This date is in the future: record what is expected as a deadline."))
        return month_date(year, month, day)


class LawForm(Coded):
    id_prefix = "law"
    coded: ClassVar[dict[str, str]] = {"type": "law_types"}

    country = forms.ChoiceField(label=_("Country"))
    type = forms.ChoiceField(label=_("Type of law"))
    title = forms.CharField(label=_("Title"), max_length=MAX_LINE, help_text=_(
        "As the team calls it, e.g. the bill on “foreign representatives”."))
    summary = forms.CharField(label=_("Short summary"), required=False, max_length=MAX_TEXT,
                              widget=forms.Textarea(attrs={"rows": 3}))
    reference = forms.CharField(label=_("Official number or reference"), required=False,
                                max_length=MAX_LINE, help_text=_(
                                    "For example the bill's number in parliament."))
    link = forms.CharField(label=_("Link"), required=False, max_length=2000, help_text=_(
        "The address of the official text. It is shown as text and never opened by Kalkan."))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=MAX_TEXT,
                            widget=forms.Textarea(attrs={"rows": 3}),
                            help_text=_("For the team only."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["country"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 (declared above)
        field.choices = [("", "—"), *country_choices()]

    def clean_link(self) -> str:
        value = (self.cleaned_data.get("link") or "").strip()
        if value and not re.match(r"^[a-z][a-z0-9+.-]*://\S+$", value, re.IGNORECASE):
            raise forms.ValidationError(_("Enter the whole address, e.g. https://…"))
        return value

    @staticmethod
    def initial_from(title: str, details: dict[str, Any]) -> dict[str, Any]:
        return {"title": title, **{name: details.get(name, "") for name in (
            "country", "type", "summary", "reference", "link", "notes")}}

    def details(self, before: dict[str, Any] | None = None) -> dict[str, Any]:
        """The sealed details, over what they were (keys this form does not know stay)."""
        data = self.cleaned_data
        return {**(before or {}), **{name: data[name] for name in (
            "country", "type", "summary", "reference", "link", "notes")}}


class StageForm(Coded):
    id_prefix = "stage"
    coded: ClassVar[dict[str, str]] = {"stage": "law_stages"}

    stage = forms.ChoiceField(label=_("Stage"))
    date = StageDateField(label=_("Date"))
    note = forms.CharField(label=_("Note"), required=False, max_length=MAX_TEXT,
                           widget=forms.Textarea(attrs={"rows": 2}), help_text=_(
                               "For example the vote, or what changed in this reading."))


class DeadlineForm(Coded):
    id_prefix = "deadline"

    due = forms.DateField(
        label=_("Due on"), input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Year-month-day, e.g. 2026-03-14."),
        error_messages={"invalid": _("Write the date as 2026-03-14.")},
    )
    what = forms.CharField(label=_("What is due"), max_length=MAX_LINE, help_text=_(
        "For example: the president has 30 days to sign; comments on the draft; a court "
        "hearing."))

    def clean_due(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["due"]
        if value.year < FIRST_YEAR:
            raise forms.ValidationError(_("This date is too long ago."))
        return value


class LawLinkForm(Coded):
    """On the event page: link the event, or one of its acts, to a law."""

    id_prefix = "lawlink"
    coded: ClassVar[dict[str, str]] = {"relation": "law_relations"}

    law = forms.ChoiceField(label=_("Law"))
    relation = forms.ChoiceField(label=_("How the event relates to it"))
    act = forms.ChoiceField(label=_("Act"), required=False)

    def __init__(self, *args: Any, laws: Iterable[tuple[str, str]] = (),
                 acts: Iterable[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        law, act = self.fields["law"], self.fields["act"]
        assert isinstance(law, forms.ChoiceField)  # noqa: S101 (declared above)
        assert isinstance(act, forms.ChoiceField)  # noqa: S101 (declared above)
        law.choices = [("", "—"), *laws]
        act.choices = [("", _("The event as a whole")), *acts]


class LawFilterForm(Coded):
    """The list's filters (GET): each empty means "any"."""

    id_prefix = "filter"
    coded: ClassVar[dict[str, str]] = {"type": "law_types", "stage": "law_stages"}
    use_required_attribute = False

    country = forms.ChoiceField(label=_("Country"), required=False)
    type = forms.ChoiceField(label=_("Type of law"), required=False)
    stage = forms.ChoiceField(label=_("Current stage"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["country"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 (declared above)
        field.choices = [("", "—"), *country_choices()]

    def wanted(self) -> dict[str, str]:
        """The filters that hold a valid value; an unknown one is ignored, not an error."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {name: cleaned[name] for name in ("country", "type", "stage")
                if cleaned.get(name)}
