"""The publication gate's memory: every gated table that left Kalkan, and the check that a new
table, read together with them, gives no hidden small count away.

The gate (kalkan.analysis.gate) protects one table at a time. A reader who holds two drafts
can subtract them: the same tables over 2022–2026 and over 2023–2026 give, cell by cell, the
acts of 2022 per region, which no table published and several of which are small; a new
edition over 2022–2026 whose grand total is published, beside last year's edition that
published the totals of 2022–2025, gives the hidden total of 2026. So every table of a
downloaded draft is kept here (``PublishedTable``, sealed with the organisation's keys like
any record: its labels and numbers are as sensitive as the counts they are), and before a new
draft is shown as downloadable and again when it is downloaded, ``audit`` reads its tables
together with every registered one of the same country.

The model. Every published number counts the acts of some *atoms*: (year, top-level type of
act, whether the victim is a human rights defender), restricted to one value of the table's
breakdown (region, perpetrator, gender identity) or to none. A draft's selection (country,
years, types of act, defenders only) is a set of atoms; a cell of the type-by-year table is
the atoms of one year and one type in it, a total all of them. The numbers of all the tables
split the atoms into *blocks* (atoms that every published number either wholly counts or
wholly leaves out); the counts per block (per breakdown value) are the unknowns a reader
solves for. Published numbers are equations, hidden numbers are known to be at least 1 (zeros
are shown), a category a table does not list is 0 there. For every block and every hidden
number, two linear programmes give the smallest and the largest value the reader can prove
(scipy's HiGHS; rounded inwards to whole numbers). A *disclosure* is a quantity the reader can
prove to lie between 1 and threshold-1: pinned exactly ("a total minus the published cells")
or merely proved small. A disclosure that the register alone already allowed is not the new
table's fault and is not held against it.

What happens then: the new table that makes the disclosure possible (the type-by-year table
first, then the one-way tables) gets more of its numbers hidden, the totals a subtraction
starts from first (``_hide_more``); hiding more numbers of a gated table never unprotects it
(hidden cells only gain freedom). Where that is not enough within a few tries, the table is
refused (left out of the draft, which says so). Until nothing new is disclosed. The reviewer
sees each reason before downloading.

Limits (also in docs/analysis.md): tables of one breakdown are compared with tables of the
same breakdown and with the totals, not with each other's (a region table and a gender table
of two drafts are not combined into region × gender); a table of last year that the current
data contradict (acts added, withdrawn or corrected since) is left out of the comparison, so
the number of acts documented in between is not protected; the linear programmes are a
relaxation, so a reader who reasons with whole numbers can, rarely, prove a little more; an
act of several types of act counts under "several" and the types-of-act filter is taken at its
word; someone who deletes rows of the register (a database writer) makes the gate forget;
and nothing here knows about tables copied out of Kalkan by hand (the dashboards' "as it would
be published" view is a preview for staff and is not registered).
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from kalkan.analysis import gate
from kalkan.analysis.models import PublishedTable, ReportDraft
from kalkan.vault.keyring import Keyring
from kalkan.vault.records import new_sealed, open_content_key, read, readable_by, write

TWO_WAY = "act_group×year"  # the draft's table of acts by type of act and year
NO_BREAKDOWN = ""
OTHER_GROUP = "…"  # every type of act no table names, as one
# The order in which a new draft's tables are refused when one system of equations gives a
# count away: the type-by-year table publishes the most.
REFUSAL_ORDER = (TWO_WAY, "perpetrator_group", "region", "gender_identity")


@dataclass(frozen=True)
class Scope:
    """A draft's selection: the acts of one country, some years, some types of act (none
    named: all), perhaps only those against human rights defenders."""

    country: str
    years: tuple[str, ...]
    groups: tuple[str, ...] = ()
    defenders_only: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"country": self.country, "years": list(self.years),
                "groups": list(self.groups), "defenders_only": self.defenders_only}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scope:
        return cls(str(data["country"]), tuple(data["years"]), tuple(data.get("groups", ())),
                   bool(data.get("defenders_only")))


@dataclass(frozen=True)
class Fact:
    """One published (or hidden: count None) number of a table."""

    dimension: str  # NO_BREAKDOWN, or the one-way table's dimension ("region", …)
    value: str  # the breakdown value ("" with NO_BREAKDOWN)
    year: str  # one year of the selection, or "" for all of them
    group: str  # one type of act (top level), or "" for all of the selection's
    count: int | None


@dataclass(frozen=True)
class Released:
    """One table as it left (or would leave) Kalkan."""

    table: str  # TWO_WAY or a one-way table's dimension
    scope: Scope
    facts: tuple[Fact, ...]
    on: str = ""  # the day it was downloaded (ISO), "" for a table not yet released

    def as_json(self) -> str:
        return json.dumps({"table": self.table, "scope": self.scope.as_json(), "on": self.on,
                           "facts": [[f.dimension, f.value, f.year, f.group, f.count]
                                     for f in self.facts]}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Released:
        data = json.loads(text)
        return cls(str(data["table"]), Scope.from_json(data["scope"]),
                   tuple(Fact(*row) for row in data["facts"]), str(data.get("on", "")))


@dataclass(frozen=True)
class Disclosure:
    """A count a reader could prove small with the new table and a released one."""

    table: str  # the new draft's table refused for it
    dimension: str
    value: str | None  # None: every value of the breakdown together
    years: tuple[str, ...]
    groups: tuple[str, ...]  # () = every type of act
    defenders: str  # "yes", "no" or "" (both)
    low: int
    high: int
    other: Released | None  # the registered table it was combined with (the newest one)


# Hiding more numbers of a new table is tried this many times per audit, each time with this
# many numbers; then the table is refused instead (each try solves the equations again).
MOST_ROUNDS = 6
TRIES = 4


@dataclass
class Audit:
    refused: dict[str, Disclosure] = field(default_factory=dict)  # table -> the first reason
    # table -> (the table with more numbers hidden, the first reason)
    coarsened: dict[str, tuple[Released, Disclosure]] = field(default_factory=dict)
    compared: int = 0  # how many registered tables were read together with the new ones
    contradicted: int = 0  # registered tables the current data contradict (left out)


def two_way_facts(groups: Sequence[str], years: Sequence[str],
                  table: gate.GatedTable) -> tuple[Fact, ...]:
    """The numbers of a gated table of acts by type of act (rows) and year (columns)."""
    facts = [Fact(NO_BREAKDOWN, "", year, group, table.cells[i][j])
             for i, group in enumerate(groups) for j, year in enumerate(years)]
    facts += [Fact(NO_BREAKDOWN, "", "", group, table.row_totals[i])
              for i, group in enumerate(groups)]
    facts += [Fact(NO_BREAKDOWN, "", year, "", table.column_totals[j])
              for j, year in enumerate(years)]
    return (*facts, Fact(NO_BREAKDOWN, "", "", "", table.total))


def series_facts(dimension: str, categories: Sequence[str],
                 series: gate.GatedSeries) -> tuple[Fact, ...]:
    """The numbers of a gated one-way table of acts by `dimension`."""
    return (*(Fact(dimension, value, "", "", count)
              for value, count in zip(categories, series.counts, strict=True)),
            Fact(NO_BREAKDOWN, "", "", "", series.total))


# --- the register ------------------------------------------------------------------------


def registered(keyring: Keyring, country: str) -> list[Released]:
    """Every table released for `country`, the newest first."""
    out: list[tuple[int, Released]] = []
    rows = readable_by(PublishedTable.objects.select_related("content_key"), keyring)
    for row in rows:
        text = read(row, open_content_key(row.content_key, keyring), ("table",))["table"]
        released = Released.from_json(text)
        if released.scope.country == country:
            out.append((row.revision, released))
    return [released for _revision, released in sorted(out, key=lambda x: -x[0])]


def remember(keyring: Keyring, draft: ReportDraft, tables: Iterable[Released],
             on: str) -> int:
    """Keep the tables a download released (a table already kept exactly so is not kept
    twice); returns how many were added."""
    known = {r.as_json() for r in registered(keyring, draft_country(tables))}
    added = 0
    for table in tables:
        dated = Released(table.table, table.scope, table.facts, on)
        if dated.as_json() in known:
            continue
        row, key = new_sealed(PublishedTable, keyring, draft=draft)
        write(row, key, table=dated.as_json())
        known.add(dated.as_json())
        added += 1
    return added


def draft_country(tables: Iterable[Released]) -> str:
    return next((t.scope.country for t in tables), "")


# --- the audit ---------------------------------------------------------------------------

Atom = tuple[str, str, str]  # (year, group, defender "yes"/"no")


def _support(fact: Fact, scope: Scope, groups: Sequence[str]) -> frozenset[Atom]:
    years = [fact.year] if fact.year else list(scope.years)
    chosen = [fact.group] if fact.group else list(scope.groups or groups)
    defenders = ["yes"] if scope.defenders_only else ["yes", "no"]
    return frozenset(itertools.product(years, chosen, defenders))


def _with_zeros(table: Released, groups: Sequence[str], values: Sequence[str]) -> list[Fact]:
    """The table's numbers and the zeros it states by not listing a category."""
    facts = list(table.facts)
    if table.table == TWO_WAY:
        listed = {f.group for f in facts if f.group}
        facts += [Fact(NO_BREAKDOWN, "", "", g, 0) for g in (table.scope.groups or groups)
                  if g not in listed]
    elif table.table != NO_BREAKDOWN:
        listed = {f.value for f in facts if f.dimension == table.table}
        facts += [Fact(table.table, v, "", "", 0) for v in values if v not in listed]
    return facts


