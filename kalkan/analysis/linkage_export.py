"""The linkage export of one organisation (issue 15; the encoding is kalkan.analysis.linkage).

A scope is chosen with the search page's filters (types of act, country, years). Every
victim of an act in scope who consents to anonymised statistics now
(kalkan.records.consent.consenting) is exported once, with a record for each act in scope
and each known spelling of their name: the names in their identity, and those of every
person merged into them. A victim with no known name cannot be linked and is left out
(counted). Collectives are never exported: only individuals can be on several lists as the
same person. The file is built in memory and written only where asked; the audit log gets
counts, never names.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict

from kalkan.analysis import linkage
from kalkan.analysis.statistics import UNKNOWN, act_rows
from kalkan.audit.services import record as audit
from kalkan.records import consent, search
from kalkan.records.models import Person
from kalkan.records.services import opened
from kalkan.vault import crypto
from kalkan.vault.keyring import Keyring
from kalkan.vault.workingset import WorkingSet


@dataclass(frozen=True)
class Exported:
    data: bytes
    scope: str
    victims: int  # exported
    acts: int  # in scope
    without_consent: int  # victims left out: no statistics consent
    without_name: int  # victims left out: no known name
    collectives: int  # victims left out: not an individual


def scope_of(params: QueryDict) -> dict[str, list[str]]:
    """The scope from search-style parameters (act_type, country, year; repeated)."""
    asked = search.asked(params)
    return {name: sorted(set(asked.filters.get(name, []))) for name in linkage.SCOPE_FILTERS
            if asked.filters.get(name)}


def _params(scope: dict[str, list[str]]) -> QueryDict:
    params = QueryDict(mutable=True)
    for name, values in scope.items():
        params.setlist(name, values)
    return params


def _names(persons: list[Person], keyring: Keyring) -> dict[str, list[str]]:
    """Person id -> every name known for them, their merged duplicates' included."""
    names: dict[str, list[str]] = defaultdict(list)
    wanted = {str(p.pk) for p in persons}
    merged: dict[str, str] = {}
    frontier = set(wanted)
    while frontier:  # duplicates merged into duplicates
        found = {str(pk): str(into) for pk, into in Person.objects.filter(
            merged_into_id__in=list(frontier)).values_list("pk", "merged_into_id")}
        found = {pk: into for pk, into in found.items() if pk not in merged}
        merged.update(found)
        frontier = set(found)

    def survivor(pk: str) -> str:
        while pk in merged:
            pk = merged[pk]
        return pk

    ids = list(wanted | set(merged))
    for start in range(0, len(ids), 2000):
        for person in Person.objects.filter(pk__in=ids[start : start + 2000]).select_related(
                "content_key"):
            try:
                identity = opened(person, keyring, ("identity",))["identity"]
            except (PermissionError, crypto.Tampered):
                continue
            for name in identity.get("names") or []:
                if str(name).strip():
                    names[survivor(str(person.pk))].append(str(name).strip())
    return names


def _profiles(persons: list[Person], keyring: Keyring) -> dict[str, dict[str, Any]]:
    out = {}
    for person in persons:
        try:
            out[str(person.pk)] = opened(person, keyring, ("profile",))["profile"]
        except (PermissionError, crypto.Tampered):
            continue
    return out


def _code(value: Any) -> str:
    code = value.get("code", "") if isinstance(value, dict) else value
    return "" if code in (None, "", "not_stated", "unknown") else str(code)


def export(working: WorkingSet, keyring: Keyring, scope: dict[str, list[str]],
           secret: linkage.Secret, *, actor_id: int | None) -> Exported:
    rows = act_rows(working, search.asked(_params(scope)).query(), keyring)
    victims = sorted({row.victim for row in rows if row.victim})
    allowed = consent.consenting(victims, consent.STATISTICS, keyring)
    persons = list(Person.objects.filter(pk__in=sorted(allowed)).select_related("content_key"))
    profiles = _profiles(persons, keyring)
    individuals = [p for p in persons
                   if (profiles.get(str(p.pk), {}).get("kind") or "individual") == "individual"]
    names = _names(individuals, keyring)
    acts_of: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        acts_of[row.victim].append(row)
    records: list[list[dict[str, str]]] = []
    for person in individuals:
        pk = str(person.pk)
        if not names.get(pk):
            continue
        profile = profiles.get(pk, {})
        birth = (f"y{profile['birth_year']}" if str(profile.get("birth_year", "")).isdigit()
                 else _code(profile.get("age_band")))
        mine = []
        for name in sorted(set(names[pk])):
            for act in acts_of[pk]:
                mine.append({
                    "name": name, "birth": birth, "gender": _code(profile.get("gender_identity")),
                    "region": act.region if act.region != UNKNOWN else "",
                    "month": act.month, "act": act.act_group if act.act_group != UNKNOWN else "",
                })
        records.append(mine)
    data = linkage.write_export(secret, scope, records)
    result = Exported(
        data=data, scope=linkage.scope_text(scope), victims=len(records), acts=len(rows),
        without_consent=len(victims) - len(allowed & set(victims)),
        without_name=len(individuals) - len(records),
        collectives=len(persons) - len(individuals),
    )
    audit("analysis.linkage_export", actor_id=actor_id, details={
        "scope": result.scope, "victims": result.victims, "acts": result.acts,
        "without_consent": result.without_consent, "without_name": result.without_name,
        "secret": secret.fingerprint})
    return result
