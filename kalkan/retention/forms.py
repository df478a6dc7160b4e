from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kalkan.retention.models import Rule
from kalkan.retention.services import CLOCKED, MAX_DAYS


class RulesForm(forms.Form):
    """One row per kind: on or off, and for the kinds with a clock, after how many days."""

    def __init__(self, current: dict[str, Rule], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, rule in current.items():
            self.fields[f"{kind}_enabled"] = forms.BooleanField(
                label=_("On"), required=False, initial=rule.enabled
            )
            if kind in CLOCKED:
                self.fields[f"{kind}_days"] = forms.IntegerField(
                    label=_("Days"), min_value=1, max_value=MAX_DAYS, initial=rule.days
                )
        self.current = current

    def rows(self) -> list[tuple[Rule, forms.BoundField, forms.BoundField | None]]:
        return [
            (rule, self[f"{kind}_enabled"], self[f"{kind}_days"] if kind in CLOCKED else None)
            for kind, rule in self.current.items()
        ]


class ApplyForm(forms.Form):
    understood = forms.BooleanField(
        label=_(
            "I understand that what the rules that are on select is removed for good: its "
            "keys are destroyed, and no one, the escrow secret included, can read it again."
        )
    )