@dataclass
class _System:
    """The equations of one breakdown: unknowns are counts per block (and value)."""

    dimension: str
    tables: list[Released]
    groups: list[str]

    def build(self) -> None:
        d = self.dimension
        values = sorted({f.value for t in self.tables for f in t.facts if f.dimension == d}) \
            if d else [""]
        self.values = values
        facts: list[tuple[Fact, frozenset[Atom]]] = []
        for table in self.tables:
            for fact in _with_zeros(table, self.groups, values):
                if d and not (fact.dimension == d or (fact.dimension == NO_BREAKDOWN
                                                      and not fact.year and not fact.group)):
                    continue
                if not d and fact.dimension != NO_BREAKDOWN:
                    continue
                facts.append((fact, _support(fact, table.scope, self.groups)))
        self.facts = facts
        signature: dict[Atom, list[int]] = {}
        for n, (_fact, support) in enumerate(facts):
            for atom in support:
                signature.setdefault(atom, []).append(n)
        blocks: dict[tuple[int, ...], set[Atom]] = {}
        for atom, members in signature.items():
            blocks.setdefault(tuple(members), set()).add(atom)
        self.blocks = [frozenset(atoms) for atoms in blocks.values()]
        self.block_of = {atom: i for i, atoms in enumerate(self.blocks) for atom in atoms}
        width = len(self.blocks) * len(values)
        # Tables repeat each other's numbers (editions overlap): each equation once.
        equations: dict[tuple[tuple[int, ...], int | None], None] = {}
        for fact, support in facts:
            row = self.indicator(support, fact.value if d and fact.dimension == d else None)
            equations[tuple(np.flatnonzero(row)), fact.count] = None
        eq = [(columns, count) for columns, count in equations if count is not None]
        ub = [columns for columns, count in equations if count is None]
        self.a_eq = _sparse(eq and [c for c, _n in eq], width)
        self.b_eq = np.array([float(n or 0) for _c, n in eq])
        self.a_ub = -_sparse(ub, width)
        self.b_ub = -np.ones(len(ub))

    def indicator(self, support: frozenset[Atom], value: str | None) -> np.ndarray[Any, Any]:
        """The unknowns a number over `support` adds up (one value, or all of them)."""
        row = np.zeros(len(self.blocks) * len(self.values))
        columns = range(len(self.values)) if value is None else [self.values.index(value)]
        for block in {self.block_of[a] for a in support}:
            for v in columns:
                row[block * len(self.values) + v] = 1.0
        return row

    def _solve(self, objective: np.ndarray[Any, Any]) -> Any:
        from scipy.optimize import linprog

        return linprog(objective, A_ub=self.a_ub if len(self.b_ub) else None,
                       b_ub=self.b_ub if len(self.b_ub) else None,
                       A_eq=self.a_eq if len(self.b_eq) else None,
                       b_eq=self.b_eq if len(self.b_eq) else None,
                       bounds=(0, None), method="highs")

    def feasible(self) -> bool:
        return bool(self._solve(np.zeros(self.a_eq.shape[1])).status == 0)

    def witnesses(self, rounds: int = 3) -> np.ndarray[Any, Any]:
        """A few solutions of the equations, far apart: a quantity that is 0 in one of them
        cannot be proved at least 1, one that is at least the threshold in one cannot be
        proved small, so most quantities need no linear programme of their own."""
        from scipy.optimize import linprog

        width = self.a_eq.shape[1]
        if not width:
            return np.zeros((0, 0))
        rng = np.random.default_rng(0)  # the same answers every time
        big = float(self.b_eq.sum() + len(self.b_ub) + 1)
        found = []
        for n in range(2 * rounds):
            weights = rng.random(width) + 0.1
            answer = linprog(weights if n % 2 else -weights,
                             A_ub=self.a_ub if len(self.b_ub) else None,
                             b_ub=self.b_ub if len(self.b_ub) else None,
                             A_eq=self.a_eq if len(self.b_eq) else None,
                             b_eq=self.b_eq if len(self.b_eq) else None,
                             bounds=(0, big), method="highs")
            if answer.status == 0:
                found.append(answer.x)
        return np.array(found) if found else np.zeros((0, width))

    def small(self, row: np.ndarray[Any, Any], limit: int,
              seen: np.ndarray[Any, Any] | None = None) -> tuple[int, int] | None:
        """(low, high) when a reader can prove the quantity between 1 and limit-1."""
        if seen is not None and len(seen):
            values = seen @ row
            if values.max() >= limit - 1e-6 or values.min() <= 1e-6:
                return None
        high = self._solve(-row)
        if high.status != 0:  # unbounded: never small
            return None
        top = math.floor(-high.fun + 1e-6)
        if top >= limit:
            return None
        low = math.ceil(self._solve(row).fun - 1e-6)
        return (low, top) if low >= 1 else None

    def quantities(self) -> list[tuple[frozenset[Atom], str | None]]:
        """What must stay unprovable: every block's count (per value), every hidden number
        (value None: all values together)."""
        out: list[tuple[frozenset[Atom], str | None]] = [
            (atoms, v if self.dimension else None) for atoms in self.blocks for v in self.values]
        for fact, support in self.facts:
            if fact.count is None:
                out.append((support, fact.value if self.dimension and
                            fact.dimension == self.dimension else None))
        return out

    def expresses(self, atoms: frozenset[Atom]) -> bool:
        """Whether a quantity is a sum of whole blocks here (else no equation reaches it)."""
        blocks = {self.block_of.get(a) for a in atoms}
        return None not in blocks and sum(len(self.blocks[b]) for b in blocks
                                          if b is not None) == len(atoms)


