"""The reporting form: plain questions, nothing pre-ticked, everything optional but the story.

Choices carry stable codes (left) that the documentation model's vocabularies take over;
labels are what a frightened person reads (right).
"""

from __future__ import annotations

import datetime
import functools
from typing import Any

from django import forms
from django.utils import timezone, translation
from django.utils.dates import MONTHS
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kalkan.intake.services import Submission
from kalkan.records.gazetteer import REGIONS, regions_of

MAX_NARRATIVE = 20_000
MAX_LINE = 300

REPORTER_ROLES = [
    ("self", _("It happened to me")),
    ("witness", _("I saw it happen")),
    ("relative", _("It happened to a relative or friend")),
    ("organisation", _("I report for an organisation")),
]
ACTS = [
    ("detention", _("Detained or arrested")),
    ("assault", _("Beaten or physically hurt")),
    ("sexual_violence", _("Sexual violence")),
    ("threats", _("Threatened")),
    ("extortion", _("Money demanded (extortion, blackmail)")),
    ("entrapment", _("Lured through a dating app or social media")),
    ("outing", _("Outed, or private information published")),
    ("forced_disclosure", _("Forced to give other people's names or contacts")),
    ("device_search", _("Phone or computer searched or taken")),
    ("online_harassment", _("Harassed online")),
    ("family_violence", _("Violence or pressure from family")),
    ("discrimination", _("Refused work, housing, health care or education")),
    ("surveillance", _("Watched, followed or spied on")),
    ("raid", _("Home, office or a meeting place broken into or raided")),
    ("disinformation", _("Lies spread about me or us (disinformation)")),
    ("event_disruption", _("A meeting, event or rally disrupted or banned")),
    ("fabricated_charges", _("Fined or charged on false grounds")),
    ("lawyer_denied", _("Not allowed to see a lawyer or to contact family")),
    ("other", _("Something else")),
]
PERPETRATORS = [
    ("police", _("Police")),
    ("security_service", _("Security service")),
    ("military", _("Military")),
    ("officials", _("Officials or politicians")),
    ("family", _("Family or relatives")),
    ("partner", _("A partner")),
    ("strangers", _("Strangers")),
    ("online_accounts", _("Online accounts or trolls")),
    ("employer", _("Employer, landlord or doctor")),
    ("unknown", _("I do not know")),
]
COUNTRIES = [
    ("", _("Choose a country")),
    ("KG", _("Kyrgyzstan")),
    ("KZ", _("Kazakhstan")),
    ("UZ", _("Uzbekistan")),
    ("TJ", _("Tajikistan")),
    ("TM", _("Turkmenistan")),
    ("RU", _("Russia")),
    ("other", _("Another country")),
]
HELP = [
    ("legal", _("A lawyer or legal advice")),
    ("medical", _("Medical help")),
    ("shelter", _("A safe place to stay")),
    ("relocation", _("Help to move somewhere safer")),
    ("psychological", _("Someone to talk to")),
    ("digital_security", _("Help with phone or account security")),
    ("document_only", _("No help, just record what happened")),
]
CONSENTS = [
    ("services", _("Our team may use this to help you.")),
    (
        "referral",
        _("We may share what is needed with a trusted partner organisation, only to help you."),
    ),
    ("statistics", _("We may count it in statistics that never show who you are.")),
    ("un_submission", _("We may tell it without your name in a report to the United Nations.")),
    ("media", _("We may tell it without your name to journalists.")),
    ("contact_back", _("We may contact you in the way you give below.")),
]
CONTACT_METHODS = [
    ("", _("Do not contact me")),
    ("signal", "Signal"),
    ("telegram", "Telegram"),
    ("whatsapp", "WhatsApp"),
    ("phone", _("Phone call")),
    ("email", _("E-mail")),
    ("other", _("Another way")),
]
LAWYER = [("yes", _("Yes")), ("no", _("No")), ("unknown", _("I do not know"))]
# The questions each urgent path asks first; the kind itself is sealed with the answers.
URGENT_FIELDS = {
    "detained": ("where_now", "since_when", "lawyer", "reach_now"),
    "danger": ("danger", "safe_now", "reach_now"),
}


