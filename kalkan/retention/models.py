"""The retention rules an administrator sets: one row per kind of thing that can go.

A kind without a row keeps its default (kalkan.retention.services.DEFAULTS): everything that
is or may be evidence is kept until an administrator turns its rule on.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Rule(models.Model):
    class Kind(models.TextChoices):
        SET_ASIDE = "set_aside", _("Reports set aside as spam or duplicate")
        CLOSED_CASES = "closed_cases", _("Closed cases")
        MAILBOXES = "mailboxes", _("Reporter mailboxes")
        SESSIONS = "sessions", _("Expired staff sessions")
        ORPHANS = "orphans", _("Orphaned keys and files")

    kind = models.CharField(max_length=16, primary_key=True, choices=Kind.choices)
    enabled = models.BooleanField(default=False)
    # Days after the day that starts the clock (set aside, closed, last message); kinds
    # without a clock (sessions, orphans) ignore it.
    days = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.kind}: {'on' if self.enabled else 'off'}, {self.days} days"