def _sparse(rows: Sequence[Sequence[int]] | Any, width: int) -> Any:
    """Rows of ones at the given columns, as a sparse matrix (HiGHS reads them fast)."""
    from scipy.sparse import csr_matrix

    rows = list(rows or [])
    data = [1.0 for row in rows for _c in row]
    columns = [c for row in rows for c in row]
    pointers = np.cumsum([0, *(len(row) for row in rows)])
    return csr_matrix((data, columns, pointers), shape=(len(rows), width))


def _groups(tables: Iterable[Released]) -> list[str]:
    named = {OTHER_GROUP}
    for table in tables:
        named |= set(table.scope.groups)
        named |= {f.group for f in table.facts if f.group}
    return sorted(named)


def _disclosures(dimension: str, new: list[Released], old: list[Released],
                 limit: int
                 ) -> tuple[list[tuple[frozenset[Atom], str | None, int, int]], int, int]:
    """The quantities the new tables let a reader prove small, that the old alone did not;
    also how many old tables were compared and how many were contradicted."""
    groups = _groups([*new, *old])
    kept: list[Released] = list(old)
    contradicted = 0
    after = _System(dimension, [*new, *old], groups)
    after.build()
    solutions = after.witnesses()
    if not len(solutions):  # no solution at all: some released table contradicts the data
        kept = []
        for table in old:  # the newest first; a table the data since contradict is left out
            trial = _System(dimension, [*new, *kept, table], groups)
            trial.build()
            if trial.feasible():
                kept.append(table)
            else:
                contradicted += 1
        after = _System(dimension, [*new, *kept], groups)
        after.build()
        solutions = after.witnesses()
    before = _System(dimension, kept, groups)
    before.build()
    found = []
    seen: set[tuple[frozenset[Atom], str | None]] = set()
    for atoms, value in after.quantities():
        if (atoms, value) in seen:
            continue
        seen.add((atoms, value))
        proved = after.small(after.indicator(atoms, value), limit, solutions)
        if proved is None:
            continue
        if kept and before.expresses(atoms) and before.small(
                before.indicator(atoms, value), limit):
            continue  # the register alone gave it away already
        found.append((atoms, value, *proved))
    return found, len(kept), contradicted


