"""Roles and what each may do. docs/roles.md shows the same matrix for people."""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    RESPONDER = "responder", _("Responder")
    DOCUMENTER = "documenter", _("Documentation officer")
    ANALYST = "analyst", _("Analyst")


class Capability(StrEnum):
    MANAGE_STAFF = "manage_staff"
    VIEW_AUDIT_LOG = "view_audit_log"
    SEAL_SERVER = "seal_server"
    READ_REPORTS = "read_reports"
    WORK_CASES = "work_cases"
    MANAGE_PARTNERS = "manage_partners"
    MANAGE_ALERTS = "manage_alerts"
    CODE_RECORDS = "code_records"
    SEARCH_RECORDS = "search_records"
    EXPORT_RECORDS = "export_records"
    MANAGE_VOCABULARIES = "manage_vocabularies"
    TRACK_LEGISLATION = "track_legislation"
    BUILD_REPORTS = "build_reports"
    MANAGE_RETENTION = "manage_retention"


MATRIX: dict[str, frozenset[Capability]] = {
    Role.ADMIN: frozenset(
        {
            Capability.MANAGE_STAFF,
            Capability.VIEW_AUDIT_LOG,
            Capability.SEAL_SERVER,
            Capability.READ_REPORTS,
            Capability.WORK_CASES,
            Capability.MANAGE_PARTNERS,
            Capability.MANAGE_ALERTS,
            Capability.CODE_RECORDS,
            Capability.SEARCH_RECORDS,
            Capability.EXPORT_RECORDS,
            Capability.MANAGE_VOCABULARIES,
            Capability.TRACK_LEGISLATION,
            Capability.BUILD_REPORTS,
            Capability.MANAGE_RETENTION,
        }
    ),
    Role.RESPONDER: frozenset({Capability.READ_REPORTS, Capability.WORK_CASES}),
    Role.DOCUMENTER: frozenset(
        {
            Capability.READ_REPORTS,
            Capability.CODE_RECORDS,
            Capability.SEARCH_RECORDS,
            Capability.EXPORT_RECORDS,
            Capability.TRACK_LEGISLATION,
            Capability.BUILD_REPORTS,
        }
    ),
    Role.ANALYST: frozenset(
        {Capability.SEARCH_RECORDS, Capability.TRACK_LEGISLATION, Capability.BUILD_REPORTS}
    ),
}


def role_can(role: str, capability: Capability) -> bool:
    return capability in MATRIX.get(role, frozenset())
