"""The coding forms: plain HTML forms (no JavaScript) for events, acts, perpetrators,
sources, interventions, chains of events, persons and their consent.

Coded values are vocabulary codes (kalkan.records.vocabularies) and gazetteer codes
(kalkan.records.gazetteer); the labels are in the reader's language. Dates are fuzzy, in the
shape the public form uses: {"year", "month", "day", "precision", "approximate"}.

Several forms share the event page: each gets its own id prefix (OnCasePage), and a person
is picked from a radio list (the event's persons and those found by a search) or made new
by a second form posted with the same button.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kalkan.desk.forms import OnCasePage
from kalkan.records import gazetteer
from kalkan.records.consent import PURPOSES, STATUSES
from kalkan.records.vocabularies import vocabulary

MAX_TEXT = 20_000
MAX_LINE = 300
FIRST_YEAR = 1950
NEW = "new"  # the radio choice "someone new", beside the ids of existing persons

DatePart = dict[str, Any]


# --- fuzzy dates --------------------------------------------------------------------------


class FuzzyDateWidget(forms.MultiWidget):
    """Year and month selects, a day box and "approximately", each with its own label."""

    template_name = "records/widgets/fuzzy_date.html"
    LABELS = (_("Year"), _("Month"), _("Day"), _("Approximately"))

    def __init__(self, years: list[tuple[Any, str]]) -> None:
        super().__init__({
            "year": forms.Select(choices=years),
            "month": forms.Select(choices=[("", "—"), *MONTHS.items()]),
            "day": forms.NumberInput(attrs={"min": 1, "max": 31}),
            "approximate": forms.CheckboxInput(),
        })

    def decompress(self, value: Any) -> list[Any]:
        if not isinstance(value, dict):
            return [None, None, None, False]
        return [value.get("year"), value.get("month"), value.get("day"),
                bool(value.get("approximate"))]

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["parts"] = list(zip(context["widget"]["subwidgets"], self.LABELS,
                                              strict=True))
        return context


class FuzzyDateField(forms.MultiValueField):
    """A date known to the day, the month, the year or not at all, perhaps approximately."""

    def __init__(self, **kwargs: Any) -> None:
        this_year = timezone.now().year
        years = [("", "—"), *((year, str(year)) for year in range(this_year + 1, FIRST_YEAR - 1,
                                                                   -1))]
        fields = (
            forms.TypedChoiceField(choices=years, coerce=int, required=False, empty_value=None),
            forms.TypedChoiceField(choices=[("", "—"), *MONTHS.items()], coerce=int,
                                   required=False, empty_value=None),
            forms.IntegerField(min_value=1, max_value=31, required=False),
            forms.BooleanField(required=False),
        )
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("As far as it is known: the year alone is fine."))
        super().__init__(fields, require_all_fields=False, widget=FuzzyDateWidget(years),
                         **kwargs)

    def compress(self, data_list: list[Any]) -> DatePart:
        year, month, day, approximate = [*data_list, None, None, None, None][:4]
        if (month or day) and not year:
            raise forms.ValidationError(_("Choose the year first."))
        if day and not month:
            raise forms.ValidationError(_("Choose the month first."))
        if year:
            try:
                date = datetime.date(year, month or 1, day or 1)
            except ValueError:
                raise forms.ValidationError(_("This date does not exist.")) from None
            if date > timezone.now().date():
                raise forms.ValidationError(_("This date is in the future."))
        precision = "day" if day else "month" if month else "year" if year else "unknown"
        return {"year": year, "month": month, "day": day, "precision": precision,
                "approximate": bool(approximate)}


def _earliest(date: DatePart | None) -> tuple[int, int, int] | None:
    if not date or not date.get("year"):
        return None
    return (date["year"], date.get("month") or 1, date.get("day") or 1)


def _latest(date: DatePart | None) -> tuple[int, int, int] | None:
    if not date or not date.get("year"):
        return None
    return (date["year"], date.get("month") or 12, date.get("day") or 31)


def check_order(form: forms.Form, start: str = "start", end: str = "end") -> None:
    """An end that is surely before the start is a slip: say so."""
    first = _earliest(form.cleaned_data.get(start))
    last = _latest(form.cleaned_data.get(end))
    if first and last and last < first:
        form.add_error(end, _("The end is before the start."))


# --- coded values ---------------------------------------------------------------------------


def _language() -> str:
    return (get_language() or settings.LANGUAGE_CODE)[:2]


def _with_retired(name: str, language: str, current: list[str]) -> list[tuple[str, str]]:
    """The active terms, plus any retired ones the record already holds: a term taken out
    of use must not make an old record impossible to save."""
    vocab = vocabulary(name)
    options = vocab.choices(language)
    offered = {code for code, _label in options}
    retired = [code for code in current if code and code not in offered and vocab.get(code)]
    if not retired:
        return options
    return [(code, text) for code, text in vocab.choices(language, include_inactive=True)
            if code in offered or code in retired]


def place_choices() -> list[Any]:
    return [("", "—"), *gazetteer.choices(_language())]


class Coded(OnCasePage):
    """A form whose select and checkbox fields take their options from vocabularies, in the
    reader's language: `coded = {"field": "vocabulary"}`. A select gets an empty option
    first; a multiple choice gets none."""

    coded: ClassVar[dict[str, str]] = {}
    places: ClassVar[tuple[str, ...]] = ()  # fields that pick from the gazetteer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = _language()
        for name, vocabulary_name in self.coded.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)  # noqa: S101 (declared so)
            options = _with_retired(vocabulary_name, language, self._current(name))
            if isinstance(field, forms.MultipleChoiceField):
                field.choices = options
            else:
                field.choices = [("", "—"), *options]
        for name in self.places:
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)  # noqa: S101 (declared so)
            field.choices = place_choices()

    def _current(self, name: str) -> list[str]:
        """The codes the field holds now: posted, or the record's own."""
        html_name = self.add_prefix(name)
        if self.is_bound:
            return [str(v) for v in self.data.getlist(html_name)] if hasattr(
                self.data, "getlist") else [str(self.data.get(html_name) or "")]
        value = self.initial.get(name)
        return [str(v) for v in value] if isinstance(value, list) else [str(value or "")]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, value in data.items():
            if isinstance(value, str) and "\x00" in value:
                self.add_error(name, _("This text contains characters that cannot be stored."))
        return data