def _describe(atoms: frozenset[Atom]) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    years = tuple(sorted({a[0] for a in atoms}))
    groups = tuple(sorted({a[1] for a in atoms}))
    defenders = {a[2] for a in atoms}
    return years, groups, (defenders.pop() if len(defenders) == 1 else "")


def _atoms(table: Released, groups: Sequence[str]) -> frozenset[Atom]:
    return _support(Fact(NO_BREAKDOWN, "", "", "", 0), table.scope, groups)


def _related(new: Sequence[Released], old: Sequence[Released]) -> list[Released]:
    """The released tables linked to the new ones through shared acts, directly or through
    other released tables (the newest first): no equation reaches the others."""
    groups = _groups([*new, *old])
    reach = frozenset().union(*(_atoms(t, groups) for t in new))
    linked: list[Released] = []
    rest = list(old)
    grew = True
    while grew:
        grew = False
        for table in list(rest):
            atoms = _atoms(table, groups)
            if atoms & reach:
                reach |= atoms
                linked.append(table)
                rest.remove(table)
                grew = True
    return [t for t in old if t in linked]


def audit(new: Sequence[Released], old: Sequence[Released]) -> Audit:
    """Which of the new tables must not leave, read together with the released ones (all of
    one country, the newest first)."""
    limit = gate.threshold()
    result = Audit()
    old = _related(new, old)
    if not old:
        return result  # one draft alone: the gate has protected each of its tables
    universe = _groups([*new, *old])
    remaining = list(new)
    rounds = 0
    while remaining:
        problem: Disclosure | None = None
        one_way = sorted({t.table for t in remaining if t.table != TWO_WAY})
        for dimension in [NO_BREAKDOWN, *one_way]:
            found, kept, contradicted = _disclosures(dimension, remaining, old, limit)
            result.compared = max(result.compared, kept)
            result.contradicted = max(result.contradicted, contradicted)
            if not found:
                continue
            atoms, value, low, high = found[0]
            culprit = next((name for name in (REFUSAL_ORDER if not dimension else (dimension,))
                            if any(t.table == name for t in remaining)), remaining[0].table)
            years, groups, defenders = _describe(atoms)
            other = next((t for t in old if _atoms(t, universe) & atoms), old[0])
            problem = Disclosure(culprit, dimension, value, years,
                                 () if set(groups) >= set(universe) else groups,
                                 defenders, low, high, other)
            break
        if problem is None:
            break
        table = next(t for t in remaining if t.table == problem.table)
        better: list[Released] | None = None
        if rounds < MOST_ROUNDS:
            rounds += 1
            better = _hide_more(table, problem, atoms, value, remaining, old, limit, universe)
        if better is not None:
            for before, after in zip(remaining, better, strict=True):
                if after is not before:
                    first = result.coarsened.get(after.table, (after, problem))[1]
                    result.coarsened[after.table] = (after, first)
            remaining = better
            continue
        result.refused[problem.table] = problem
        result.coarsened.pop(problem.table, None)
        remaining = [t for t in remaining if t is not table]
    return result


