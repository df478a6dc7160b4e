"""The desk's fixed lists: codes on the left never change (they are stored, sealed, in
records); labels on the right are what staff read, in four languages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kalkan.desk.models import Case

RISKS = [
    ("detained", _("Detained")),
    ("injured", _("Injured")),
    ("whereabouts_unknown", _("Whereabouts unknown")),
    ("outed", _("Outed or doxxed")),
    ("extortion", _("Extortion ongoing")),
    ("family_threat", _("Threatened by family")),
    ("lost_housing", _("Lost housing")),
    ("further_attack", _("At risk of further attack")),
]

ACTION_KINDS = [
    ("lawyer", _("Lawyer")),
    ("medical", _("Medical care")),
    ("shelter", _("Shelter")),
    ("relocation_domestic", _("Relocation inside the country")),
    ("relocation_abroad", _("Relocation abroad")),
    ("psychological", _("Psychological support")),
    ("digital_security", _("Digital security")),
    ("emergency_funds", _("Emergency funds")),
    ("referral", _("Referral")),
    ("complaint", _("Complaint filed")),
]

OUTCOMES = [
    ("planned", _("Planned")),
    ("in_progress", _("In progress")),
    ("done", _("Done")),
    ("failed", _("Did not work")),
    ("declined", _("Declined by the person")),
]

# Which status may follow which: closing and reopening always need a reason.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Case.Status.NEW: (Case.Status.TRIAGE, Case.Status.ACTIVE, Case.Status.CLOSED),
    Case.Status.TRIAGE: (Case.Status.ACTIVE, Case.Status.MONITORING, Case.Status.CLOSED),
    Case.Status.ACTIVE: (Case.Status.MONITORING, Case.Status.CLOSED),
    Case.Status.MONITORING: (Case.Status.ACTIVE, Case.Status.CLOSED),
    Case.Status.CLOSED: (Case.Status.REOPENED,),
    Case.Status.REOPENED: (Case.Status.ACTIVE, Case.Status.MONITORING, Case.Status.CLOSED),
}

# What a referral package may hold; the person's consent names which of these go to which
# partner.
REFERRAL_FIELDS = [
    ("needs", _("What help the person needs")),
    ("story", _("What happened (the reports' stories)")),
    ("place", _("Country and region")),
    ("contact", _("Safe way to reach the person")),
    ("risk", _("Risk assessment")),
    ("safety_plan", _("Safety plan")),
]
