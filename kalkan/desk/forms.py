"""The desk's forms: every one works as a plain HTML form (no JavaScript)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kalkan.accounts.models import User
from kalkan.accounts.roles import MATRIX, Capability
from kalkan.desk.models import Case, TriageDecision
from kalkan.desk.vocab import ACTION_KINDS, OUTCOMES, RISKS

MAX_TEXT = 20_000


class OnCasePage(forms.Form):
    """Several forms share the case page: each gets its own id prefix (not field names), so
    every label points at its own field."""

    id_prefix = "case"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


def case_workers() -> QuerySet[User]:
    """Who can be assigned to, or named on, a case: active staff whose role works cases."""
    roles = [role for role, capabilities in MATRIX.items()
             if Capability.WORK_CASES in capabilities]
    return User.objects.filter(is_active=True, role__in=roles).order_by("username")


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Reply to the reporter"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "The reporter reads this with their receipt. Write nothing that would harm them "
            "if someone else read it."
        ),
    )


class CaseForm(OnCasePage):
    id_prefix = "case"

    title = forms.CharField(
        label=_("Short title"), max_length=200, required=False,
        help_text=_("For the team only; it is encrypted like everything else."),
    )
    summary = forms.CharField(
        label=_("Summary"), max_length=MAX_TEXT, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Case.Priority.choices, coerce=int
    )
    assignees = forms.ModelMultipleChoiceField(
        label=_("Assigned to"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignees"]
        assert isinstance(field, forms.ModelMultipleChoiceField)  # noqa: S101 (declared above)
        field.queryset = case_workers()


class StatusForm(OnCasePage):
    id_prefix = "status"

    to = forms.ChoiceField(label=_("New status"), choices=Case.Status.choices)
    reason = forms.CharField(
        label=_("Reason"), max_length=MAX_TEXT, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed to close or reopen a case."),
    )

    def __init__(self, *args: Any, current: str, allowed: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current = current
        field = self.fields["to"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 (declared above)
        field.choices = [(v, label) for v, label in Case.Status.choices if v in allowed]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("to") in (Case.Status.CLOSED, Case.Status.REOPENED) and not (
            data.get("reason") or ""
        ).strip():
            self.add_error("reason", _("Say why: closing and reopening need a reason."))
        return data


class RiskForm(OnCasePage):
    id_prefix = "risk"

    """One checkbox and one note per risk factor, and the safety plan."""

    safety_plan = forms.CharField(
        label=_("Safety plan"), max_length=MAX_TEXT, required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, label in RISKS:
            self.fields[f"{code}_present"] = forms.BooleanField(label=label, required=False)
            self.fields[f"{code}_notes"] = forms.CharField(
                label=_("Notes"), max_length=2000, required=False,
            )
        self.order_fields([name for code, _label in RISKS
                           for name in (f"{code}_present", f"{code}_notes")] + ["safety_plan"])

    @classmethod
    def initial_from(cls, risk: dict[str, Any], safety_plan: str) -> dict[str, Any]:
        initial: dict[str, Any] = {"safety_plan": safety_plan}
        for code, _label in RISKS:
            initial[f"{code}_present"] = bool(risk.get(code, {}).get("present"))
            initial[f"{code}_notes"] = risk.get(code, {}).get("notes", "")
        return initial

    def risk(self) -> dict[str, dict[str, Any]]:
        data = self.cleaned_data
        return {
            code: {"present": bool(data.get(f"{code}_present")),
                   "notes": data.get(f"{code}_notes") or ""}
            for code, _label in RISKS
        }

    def rows(self) -> list[tuple[Any, Any]]:
        return [(self[f"{code}_present"], self[f"{code}_notes"]) for code, _label in RISKS]


class ActionForm(OnCasePage):
    id_prefix = "action"

    kind = forms.ChoiceField(label=_("Action"), choices=ACTION_KINDS)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOMES)
    done_on = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Year-month-day, e.g. 2026-03-14."),
    )
    notes = forms.CharField(
        label=_("Notes"), max_length=MAX_TEXT, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_done_on(self) -> Any:
        value = self.cleaned_data.get("done_on")
        if value and value > timezone.now().date() + timedelta(days=366):
            raise forms.ValidationError(_("This date is too far ahead."))
        return value


class TaskForm(OnCasePage):
    id_prefix = "task"

    title = forms.CharField(label=_("Task"), max_length=500)
    due_at = forms.DateTimeField(
        label=_("Due"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text=_("Year-month-day and time, e.g. 2026-03-14 18:00 (UTC)."),
    )
    assignee = forms.ModelChoiceField(
        label=_("Who"), queryset=User.objects.none(), required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 (declared above)
        field.queryset = case_workers()


class NoteForm(OnCasePage):
    id_prefix = "note"

    body = forms.CharField(
        label=_("Note"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3})
    )


class SetAsideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Set aside as"), choices=TriageDecision.Decision.choices,
        widget=forms.RadioSelect,
    )
    duplicate_of = forms.UUIDField(
        label=_("Duplicate of (report number)"), required=False,
        help_text=_("The number at the end of the other report's address."),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == TriageDecision.Decision.DUPLICATE and not data.get(
            "duplicate_of"
        ):
            self.add_error("duplicate_of", _("Which report is this a duplicate of?"))
        return data


class MembersForm(OnCasePage):
    id_prefix = "members"

    members = forms.ModelMultipleChoiceField(
        label=_("Who may see this case"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Everyone else loses sight of it at once: it leaves their lists, counts and "
            "search, and its address answers 'not found'."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["members"]
        assert isinstance(field, forms.ModelMultipleChoiceField)  # noqa: S101 (declared above)
        field.queryset = case_workers().filter(key__isnull=False)