def _closeness(support: frozenset[Atom], atoms: frozenset[Atom]) -> int:
    """0: the number counts the whole disclosed count (a total it is subtracted from);
    1: part of it; 2: none of it (a total subtracted from another table's)."""
    return 0 if support >= atoms else 1 if support & atoms else 2


def _hide_more(table: Released, problem: Disclosure, atoms: frozenset[Atom],
               value: str | None, remaining: list[Released], old: Sequence[Released],
               limit: int, universe: Sequence[str]) -> list[Released] | None:
    """The new tables with more published numbers of `table` hidden, so that this
    disclosure goes, or None. The numbers a subtraction uses go first (those that count the
    whole disclosed count: the totals it starts from), the smallest first, at most TRIES of
    them, one more each time. A number hidden here is hidden in the draft's other tables too
    where they print the same one (each one-way table prints the grand total): otherwise
    the other table would give it back."""
    dimension = problem.dimension

    def relevant(fact: Fact) -> bool:
        return fact.dimension == NO_BREAKDOWN or (fact.dimension == dimension
                                                  and value in (None, fact.value))

    candidates = sorted(
        (k for k, f in enumerate(table.facts) if f.count and relevant(f)),
        key=lambda k: (_closeness(_support(table.facts[k], table.scope, universe), atoms),
                       table.facts[k].count or 0))
    tables = list(remaining)
    for k in candidates[:TRIES]:
        fact = table.facts[k]
        tables = [_hidden(t, fact) if t is table or (
            fact.dimension == NO_BREAKDOWN and t.scope == table.scope) else t for t in tables]
        found, _kept, _contradicted = _disclosures(dimension, tables, list(old), limit)
        if not any(a == atoms and v == value for a, v, *_rest in found):
            return tables
    return None