def _text(label: Any, *, required: bool = False, max_length: int = MAX_LINE) -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=max_length)


class _SharedChoices:
    """A choice field whose choices every copy of the form shares. Django deep-copies each
    field's choices for every form it builds, lazy labels included: on the public form,
    built for every visitor, that was a tenth of the server's time per report (py-spy,
    benchmarks/intake.py). The choices here are never changed in place, so a copy of the
    field keeps the same (immutable) choices; its widget still gets a copy of its own."""

    _choices: Any

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        result = forms.Field.__deepcopy__(self, memo)  # type: ignore[type-var]
        result._choices = self._choices
        return result


class ChoiceField(_SharedChoices, forms.ChoiceField):
    pass


class TypedChoiceField(_SharedChoices, forms.TypedChoiceField):
    pass


class MultipleChoiceField(_SharedChoices, forms.MultipleChoiceField):
    pass


@functools.lru_cache(maxsize=8)
def _regions_in(language: str) -> tuple[tuple[str, Any], ...]:
    with translation.override(language or None):
        return (("", "—"), *(
            (str(label), tuple((r.code, r.name()) for r in regions_of(code)))
            for code, label in COUNTRIES if regions_of(code)))


def _region_choices() -> tuple[tuple[str, Any], ...]:
    """Regions grouped by country, named in the reader's language (no script needed); made
    once per language, read when the form is shown or checked."""
    return _regions_in(get_language() or "")


@functools.lru_cache(maxsize=2)
def _years_back_from(this_year: int) -> tuple[tuple[Any, str], ...]:
    return (("", "—"), *((year, str(year)) for year in range(this_year, this_year - 30, -1)))


def _year_choices() -> tuple[tuple[Any, str], ...]:
    return _years_back_from(timezone.now().year)