def _select(label: Any, *, required: bool = False, help_text: Any = "") -> forms.ChoiceField:
    return forms.ChoiceField(label=label, required=required, help_text=help_text)


def _several(label: Any, *, help_text: Any = "") -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(label=label, required=False, help_text=help_text,
                                     widget=forms.CheckboxSelectMultiple)


def _text(label: Any, *, required: bool = False, max_length: int = MAX_LINE,
          help_text: Any = "") -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=max_length,
                           help_text=help_text)


def _long(label: Any, *, rows: int = 3, help_text: Any = "") -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=MAX_TEXT, help_text=help_text,
                           widget=forms.Textarea(attrs={"rows": rows}))


def _yes_no(label: Any) -> forms.NullBooleanField:
    return forms.NullBooleanField(label=label, required=False,
                                  widget=forms.NullBooleanSelect)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


# --- persons --------------------------------------------------------------------------------

SOGIESC = (
    ("sexual_orientation", _("Sexual orientation")),
    ("gender_identity", _("Gender identity")),
    ("gender_expression", _("Gender expression")),
    ("sex_characteristics", _("Sex characteristics")),
)


class PersonForm(Coded):
    """A person's pseudonym and profile. Sexual orientation, gender identity, gender
    expression and sex characteristics are separate and optional, each with the person's
    own words beside the code."""

    id_prefix = "person"
    coded: ClassVar[dict[str, str]] = {
        "kind": "person_kind", "age_band": "age_band", "sexual_orientation": "sexual_orientation",
        "gender_identity": "gender_identity", "gender_expression": "gender_expression",
        "sex_characteristics": "sex_characteristics", "occupation": "occupation",
        "characteristics": "victim_characteristics",
    }
    brief: ClassVar[tuple[str, ...]] = ()

    pseudonym = _text(_("Pseudonym"), max_length=200, help_text=_(
        "The name pages show. Never the real name: that goes in the real names, which are "
        "shown only on request."))
    kind = _select(_("Individual or collective"))
    head_count = forms.IntegerField(
        label=_("How many people"), required=False, min_value=1, max_value=1_000_000,
        help_text=_("For a group, family, organisation or community: how many people it is "
                    "(for example 16 staff). Empty: one person."))
    age_band = _select(_("Age"))
    sexual_orientation = _select(_("Sexual orientation"))
    sexual_orientation_self = _text(_("Sexual orientation in their own words"))
    gender_identity = _select(_("Gender identity"))
    gender_identity_self = _text(_("Gender identity in their own words"))
    gender_expression = _select(_("Gender expression"))
    gender_expression_self = _text(_("Gender expression in their own words"))
    sex_characteristics = _select(_("Sex characteristics"))
    sex_characteristics_self = _text(_("Sex characteristics in their own words"))
    occupation = _select(_("Occupation"))
    characteristics = _several(_("Characteristics"), help_text=_(
        "For example a human rights defender, a journalist, a person living with HIV."))
    hrd_role = _text(_("Role as a human rights defender"))
    organisation = _text(_("Organisation"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (data.get("head_count") or 1) > 1 and data.get("kind") == "individual":
            self.add_error("head_count", _(
                "An individual is one person: choose a kind of collective, or leave this "
                "empty."))
        return data

    def __init__(self, *args: Any, needed: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.needed = needed
        self.fields["pseudonym"].required = needed
        if self.brief:
            for name in list(self.fields):
                if name not in self.brief:
                    del self.fields[name]

    @staticmethod
    def initial_from(pseudonym: str, profile: dict[str, Any]) -> dict[str, Any]:
        initial: dict[str, Any] = {"pseudonym": pseudonym}
        for name in ("kind", "age_band", "occupation", "hrd_role", "organisation"):
            initial[name] = profile.get(name) or ""
        initial["characteristics"] = list(profile.get("characteristics") or [])
        initial["head_count"] = profile.get("head_count")
        for name, _label in SOGIESC:
            value = profile.get(name) or {}
            if not isinstance(value, dict):
                value = {"code": str(value), "self_described": ""}
            initial[name] = value.get("code") or ""
            initial[f"{name}_self"] = value.get("self_described") or ""
        return initial

    def profile(self, before: dict[str, Any] | None = None) -> dict[str, Any]:
        """The profile as stored, over what it was (keys this form does not know stay)."""
        data = self.cleaned_data
        out = dict(before or {})
        for name in ("kind", "age_band", "occupation", "hrd_role", "organisation",
                     "characteristics"):
            if name in self.fields:
                out[name] = data.get(name) or ([] if name == "characteristics" else "")
        if "head_count" in self.fields:
            out["head_count"] = data.get("head_count")  # None: one person
        for name, _label in SOGIESC:
            if name in self.fields:
                out[name] = {"code": data.get(name) or "",
                             "self_described": data.get(f"{name}_self") or ""}
        return out


class NewPersonForm(PersonForm):
    """Someone not yet in the records, posted with the act or perpetrator form; checked
    only when "someone new" is chosen."""

    id_prefix = "new"
    use_required_attribute = False


class NewVictimForm(NewPersonForm):
    """Someone new who suffered an act: when the event was coded from a report whose writer
    says it happened to them (or to their organisation), the coder can say the new person is
    that reporter, and the consent they gave on the form goes into the person's ledger."""

    def __init__(self, *args: Any, reports: list[tuple[str, str]] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if reports:
            self.fields["reporter"] = forms.ChoiceField(
                label=_("Is this the person who reported it?"), required=False,
                choices=[("", _("No, or not known")), *reports],
                help_text=_("Their answers on the form about consent go into their ledger: "
                            "ticked as given, left unticked as refused."))


class NewPerpetratorForm(NewPersonForm):
    id_prefix = "newperp"
    brief = ("pseudonym", "kind", "occupation", "organisation")


class IdentityForm(OnCasePage):
    """Real names and contacts: sealed apart, shown only on request."""

    id_prefix = "identity"

    names = _long(_("Real names, one a line"))
    contacts = _long(_("Contacts, one a line"), help_text=_("Phone numbers, handles, addresses."))
    notes = _long(_("Notes"))

    def identity(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"names": _lines(data["names"]), "contacts": _lines(data["contacts"]),
                "notes": data["notes"]}


class ConsentForm(OnCasePage):
    id_prefix = "consent"

    purpose = forms.ChoiceField(label=_("Purpose"), choices=PURPOSES)
    # "withdrawn": given before and taken back; "refused": asked, and the answer was no.
    given = forms.ChoiceField(label=_("Statement"), widget=forms.RadioSelect,
                              choices=STATUSES)
    on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}),
                         help_text=_("Year-month-day, e.g. 2026-03-14."))
    how = _text(_("How it was given or withdrawn"), required=True,
                help_text=_("For example: in person, by phone, in the reporting form."))
    partner = _text(_("Partner organisation (for a referral)"), help_text=_(
        "Leave empty when the consent is for any partner."))

    def clean_on(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["on"]
        if value > timezone.now().date():
            raise forms.ValidationError(_("This date is in the future."))
        return value


# --- events ---------------------------------------------------------------------------------


class EventForm(Coded):
    id_prefix = "event"
    coded: ClassVar[dict[str, str]] = {"violation_status": "violation_status",
                                       "monitoring_status": "monitoring_status"}
    places = ("place",)

    title = _text(_("Title"), required=True, help_text=_(
        "Short, for the team only; it is encrypted like everything else."))
    description = _long(_("What happened"), rows=6)
    start = FuzzyDateField(label=_("Began"))
    end = FuzzyDateField(label=_("Ended"))
    place = _select(_("Place"))
    place_detail = _text(_("Place in more detail"), help_text=_(
        "A street, a building: kept encrypted and never published."))
    violation_status = _select(_("Violation status"))
    monitoring_status = _select(_("Monitoring status"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        check_order(self)
        return data

    @staticmethod
    def initial_from(fields: dict[str, Any]) -> dict[str, Any]:
        details = fields.get("details") or {}
        place = details.get("place") or {}
        return {"title": fields.get("title", ""), "description": fields.get("description", ""),
                "start": details.get("start"), "end": details.get("end"),
                "place": place.get("code", ""), "place_detail": place.get("detail", ""),
                "violation_status": details.get("violation_status", ""),
                "monitoring_status": details.get("monitoring_status", "")}

    def details(self, before: dict[str, Any] | None = None) -> dict[str, Any]:
        data = self.cleaned_data
        return {**(before or {}), "start": data["start"], "end": data["end"],
                "place": {"code": data["place"], "detail": data["place_detail"]},
                "violation_status": data["violation_status"],
                "monitoring_status": data["monitoring_status"]}


# --- picking a person ---------------------------------------------------------------------


class PersonPick(forms.CharField):
    """A radio list of persons (and "someone new"); any person the form is given as
    allowed may be chosen, even one not listed on this rendering of the page."""

    def __init__(self, *, label: Any, new: Any = None, none: Any = None, **kwargs: Any) -> None:
        self.new_label = new
        self.none_label = none
        kwargs.setdefault("required", none is None)
        super().__init__(label=label, widget=forms.RadioSelect, **kwargs)

    def offer(self, options: Iterable[tuple[str, str]]) -> None:
        choices = [(pk, label) for pk, label in options]
        if self.none_label is not None:
            choices.insert(0, ("", self.none_label))
        if self.new_label is not None:
            choices.append((NEW, self.new_label))
        self.widget.choices = choices


class Picks(Coded):
    """A form with PersonPick fields, validated against the persons it may link."""

    def __init__(self, *args: Any, options: Iterable[tuple[str, str]] = (),
                 allowed: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed = allowed
        options = list(options)
        for field in self.fields.values():
            if isinstance(field, PersonPick):
                field.offer(options)

    def picked(self, name: str) -> Any:
        """The chosen Person, NEW, or None."""
        return self.cleaned_data.get(f"{name}_person")

    def _clean_pick(self, name: str) -> str:
        value: str = self.cleaned_data.get(name) or ""
        field = self.fields[name]
        assert isinstance(field, PersonPick)  # noqa: S101 (only called for picks)
        if not value:
            self.cleaned_data[f"{name}_person"] = None
            return value
        if value == NEW and field.new_label is not None:
            self.cleaned_data[f"{name}_person"] = NEW
            return value
        person = None
        if self.allowed is not None and re.fullmatch(r"[0-9a-fA-F-]{32,36}", value):
            person = self.allowed.filter(pk=value).first()
        if person is None:
            raise forms.ValidationError(_("Choose someone from the list."))
        self.cleaned_data[f"{name}_person"] = person
        return value


# --- acts -----------------------------------------------------------------------------------


class ActForm(Picks):
    """One act against one victim, with the optional subformats of the ESF."""

    id_prefix = "act"
    coded: ClassVar[dict[str, str]] = {
        "type": "act_types", "type_of_place": "type_of_place", "methods": "methods_of_violence",
        "consequences": "consequences", "victim_characteristics": "victim_characteristics",
        "rights": "rights", "detention_type": "detention_types",
        "torture_methods": "methods_of_violence", "torture_intent": "torture_intent",
        "killing_type": "killing_types", "extortion_currency": "currencies",
        "extortion_payment_method": "payment_methods",
        "extortion_disclosure_threatened_to": "disclosure_threatened_to",
        "digital_platform": "platforms", "digital_content_type": "digital_content_types",
        "digital_takedown_outcome": "takedown_outcome",
    }
    places = ("place",)

    victim = PersonPick(label=_("Victim"), new=_("Someone new (describe them below)"))
    type = _select(_("Type of act"), required=True)
    start = FuzzyDateField(label=_("Began"))
    end = FuzzyDateField(label=_("Ended"))
    place = _select(_("Place"), help_text=_("Leave empty if it is the event's place."))
    place_detail = _text(_("Place in more detail"))
    type_of_place = _select(_("Type of place"))
    methods = _several(_("Methods of violence"))
    stated_reason = _text(_("Reason given by the perpetrators"), max_length=2000)
    consequences = _several(_("Consequences"))
    victim_characteristics = _several(_("The victim at the time"), help_text=_(
        "What the victim was when it happened: a human rights defender, a minor, …"))
    rights = _several(_("Rights affected"))
    notes = _long(_("Notes"))

    detention_applies = forms.BooleanField(label=_("Detention applies"), required=False)
    detention_type = _select(_("Type of detention"))
    detention_whereabouts_acknowledged = _yes_no(_("Whereabouts acknowledged"))
    detention_legal_counsel = _yes_no(_("Access to a lawyer"))
    detention_forced_statements = _yes_no(_("Forced to make statements"))
    detention_medical_attention = _yes_no(_("Medical attention given"))

    torture_applies = forms.BooleanField(label=_("Torture or ill-treatment applies"),
                                         required=False)
    torture_methods = _several(_("Methods"))
    torture_intent = _several(_("Intent"))

    killing_applies = forms.BooleanField(label=_("Killing applies"), required=False)
    killing_type = _select(_("Type of killing"))
    killing_circumstances = _long(_("Circumstances"))
    killing_investigated = _yes_no(_("Investigation opened"))

    extortion_applies = forms.BooleanField(label=_("Extortion applies"), required=False)
    extortion_amount = forms.DecimalField(label=_("Amount"), required=False, min_value=0,
                                          max_digits=14, decimal_places=2)
    extortion_currency = _select(_("Currency"))
    extortion_payment_method = _select(_("Payment method"))
    extortion_repeated = _yes_no(_("Repeated demands"))
    extortion_disclosure_threatened_to = _several(_("Threatened to tell"))

    digital_applies = forms.BooleanField(label=_("Digital harm applies"), required=False)
    digital_platform = _select(_("Platform"))
    digital_content_type = _select(_("Type of content"))
    digital_reach = forms.IntegerField(label=_("Reach (views or shares, roughly)"),
                                       required=False, min_value=0)
    digital_handles = _long(_("Account handles, one a line"), rows=2,
                            help_text=_("Sensitive: kept encrypted."))
    digital_url = _text(_("Address (URL)"), max_length=2000)
    digital_capture_hash = _text(_("SHA-256 of the capture"), max_length=64)
    digital_captured_at = forms.DateTimeField(
        label=_("Captured at"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text=_("Year-month-day and time, e.g. 2026-03-14 18:00 (UTC)."),
    )
    digital_takedown_outcome = _select(_("Takedown request and outcome"))

    MAIN: ClassVar[tuple[str, ...]] = (
        "type", "start", "end", "place", "place_detail", "type_of_place", "methods",
        "stated_reason", "consequences", "victim_characteristics", "rights", "notes",
    )
    SUBFORMATS: ClassVar[tuple[tuple[str, Any], ...]] = (
        ("detention", _("Detention")),
        ("torture", _("Torture and ill-treatment")),
        ("killing", _("Killing")),
        ("extortion", _("Extortion")),
        ("digital", _("Digital harm")),
    )

    def clean_victim(self) -> str:
        return self._clean_pick("victim")

    def clean_digital_capture_hash(self) -> str:
        value = (self.cleaned_data.get("digital_capture_hash") or "").strip().lower()
        if value and not re.fullmatch(r"[0-9a-f]{64}", value):
            raise forms.ValidationError(_("A SHA-256 is 64 characters 0-9 and a-f."))
        return value

    def clean_digital_url(self) -> str:
        value = (self.cleaned_data.get("digital_url") or "").strip()
        if value and not re.match(r"^[a-z][a-z0-9+.-]*://\S+$", value, re.IGNORECASE):
            raise forms.ValidationError(_("Enter the whole address, e.g. https://…"))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        check_order(self)
        for key, _title in self.SUBFORMATS:
            if data.get(f"{key}_applies"):
                continue
            filled = [name for name in self._sub_names(key)
                      if data.get(name) not in (None, "", [], False)]
            if filled:
                self.add_error(f"{key}_applies", _(
                    "Tick this to keep the details below, or clear them."))
        return data

    def _sub_names(self, key: str) -> list[str]:
        return [name for name in self.fields
                if name.startswith(f"{key}_") and name != f"{key}_applies"]

    def main(self) -> list[forms.BoundField]:
        return [self[name] for name in self.MAIN]

    def subformats(self) -> list[dict[str, Any]]:
        """For the template: each subformat's "applies" box and its fields."""
        return [
            {"key": key, "title": title, "applies": self[f"{key}_applies"],
             "fields": [self[name] for name in self._sub_names(key)],
             "open": any(self[name].errors for name in [f"{key}_applies",
                                                        *self._sub_names(key)])}
            for key, title in self.SUBFORMATS
        ]

    def details(self) -> dict[str, Any]:
        data = self.cleaned_data
        out: dict[str, Any] = {
            "type": data["type"], "start": data["start"], "end": data["end"],
            "place": {"code": data["place"], "detail": data["place_detail"]},
            "type_of_place": data["type_of_place"], "methods": data["methods"],
            "stated_reason": data["stated_reason"], "consequences": data["consequences"],
            "victim_characteristics": data["victim_characteristics"], "rights": data["rights"],
            "notes": data["notes"],
        }
        for key, _title in self.SUBFORMATS:
            if not data.get(f"{key}_applies"):
                continue
            sub: dict[str, Any] = {}
            for name in self._sub_names(key):
                value = data.get(name)
                short = name[len(key) + 1:]
                if isinstance(value, Decimal):
                    value = str(value)
                elif isinstance(value, datetime.datetime):
                    value = value.isoformat()
                elif short == "handles":
                    value = _lines(value or "")
                sub[short] = value
            out[key] = sub
        return out


class ActEditForm(ActForm):
    """Correcting an act already coded: everything but the victim (an act against someone
    else is another act)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["victim"]

    @staticmethod
    def initial_from(details: dict[str, Any]) -> dict[str, Any]:
        """The form's values from a stored act: the inverse of ActForm.details()."""
        place = details.get("place") or {}
        initial: dict[str, Any] = {
            name: details.get(name) for name in ActForm.MAIN
            if name not in ("place", "place_detail")}
        initial.update({"place": place.get("code", ""), "place_detail": place.get("detail", "")})
        for key, _title in ActForm.SUBFORMATS:
            sub = details.get(key)
            if not isinstance(sub, dict):
                continue
            initial[f"{key}_applies"] = True
            for short, value in sub.items():
                if short == "handles" and isinstance(value, list):
                    value = "\n".join(value)
                initial[f"{key}_{short}"] = value
        return {name: value for name, value in initial.items() if value is not None}

    def details_over(self, before: dict[str, Any]) -> dict[str, Any]:
        """The stored act with the form's values: subformats no longer ticked go."""
        kept = {name: value for name, value in before.items()
                if name not in dict(self.SUBFORMATS)}
        return {**kept, **self.details()}


class InvolvementForm(Picks):
    """A perpetrator of one or several of the event's acts (ticked: police on eight acts is
    one form)."""

    id_prefix = "perpetrator"
    coded: ClassVar[dict[str, str]] = {
        "perpetrator_types": "perpetrator_types", "degree": "degree_of_involvement",
        "status_after": "perpetrator_status_after",
    }

    act = forms.MultipleChoiceField(
        label=_("Acts"), widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick every act this perpetrator took part in."))
    perpetrator = PersonPick(label=_("Perpetrator"), new=_(
        "Someone new (name them below: a person, a unit, an account)"))
    perpetrator_types = _several(_("Type of perpetrator"))
    degree = _select(_("Degree of involvement"))
    status_after = _select(_("Status afterwards"))
    notes = _long(_("Notes"))

    def __init__(self, *args: Any, acts: Iterable[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["act"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 (declared above)
        field.choices = list(acts)

    def clean_perpetrator(self) -> str:
        return self._clean_pick("perpetrator")

    def details(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"perpetrator_types": data["perpetrator_types"], "degree": data["degree"],
                "status_after": data["status_after"], "notes": data["notes"]}


class InformationForm(Picks):
    """Where what we know comes from, and how far to trust it."""

    id_prefix = "source"
    coded: ClassVar[dict[str, str]] = {
        "source_type": "source_types", "connection": "connection_to_information",
        "reliability": "reliability", "language": "language",
    }

    source = PersonPick(label=_("Who the information comes from"),
                        none=_("No one in these records"))
    source_type = _select(_("Type of source"), required=True)
    connection = _select(_("Connection to the information"))
    reliability = _select(_("Reliability"), required=True)
    date = FuzzyDateField(label=_("Date of the source material"))
    language = _select(_("Language"))
    notes = _long(_("Notes"))

    def clean_source(self) -> str:
        return self._clean_pick("source")

    def details(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {name: data[name] for name in ("source_type", "connection", "reliability", "date",
                                              "language", "notes")}


class InterventionForm(Picks):
    id_prefix = "intervention"
    coded: ClassVar[dict[str, str]] = {
        "party_type": "intervening_parties", "type": "intervention_types",
        "status": "intervention_status",
    }

    party_type = _select(_("Who intervened"), required=True)
    type = _select(_("Type of intervention"), required=True)
    victim = PersonPick(label=_("On behalf of"), none=_("The event as a whole"))
    date = FuzzyDateField(label=_("Date"))
    response = _long(_("Response"))
    impact = _long(_("Impact"))
    status = _select(_("Status"))
    notes = _long(_("Notes"))

    def clean_victim(self) -> str:
        return self._clean_pick("victim")

    def details(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {name: data[name] for name in ("party_type", "type", "date", "response", "impact",
                                              "status", "notes")}


class LinkForm(Coded):
    """A link to another event, picked from the events found by words (LinkFindForm): any
    event the form is given as allowed may be chosen, even one not listed on this page."""

    id_prefix = "link"
    coded: ClassVar[dict[str, str]] = {"relation": "chain_relations"}

    to_event = forms.CharField(label=_("Other event"), widget=forms.RadioSelect,
                               error_messages={"required": _(
                                   "Find the other event by words and choose it.")})
    relation = _select(_("This event … the other"), required=True)
    notes = _long(_("Notes"), rows=2)

    def __init__(self, *args: Any, events: Iterable[tuple[str, str]] = (),
                 allowed: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed = allowed
        self.fields["to_event"].widget.choices = list(events)

    def clean_to_event(self) -> Any:
        """The chosen Event (from `allowed`)."""
        value = self.cleaned_data.get("to_event") or ""
        other = None
        if self.allowed is not None and re.fullmatch(r"[0-9a-fA-F-]{32,36}", value):
            other = self.allowed.filter(pk=value).first()
        if other is None:
            raise forms.ValidationError(_("Choose an event from the list."))
        return other


class LinkFindForm(OnCasePage):
    """The search box that finds the event to link to (a GET form, no JavaScript)."""

    id_prefix = "linkfind"

    link_find = forms.CharField(label=_("Find the other event by words"), max_length=200,
                                required=False,
                                help_text=_("Words of its title or description."))


class FindForm(forms.Form):
    find = forms.CharField(label=_("Find a person by pseudonym"), max_length=200,
                           required=False, help_text=_("Any spelling, Cyrillic or Latin."))