def _hidden(table: Released, number: Fact) -> Released:
    """The table with `number` (the same dimension, value, year and type) hidden."""
    def same(fact: Fact) -> bool:
        return (fact.dimension, fact.value, fact.year, fact.group) == (
            number.dimension, number.value, number.year, number.group)

    return Released(table.table, table.scope,
                    tuple(replace(f, count=None) if same(f) else f for f in table.facts),
                    table.on)


def reason(problem: Disclosure, label: Any) -> str:
    """The reason, in the active language; `label(dimension, value)` names values."""
    parts = []
    if problem.value is not None and problem.dimension:
        parts.append(label(problem.dimension, problem.value))
    years = problem.years
    parts.append(years[0] if len(years) == 1 else f"{years[0]}–{years[-1]}" if years else "")
    if problem.groups:
        parts.append(", ".join(label("act_group", g) for g in problem.groups
                               if g != OTHER_GROUP) or _("other types of act"))
    if problem.defenders == "yes":
        parts.append(_("human rights defenders"))
    elif problem.defenders == "no":
        parts.append(_("not human rights defenders"))
    what = "; ".join(p for p in parts if p)
    bound = (str(problem.low) if problem.low == problem.high
             else _("between %(low)d and %(high)d") % {"low": problem.low, "high": problem.high})
    if problem.other is not None and problem.other.on:
        return _("With a table downloaded on %(day)s, a reader could work out that the acts "
                 "of %(what)s number %(bound)s, a count the gate hides.") % {
            "day": problem.other.on, "what": what, "bound": bound}
    return _("With the tables downloaded before, a reader could work out that the acts of "
             "%(what)s number %(bound)s, a count the gate hides.") % {
        "what": what, "bound": bound}