class ReportForm(forms.Form):
    reporter_role = ChoiceField(
        label=_("Who is telling us?"), choices=REPORTER_ROLES, widget=forms.RadioSelect
    )
    narrative = forms.CharField(
        label=_("What happened? Tell it in your own words."),
        max_length=MAX_NARRATIVE,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    acts = MultipleChoiceField(
        label=_("What was done?"), choices=ACTS, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    perpetrators = MultipleChoiceField(
        label=_("Who did it?"), choices=PERPETRATORS, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    when = _text(_("When did it happen? A rough date is fine (for example: March 2026)."))
    # The same date as far as it is known (the documentation model's fuzzy date).
    when_year = TypedChoiceField(
        label=_("Year"), coerce=int, required=False, empty_value=None, choices=_year_choices
    )
    when_month = TypedChoiceField(
        label=_("Month"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", "—"), *((m, name) for m, name in MONTHS.items())],
    )
    when_day = forms.IntegerField(label=_("Day"), min_value=1, max_value=31, required=False)
    when_approximate = forms.BooleanField(label=_("Approximately"), required=False)
    country = ChoiceField(label=_("Country"), choices=COUNTRIES, required=False)
    region = ChoiceField(label=_("Region"), required=False, choices=_region_choices)
    place = _text(_("Town or region (optional)"))
    help_wanted = MultipleChoiceField(
        label=_("What help would you like?"), choices=HELP, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    consent = MultipleChoiceField(
        label=_("What may we do with what you tell us? Tick only what you agree to."),
        choices=CONSENTS, required=False, widget=forms.CheckboxSelectMultiple,
    )
    contact_method = ChoiceField(
        label=_("How may we reach you safely?"), choices=CONTACT_METHODS, required=False
    )
    contact_details = _text(_("Number, username or address for that way"))
    safe_times = _text(_("When is it safe to contact you?"))
    code_word = _text(_("A code word we should use, so you know it is us"))

    def __init__(self, *args: Any, urgent: bool | str = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "detained" or "danger" (the two urgent paths), "" otherwise; True (staff entering
        # an urgent report on someone's behalf) is the detention path.
        self.urgent = "detained" if urgent is True else urgent or ""
        if self.urgent == "detained":
            self.fields["where_now"] = _text(
                _("Where is the person now (police station, address)?"), required=True
            )
            self.fields["since_when"] = _text(_("Since when?"), required=True)
            self.fields["lawyer"] = forms.ChoiceField(
                label=_("Is there a lawyer with them?"), choices=LAWYER,
                widget=forms.RadioSelect, required=False,
            )
            self.fields["reach_now"] = _text(_("How can we reach someone there right now?"))
        elif self.urgent == "danger":
            # Surveillance, threats, someone at the door: nothing here is demanded.
            self.fields["danger"] = forms.CharField(
                label=_("What is the danger? (for example: followed, threatened, someone "
                        "knows where you live)"),
                required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
            )
            self.fields["safe_now"] = forms.ChoiceField(
                label=_("Are you somewhere safe right now?"), choices=LAWYER,
                widget=forms.RadioSelect, required=False,
            )
            self.fields["reach_now"] = _text(_("How can we reach you safely right now?"))

    @property
    def urgent_fields(self) -> list[forms.BoundField]:
        """The questions of the urgent path, asked first."""
        return [self[name] for name in URGENT_FIELDS.get(self.urgent, ())]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["fuzzy_date"] = self._fuzzy_date(data)
        if data.get("region"):
            # The region decides the country; a mismatch would only be a slip of the finger.
            data["country"] = REGIONS[data["region"]].country
        if data.get("contact_method") and not data.get("contact_details"):
            self.add_error(
                "contact_details",
                _("Tell us where to reach you, or choose not to be contacted."),
            )
        for name, value in list(data.items()):
            if isinstance(value, str) and "\x00" in value:
                self.add_error(name, _("This text contains characters that cannot be stored."))
        return data

    def submission(self, channel: str = "web") -> Submission:
        """The validated answers as the intake service stores them."""
        data = self.cleaned_data
        answers: dict[str, Any] = {
            name: data.get(name)
            for name in ("reporter_role", "acts", "perpetrators", "when", "fuzzy_date",
                         "country", "region", "place", "help_wanted")
        }
        if self.urgent:
            answers["urgent"] = {
                "kind": self.urgent,
                **{name: data.get(name) for name in URGENT_FIELDS[self.urgent]},
            }
        answers["channel"] = channel
        answers["language"] = get_language()
        return Submission(
            narrative=data["narrative"],
            answers=answers,
            contact={
                name: data.get(name) or ""
                for name in ("contact_method", "contact_details", "safe_times", "code_word")
            },
            consent={purpose: purpose in data.get("consent", []) for purpose, _label in CONSENTS},
            urgent=bool(self.urgent),
        )

    def _fuzzy_date(self, data: dict[str, Any]) -> dict[str, Any]:
        """Year, month and day as far as known, with their precision (data-model.md)."""
        year, month, day = data.get("when_year"), data.get("when_month"), data.get("when_day")
        if (month or day) and not year:
            self.add_error("when_year", _("Choose the year first."))
        elif day and not month:
            self.add_error("when_month", _("Choose the month first."))
        elif year:
            try:
                date = datetime.date(year, month or 1, day or 1)
            except ValueError:
                self.add_error("when_day", _("This date does not exist."))
            else:
                if date > timezone.now().date():
                    self.add_error("when_year", _("This date is in the future."))
        precision = "day" if day else "month" if month else "year" if year else "unknown"
        return {
            "year": year,
            "month": month,
            "day": day,
            "precision": precision,
            "approximate": bool(data.get("when_approximate")),
        }


CHANNELS = [
    ("hotline", _("Hotline call")),
    ("interview", _("Interview in person")),
    ("outreach", _("Outreach work")),
    ("other", _("Other")),
]


class OnBehalfForm(ReportForm):
    """Staff enter a report for someone (a hotline call, an interview): the same questions,
    plus how it reached us."""

    channel = forms.ChoiceField(label=_("How did this reach us?"), choices=CHANNELS)


class FollowUpForm(forms.Form):
    """What a reporter adds from the mailbox."""

    follow_up = forms.CharField(
        required=False,
        max_length=MAX_NARRATIVE,
        widget=forms.Textarea(attrs={"rows": 4, "id": "id_follow_up"}),
    )
