"""The publication gate: every table, series and case summary that leaves Kalkan passes here.

The people counted in these tables are hunted. A published "1" in the cell "trans women
detained in Naryn in March" can identify a person as surely as a name. So, before anything is
printed in a report or shown on a dashboard meant for outsiders:

1. **Coarsen** (``coarsen_year``, ``coarsen_period``, ``coarsen_region``, ``group_act_type``,
   ``group_perpetrator_type``, ``coarsen_age_band``): fewer, bigger categories mean fewer small
   cells. Never cross more than two quasi-identifiers in one table.
2. **Gate counts** (``gate_series`` for one-way tables, ``gate_table`` for two-way tables with
   their totals): small-cell suppression with complementary suppression, checked against an
   attacker who knows the method (see "Counts" below).
3. **Gate case summaries** (``anonymise_summaries``): k-anonymity by full-domain
   generalisation, with hold-backs (see "Case summaries" below).

The gated objects never hold the raw counts, so nothing downstream can print them by mistake.
They are gated one at a time: two tables that share a margin must agree on it (derive a one-way
series from a gated two-way table with ``GatedTable.row_series``/``column_series`` rather than
gating the same counts twice), otherwise one table can undo the other's protection. Across
drafts and editions, kalkan.analysis.register keeps every table that left and refuses a new
one that, subtracted from or added to them, would give a hidden count away.

Counts
------
*Threshold.* ``threshold()`` is ``settings.KALKAN_PUBLICATION_THRESHOLD`` (default 10), never
below 5. Counts from 1 to threshold-1 are hidden ("primary suppression"), in the body of the
table *and* in its margins: a row total is a published number like any other.

*Zeros are shown.* A zero is a structural or true zero (nobody in that group), and showing it
is the practice of the small-numbers standards we follow (e.g. Washington State DOH: suppress
non-zero counts below ten). The price: a reader knows that every hidden cell holds at least 1.
The audit below assumes exactly that reader, and for the same reason a zero is never hidden as
a complement: hiding a cell the reader can bound below by 0 protects nothing in that direction,
and once some zeros were hidden, "hidden" would no longer mean "at least 1" and the audit's
model of the reader would be wrong.

*Complementary suppression and the audit.* A hidden cell must not be recoverable from the
published cells and totals. Write the table with its margins as an (R+1)×(C+1) grid; every
row and every column of the grid is one linear equation (cells minus total = 0). The hidden
cells are the unknowns; published values are constants; the reader also knows every hidden
cell is ≥ 1. Flip the sign of the margin row's and the body columns' equations and every
cell appears with +1 in one equation and -1 in another: the constraint matrix is a network
(incidence) matrix, so it is totally unimodular (LP bounds are integral) and the feasible
changes of the hidden cells are exactly the circulations of a small directed graph with one
node per grid row and per grid column and one arc per hidden cell. A cell can grow by as much
as can flow back around the rest of the graph, and shrink likewise, so its exact feasible
range comes from two max-flow computations (``feasible_ranges``). No LP solver is needed at
run time; the tests check every range against ``scipy.optimize.linprog``.

The textbook criterion "a hidden cell is exactly determined iff it lies on no cycle of the
bipartite row/column graph of hidden cells (margins as an extra row and column)" is the special
case of this without the lower bounds; with them, a cell on a cycle can still be pinned (e.g.
four hidden 1s on a cycle: none can shrink, so none can grow), which the flow computation
catches and the graph criterion does not.

Protection required of every hidden cell:

- its feasible range has more than one value (never recoverable), and
- for a primary (small) cell: the largest feasible value reaches the threshold, so the
  published numbers cannot even prove that the cell is small. Without this a "1" whose range is
  [1, 2] would be "hidden" and still tell the reader almost everything.

Complements are chosen by the shortest-path heuristic used for two-dimensional tables (in the
manner of Castro's shortest-paths heuristic for positive tables): for an unprotected cell, find
the cheapest cycle through it in which every cell can move far enough, where already-hidden
cells cost nothing and a published cell costs its count (so small counts are preferred, which
is the usual "least information lost" rule). The grand total is the most expensive cell and is
hidden only when nothing else works; hiding it always works, because then every cell can grow
without bound. After all cells are protected, complements that turn out to be unnecessary are
published again, largest first. All hidden cells are printed with one marker (``MARKER``):
"<10" on a complement would be a lie, and two markers would tell the reader which hidden cells
are the small ones.

Case summaries
--------------
``anonymise_summaries`` releases a summary only if at least k (``publication_k()``,
``settings.KALKAN_PUBLICATION_K``, default and minimum 5) cases in scope share its released
quasi-identifiers (country, region, year, age band, gender identity, type of act, type of
perpetrator). By default the cases in scope are the candidate summaries themselves; pass
``population`` (the quasi-identifiers of every act in the same filtered data set) to count
against all documented cases instead. The generalisation is full-domain (one level per
attribute for all summaries, as Datafly and Incognito do), along the ladders

    region → country → *          country → *   (only once region is *)
    year → three-year period → *  age band → minor/adult/unknown → *
    gender identity → *           type of act → broader type → group → *
    type of perpetrator → group → *

The levels are chosen as Incognito does, by searching the whole lattice of level combinations
(at most 1296) rather than greedily as Datafly does (one attribute at a time, the one with the
most distinct values), which coarsened more than needed on our test data: the chosen
combination is the one with the least precision loss (sum over attributes of level/top) that
releases all but at most ``max_held_back`` (default 10%) of the candidates; those few are held
back rather than coarsening every other summary for their sake. Equal losses go to the
combination that keeps the type of act and gender identity finest, which is what a UN
submission is about. The result says, in plain words the report can print, what was coarsened
and how many summaries were held back and why.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import math
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from django.conf import settings
from django.core import checks
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy, ngettext, ngettext_lazy

from kalkan.records import gazetteer
from kalkan.records.vocabularies import Vocabulary, vocabulary

# --- configuration -------------------------------------------------------------------------

DEFAULT_THRESHOLD = 10
MINIMUM_THRESHOLD = 5
DEFAULT_K = 5
MINIMUM_K = 5

# One marker for every hidden number, whatever the reason it is hidden (see the module text).
MARKER = "—"


def _configured(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def threshold() -> int:
    """The smallest count that may be published (counts 1 … threshold-1 are hidden).

    A configured value below 5 is raised to 5 rather than obeyed: a count of 1–4 in a table
    about a small, hunted community points at a person, and a lower threshold is far more
    likely to be a typo or a misunderstanding than an informed decision. The system check
    ``check_publication_settings`` warns the operator that their setting was overridden.
    """
    return max(MINIMUM_THRESHOLD, _configured("KALKAN_PUBLICATION_THRESHOLD", DEFAULT_THRESHOLD))


def publication_k() -> int:
    """k for case summaries: each released summary matches at least k cases; never below 5."""
    return max(MINIMUM_K, _configured("KALKAN_PUBLICATION_K", DEFAULT_K))


@checks.register(checks.Tags.security)
def check_publication_settings(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Tell the operator when a publication setting is unusable or below its floor.

    Registered when this module is imported; AnalysisConfig.ready() should import it so that
    the check runs at start-up.
    """
    messages: list[checks.CheckMessage] = []
    for name, default, minimum, code in (
        ("KALKAN_PUBLICATION_THRESHOLD", DEFAULT_THRESHOLD, MINIMUM_THRESHOLD, "001"),
        ("KALKAN_PUBLICATION_K", DEFAULT_K, MINIMUM_K, "002"),
    ):
        try:
            value = _configured(name, default)
        except (TypeError, ValueError):
            messages.append(
                checks.Error(f"{name} must be a whole number.", id=f"kalkan.analysis.E{code}")
            )
            continue
        if value < minimum:
            messages.append(
                checks.Warning(
                    f"{name} is {value}; the publication gate uses {minimum}, its minimum.",
                    hint="Small counts identify people in a small community; see "
                    "kalkan/analysis/gate.py.",
                    id=f"kalkan.analysis.W{code}",
                )
            )
    return messages


# --- coarsening helpers ---------------------------------------------------------------------

PERIOD_YEARS = 3
PERIOD_ANCHOR = 2000  # periods are 2000–2002, …, 2021–2023, 2024–2026: fixed, so that every
# report edition uses the same periods and two editions cannot be differenced.


def coarsen_year(value: str | Mapping[str, Any] | date | None) -> str:
    """The year of an ISO date ("2023-03-14", "2023-03", "2023"), a fuzzy date
    ({"year": 2023, "month": …}) or a date, as text; "" when unknown."""
    if value is None or value == "":
        return ""
    if isinstance(value, date):
        return f"{value.year:04d}"
    if isinstance(value, Mapping):
        year = value.get("year")
        return f"{int(year):04d}" if year else ""
    head = value.strip()[:4]
    if len(head) != 4 or not head.isdigit():
        raise ValueError(f"not a date or a year: {value!r}")
    return head


def coarsen_period(
    value: str | Mapping[str, Any] | date | None,
    years: int = PERIOD_YEARS,
    anchor: int = PERIOD_ANCHOR,
) -> str:
    """The fixed period of `years` years that holds the date's year, e.g. "2021–2023"."""
    year = coarsen_year(value)
    if not year:
        return ""
    start = int(year) - (int(year) - anchor) % years
    return f"{start}–{start + years - 1}"


def coarsen_region(place_code: str) -> str:
    """The region (oblast or city of national significance) of a gazetteer code; a country
    stays a country. "" stays "". Unknown codes raise KeyError: nothing unvetted is published."""
    return gazetteer.coarsen(place_code) if place_code else ""


def coarsen_country(place_code: str) -> str:
    """The country (gazetteer code, e.g. "kg") of a gazetteer code; "" stays ""."""
    return gazetteer.coarsen(place_code, "country") if place_code else ""


def _ancestor_at(vocab: Vocabulary, code: str, depth: int) -> str:
    if not code:
        return ""
    chain = [*vocab.ancestors(code), vocab.terms[code]]  # KeyError for an unknown code
    return chain[min(depth, len(chain) - 1)].code


def group_act_type(code: str, vocab: Vocabulary | None = None) -> str:
    """The top-level group of an act type ("detention.arbitrary" → "liberty").

    Pass `vocab` when records may hold admins' local terms (``Vocabulary.with_terms``)."""
    return _ancestor_at(vocab or vocabulary("act_types"), code, 0)


def broader_act_type(code: str, vocab: Vocabulary | None = None) -> str:
    """The act type one level below its group ("detention.arbitrary" → "detention")."""
    return _ancestor_at(vocab or vocabulary("act_types"), code, 1)


def group_perpetrator_type(code: str, vocab: Vocabulary | None = None) -> str:
    """The top-level group of a perpetrator type ("police.patrol" → "police")."""
    return _ancestor_at(vocab or vocabulary("perpetrator_types"), code, 0)


MINOR = "minor"
ADULT = "adult"
UNKNOWN_AGE = "unknown"
_AGE_GROUPS = {
    "0_13": MINOR,
    "14_17": MINOR,
    "18_24": ADULT,
    "25_34": ADULT,
    "35_44": ADULT,
    "45_54": ADULT,
    "55_64": ADULT,
    "65_plus": ADULT,
    "unknown": UNKNOWN_AGE,
    "": UNKNOWN_AGE,
}
AGE_GROUP_LABELS = {
    MINOR: gettext_lazy("Under 18"),
    ADULT: gettext_lazy("18 or older"),
    UNKNOWN_AGE: gettext_lazy("Age unknown"),
}


def coarsen_age_band(code: str) -> str:
    """"minor", "adult" or "unknown" for a code of the age_band vocabulary."""
    try:
        return _AGE_GROUPS[code]
    except KeyError:
        raise KeyError(f"{code!r} is not an age band (vocab/age_band.csv)") from None


# --- one-way tables -------------------------------------------------------------------------


def shown(value: int | None) -> str:
    """A gated number as printed: the number, or the one marker for a hidden number."""
    return MARKER if value is None else str(value)


def _note(suppressed: int, limit: int) -> str:
    if not suppressed:
        return ""
    return ngettext(
        "%(count)d number is hidden (%(marker)s). Counts from 1 to %(limit)d are never "
        "published, and larger counts are hidden where needed so that the small ones cannot "
        "be worked out from the totals.",
        "%(count)d numbers are hidden (%(marker)s). Counts from 1 to %(limit)d are never "
        "published, and larger counts are hidden where needed so that the small ones cannot "
        "be worked out from the totals.",
        suppressed,
    ) % {"count": suppressed, "marker": MARKER, "limit": limit}


@dataclass(frozen=True)
class GatedSeries:
    """A one-way table fit to publish: None is a hidden number (print it with ``shown``)."""

    categories: list[str]
    counts: list[int | None]
    total: int | None
    suppressed: int  # how many numbers are hidden, the total included
    threshold: int

    @property
    def note(self) -> str:
        """The footnote for the table, in the active language ("" when nothing is hidden)."""
        return _note(self.suppressed, self.threshold - 1)


def _check_counts(counts: Iterable[int]) -> None:
    for count in counts:
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"counts are whole numbers ≥ 0, not {count!r}")


def _series_safe(counts: Sequence[int], hidden: set[int], limit: int) -> bool:
    """With the total published: the hidden cells share what the published ones leave, each
    ≥ 1, so each lies in [1, rest - (n-1)]; it must have more than one value and, if small,
    reach the threshold."""
    if not hidden:
        return True
    if len(hidden) == 1:
        return False
    rest = sum(counts[i] for i in hidden)
    highest = rest - (len(hidden) - 1)
    if highest <= 1:
        return False
    return all(counts[i] >= limit or highest >= limit for i in hidden)


def _protect_series(counts: Sequence[int], limit: int) -> tuple[set[int], bool]:
    """The hidden cells and whether the total is hidden too."""
    nonzero = {i for i, count in enumerate(counts) if count > 0}
    if 1 <= sum(counts) < limit:
        # Every nonzero count is then small too; with the total hidden, nothing bounds them.
        return nonzero, True
    hidden = {i for i, count in enumerate(counts) if 1 <= count < limit}
    while not _series_safe(counts, hidden, limit):
        candidates = sorted((counts[i], i) for i in nonzero - hidden)
        if not candidates:
            # Only small counts, summing to at least the threshold, and still recoverable
            # (e.g. ten 1s and a total of 10): hiding the total leaves every cell unbounded.
            return nonzero, True
        hidden.add(
            next(
                (i for _, i in candidates if _series_safe(counts, hidden | {i}, limit)),
                candidates[0][1],
            )
        )
    return hidden, False


def gate_series(categories: Sequence[str], counts: Sequence[int]) -> GatedSeries:
    """Gate a one-way table: `counts[i]` cases in `categories[i]`; the total is their sum."""
    if len(categories) != len(counts):
        raise ValueError("one count per category")
    _check_counts(counts)
    limit = threshold()
    hidden, total_hidden = _protect_series(counts, limit)
    return GatedSeries(
        categories=list(categories),
        counts=[None if i in hidden else count for i, count in enumerate(counts)],
        total=None if total_hidden else sum(counts),
        suppressed=len(hidden) + total_hidden,
        threshold=limit,
    )


def beside_a_published_total(series: GatedSeries, total: int) -> bool:
    """Whether a gated series may stand beside another table of the same cases that
    publishes their total. The series hides its own total only when nothing else protects
    its small counts (ten 1s making 10); once the total is read elsewhere those counts are
    pinned, so the series must not be shown. A total below the threshold is hidden
    everywhere alike."""
    return series.total is not None or total < series.threshold


def _category(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"a category is text (pass a key to coarsen {value!r})")
    return value


def _categories(found: Iterable[str], given: Sequence[str] | None, what: str) -> list[str]:
    if given is None:
        return sorted(set(found))
    unknown = sorted(set(found) - set(given))
    if unknown:
        # Refuse rather than drop them: the totals would silently disagree with the data.
        raise ValueError(f"{what} not in the list given: {unknown}")
    return list(given)


def gate_values(
    values: Iterable[Any],
    categories: Sequence[str] | None = None,
    key: Callable[[Any], str] | None = None,
) -> GatedSeries:
    """Count `values` (after coarsening each with `key`, e.g. ``group_act_type``) and gate the
    counts. `categories` fixes the order and shows categories with no cases as 0."""
    keyed = [_category(key(value) if key else value) for value in values]
    order = _categories(keyed, categories, "values")
    tally = Counter(keyed)
    return gate_series(order, [tally[category] for category in order])


# --- two-way tables -------------------------------------------------------------------------

Cell = tuple[int, int]
"""A cell of the grid with margins: (row, column); row R is the column totals, column C the
row totals, (R, C) the grand total, for a table of R rows and C columns."""


def _grid(counts: Sequence[Sequence[int]]) -> list[list[int]]:
    """The table with its margins: each row followed by its total, then the column totals."""
    grid = [[*row, sum(row)] for row in counts]
    width = len(grid[0]) if grid else 1
    grid.append([sum(row[j] for row in grid) for j in range(width)])
    return grid


def _arc(cell: Cell, n_rows: int, n_cols: int) -> tuple[int, int]:
    """The arc (tail, head) of a cell in the flow graph: nodes 0…R are the grid rows, R+1… the
    grid columns. Body cells and the grand total point from row to column, the margins from
    column to row (the signs of the equations, see the module text)."""
    i, j = cell
    row, column = i, n_rows + 1 + j
    if (i < n_rows) == (j < n_cols):
        return row, column
    return column, row


def _max_flow(
    capacity: list[list[int]], neighbours: list[list[int]], source: int, sink: int, limit: int
) -> int:
    """Edmonds–Karp, stopping once `limit` is reached (the graphs have a few dozen nodes)."""
    residual = [row[:] for row in capacity]
    flow = 0
    while flow < limit:
        parent = [-1] * len(residual)
        parent[source] = source
        queue = deque([source])
        while queue and parent[sink] < 0:
            u = queue.popleft()
            for v in neighbours[u]:
                if parent[v] < 0 and residual[u][v] > 0:
                    parent[v] = u
                    queue.append(v)
        if parent[sink] < 0:
            break
        push = limit - flow
        v = sink
        while v != source:
            push = min(push, residual[parent[v]][v])
            v = parent[v]
        v = sink
        while v != source:
            u = parent[v]
            residual[u][v] -= push
            residual[v][u] += push
            v = u
        flow += push
    return flow


def _ranges(
    grid: list[list[int]], hidden: Iterable[Cell], floor: int = 1
) -> dict[Cell, tuple[int, int | None]]:
    n_rows, n_cols = len(grid) - 1, len(grid[0]) - 1
    size = n_rows + n_cols + 2
    unbounded = 1 + sum(map(sum, grid))  # more than any finite flow in this graph
    capacity = [[0] * size for _ in range(size)]
    arcs: dict[Cell, tuple[int, int]] = {}
    for cell in hidden:
        value = grid[cell[0]][cell[1]]
        if value < floor:
            raise ValueError(f"hidden cell {cell} holds {value}, below the floor {floor}")
        tail, head = arcs[cell] = _arc(cell, n_rows, n_cols)
        capacity[tail][head] = unbounded  # a cell can grow without limit …
        capacity[head][tail] = value - floor  # … and shrink down to the floor
    neighbours = [
        [v for v in range(size) if capacity[u][v] or capacity[v][u]] for u in range(size)
    ]
    ranges: dict[Cell, tuple[int, int | None]] = {}
    for cell, (tail, head) in arcs.items():
        value = grid[cell[0]][cell[1]]
        saved = capacity[tail][head], capacity[head][tail]
        capacity[tail][head] = capacity[head][tail] = 0
        up = _max_flow(capacity, neighbours, head, tail, unbounded)
        down = _max_flow(capacity, neighbours, tail, head, value - floor)
        capacity[tail][head], capacity[head][tail] = saved
        ranges[cell] = (value - down, None if up >= unbounded else value + up)
    return ranges


def feasible_ranges(
    counts: Sequence[Sequence[int]], hidden: Iterable[Cell], floor: int = 1
) -> dict[Cell, tuple[int, int | None]]:
    """What a reader can work out about each hidden cell: its smallest and largest value (None:
    no upper bound) given every other number of the table and its margins, and that every
    hidden cell is at least `floor` (1: zeros are shown, so a hidden cell is not zero).

    Cells are in grid coordinates (see ``Cell``). This is the audit the gate runs; it is public
    for the tests and for anyone who wants to audit a table by hand.
    """
    _check_counts(c for row in counts for c in row)
    return _ranges(_grid(counts), hidden, floor)


def _unprotected(
    grid: list[list[int]], hidden: set[Cell], primary: set[Cell], limit: int
) -> list[Cell]:
    failing = []
    for cell, (low, high) in _ranges(grid, hidden).items():
        value = grid[cell[0]][cell[1]]
        if cell in primary:
            safe = high is None or high >= limit
        else:
            safe = low < value or high is None or high > value
        if not safe:
            failing.append(cell)
    return sorted(failing, key=lambda c: (c not in primary, grid[c[0]][c[1]], c))


def _cheapest_cycle(grid: list[list[int]], hidden: set[Cell], cell: Cell, need: int) -> list[Cell]:
    """The published cells to hide so that `cell` can grow by `need`: the cheapest path back
    from its head to its tail through cells that can each move by `need` in the direction the
    path uses them. Hidden cells are free; a published cell costs its count (then one unit per
    cell, to prefer fewer cells among equally small ones)."""
    n_rows, n_cols = len(grid) - 1, len(grid[0]) - 1
    size = n_rows + n_cols + 2
    weight = len(grid) * len(grid[0]) + 1
    edges: list[list[tuple[int, int, Cell]]] = [[] for _ in range(size)]
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if (i, j) == cell or value == 0:  # zeros are never hidden (module text)
                continue
            cost = 0 if (i, j) in hidden else value * weight + 1
            tail, head = _arc((i, j), n_rows, n_cols)
            edges[tail].append((head, cost, (i, j)))  # growing: no limit
            if value - 1 >= need:
                edges[head].append((tail, cost, (i, j)))  # shrinking: down to 1
    start, goal = _arc(cell, n_rows, n_cols)[::-1]
    best = {start: 0}
    came: dict[int, tuple[int, Cell]] = {}
    queue = [(0, start)]
    while queue:
        cost, node = heapq.heappop(queue)
        if node == goal:
            break
        if cost > best.get(node, math.inf):
            continue
        for nxt, step, via in edges[node]:
            if cost + step < best.get(nxt, math.inf):
                best[nxt] = cost + step
                came[nxt] = (node, via)
                heapq.heappush(queue, (cost + step, nxt))
    if goal not in came:
        # Cannot happen when the cell is nonzero: its row/column totals and the grand total
        # close a cycle that can grow without limit. Fail closed all the same.
        raise RuntimeError("no complementary cells protect this cell")
    path = []
    node = goal
    while node != start:
        node, via = came[node]
        path.append(via)
    return [c for c in path if c not in hidden]


def _protect_table(grid: list[list[int]], limit: int) -> set[Cell]:
    primary = {
        (i, j) for i, row in enumerate(grid) for j, value in enumerate(row) if 1 <= value < limit
    }
    hidden = set(primary)
    while failing := _unprotected(grid, hidden, primary, limit):
        for cell in failing:
            if cell not in _unprotected(grid, hidden, primary, limit):
                continue  # protected by the complements chosen for an earlier cell
            value = grid[cell[0]][cell[1]]
            need = limit - value if cell in primary else 1
            hidden.update(_cheapest_cycle(grid, hidden, cell, need))
    # Publish again every complement that is not needed after all, the largest first.
    for cell in sorted(hidden - primary, key=lambda c: (-grid[c[0]][c[1]], c)):
        if not _unprotected(grid, hidden - {cell}, primary, limit):
            hidden.discard(cell)
    return hidden


@dataclass(frozen=True)
class GatedTable:
    """A two-way table fit to publish: None is a hidden number (print it with ``shown``)."""

    rows: list[str]
    columns: list[str]
    cells: list[list[int | None]]
    row_totals: list[int | None]
    column_totals: list[int | None]
    total: int | None
    suppressed: int  # how many numbers are hidden, margins and total included
    threshold: int

    @property
    def note(self) -> str:
        """The footnote for the table, in the active language ("" when nothing is hidden)."""
        return _note(self.suppressed, self.threshold - 1)

    def row_series(self) -> GatedSeries:
        """The row totals as a one-way table, consistent with this one (no new numbers)."""
        hidden = sum(v is None for v in self.row_totals) + (self.total is None)
        return GatedSeries(
            list(self.rows), list(self.row_totals), self.total, hidden, self.threshold
        )

    def column_series(self) -> GatedSeries:
        """The column totals as a one-way table, consistent with this one."""
        hidden = sum(v is None for v in self.column_totals) + (self.total is None)
        return GatedSeries(
            list(self.columns), list(self.column_totals), self.total, hidden, self.threshold
        )


def gate_table(
    rows: Sequence[str], columns: Sequence[str], counts: Sequence[Sequence[int]]
) -> GatedTable:
    """Gate a two-way table: `counts[i][j]` cases in row `rows[i]` and column `columns[j]`.
    Row totals, column totals and the grand total are computed and gated with the body."""
    if not rows or not columns:
        raise ValueError("a table has at least one row and one column")
    if len(counts) != len(rows) or any(len(row) != len(columns) for row in counts):
        raise ValueError("counts must have one row per row label and one count per column")
    _check_counts(c for row in counts for c in row)
    limit = threshold()
    grid = _grid(counts)
    hidden = _protect_table(grid, limit)
    n_rows, n_cols = len(rows), len(columns)
    masked = [
        [None if (i, j) in hidden else value for j, value in enumerate(row)]
        for i, row in enumerate(grid)
    ]
    return GatedTable(
        rows=list(rows),
        columns=list(columns),
        cells=[row[:n_cols] for row in masked[:n_rows]],
        row_totals=[row[n_cols] for row in masked[:n_rows]],
        column_totals=masked[n_rows][:n_cols],
        total=masked[n_rows][n_cols],
        suppressed=len(hidden),
        threshold=limit,
    )


def gate_pairs(
    pairs: Iterable[tuple[Any, Any]],
    rows: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
    row_key: Callable[[Any], str] | None = None,
    column_key: Callable[[Any], str] | None = None,
) -> GatedTable:
    """Cross-tabulate (row value, column value) pairs, one per act, after coarsening each side
    with `row_key`/`column_key` (e.g. ``coarsen_region`` and ``coarsen_year``), and gate it.
    `rows`/`columns` fix the order and show empty categories as 0."""
    keyed = [
        (_category(row_key(r) if row_key else r), _category(column_key(c) if column_key else c))
        for r, c in pairs
    ]
    row_order = _categories((r for r, _ in keyed), rows, "row values")
    column_order = _categories((c for _, c in keyed), columns, "column values")
    tally = Counter(keyed)
    return gate_table(
        row_order, column_order, [[tally[r, c] for c in column_order] for r in row_order]
    )


# --- case summaries: k-anonymity ------------------------------------------------------------

ANY = "*"  # a value generalised away entirely


@dataclass(frozen=True)
class QuasiIdentifiers:
    """What a reader could link a case summary to a person by. Vocabulary and gazetteer codes;
    "" for unknown. `region` may be any gazetteer code (a district is shown as its region);
    `year` may be a year or an ISO date."""

    country: str = ""
    region: str = ""
    year: str = ""
    age_band: str = ""
    gender_identity: str = ""
    act_type: str = ""
    perpetrator_type: str = ""


ATTRIBUTES = (
    "country",
    "region",
    "year",
    "age_band",
    "gender_identity",
    "act_type",
    "perpetrator_type",
)
# The attributes from the least to the most important for advocacy: when two ways of
# coarsening lose as much, the one that keeps the later ones finer wins (type of act and gender
# identity are what a UN submission is about). Also the order of the statement's sentences.
_PREFERENCE = (
    "region",
    "age_band",
    "year",
    "perpetrator_type",
    "country",
    "act_type",
    "gender_identity",
)


@dataclass(frozen=True)
class CaseSummary:
    """A candidate summary: an opaque id (never shown) and its quasi-identifiers."""

    id: str
    qi: QuasiIdentifiers


def _country(code: str) -> str:
    if not code:
        return ""
    place = gazetteer.place(code.lower())
    if place is None or place.level != "country":
        raise KeyError(f"{code!r} is not a country of the gazetteer")
    return place.code


def _ladders(qi: QuasiIdentifiers) -> dict[str, tuple[str, ...]]:
    """Each attribute's value at every level of its hierarchy, finest first, ANY last."""
    region = coarsen_region(qi.region)
    year = coarsen_year(qi.year)
    band = qi.age_band
    coarsen_age_band(band)  # KeyError for a code that is not an age band
    return {
        "country": (_country(qi.country), ANY),
        "region": (region, coarsen_country(region), ANY),
        "year": (year, coarsen_period(year), ANY),
        "age_band": (band, coarsen_age_band(band), ANY),
        "gender_identity": (qi.gender_identity, ANY),
        "act_type": (qi.act_type, broader_act_type(qi.act_type), group_act_type(qi.act_type), ANY),
        "perpetrator_type": (qi.perpetrator_type, group_perpetrator_type(qi.perpetrator_type), ANY),
    }


_TOP = {"country": 1, "region": 2, "year": 2, "age_band": 2, "gender_identity": 1,
        "act_type": 3, "perpetrator_type": 2}

_POLICY = ngettext_lazy(
    "Each case summary shown matches at least %(k)d documented case in country, region, "
    "year, age, gender identity, type of act and type of perpetrator.",
    "Each case summary shown matches at least %(k)d documented cases in country, region, "
    "year, age, gender identity, type of act and type of perpetrator.",
    "k",
)
_HELD_BACK = ngettext_lazy(
    "%(count)d summary held back: it matches fewer than the required number of similar "
    "cases even after coarsening.",
    "%(count)d summaries held back: they match fewer than the required number of similar "
    "cases even after coarsening.",
    "count",
)
_GENERALISED = {
    ("region", 1): ngettext_lazy(
        "Region shown as country for all summaries: fewer than %(k)d similar case per region.",
        "Region shown as country for all summaries: fewer than %(k)d similar cases per region.",
        "k",
    ),
    ("region", 2): ngettext_lazy(
        "Region not shown: fewer than %(k)d similar case per country.",
        "Region not shown: fewer than %(k)d similar cases per country.",
        "k",
    ),
    ("country", 1): ngettext_lazy(
        "Country not shown: fewer than %(k)d similar case per country.",
        "Country not shown: fewer than %(k)d similar cases per country.",
        "k",
    ),
    ("year", 1): ngettext_lazy(
        "Year shown as a three-year period for all summaries: fewer than %(k)d similar case "
        "per year.",
        "Year shown as a three-year period for all summaries: fewer than %(k)d similar cases "
        "per year.",
        "k",
    ),
    ("year", 2): ngettext_lazy(
        "Year not shown: fewer than %(k)d similar case per three-year period.",
        "Year not shown: fewer than %(k)d similar cases per three-year period.",
        "k",
    ),
    ("age_band", 1): ngettext_lazy(
        "Age shown only as under 18 or 18 and older: fewer than %(k)d similar case per age "
        "band.",
        "Age shown only as under 18 or 18 and older: fewer than %(k)d similar cases per age "
        "band.",
        "k",
    ),
    ("age_band", 2): ngettext_lazy(
        "Age not shown: fewer than %(k)d similar case per age group.",
        "Age not shown: fewer than %(k)d similar cases per age group.",
        "k",
    ),
    ("gender_identity", 1): ngettext_lazy(
        "Gender identity not shown: fewer than %(k)d similar case per gender identity.",
        "Gender identity not shown: fewer than %(k)d similar cases per gender identity.",
        "k",
    ),
    ("act_type", 1): ngettext_lazy(
        "Type of act shown as a broader type for all summaries: fewer than %(k)d similar case "
        "per type of act.",
        "Type of act shown as a broader type for all summaries: fewer than %(k)d similar "
        "cases per type of act.",
        "k",
    ),
    ("act_type", 2): ngettext_lazy(
        "Type of act shown only as its group (for example, deprivation of liberty): fewer "
        "than %(k)d similar case per type of act.",
        "Type of act shown only as its group (for example, deprivation of liberty): fewer "
        "than %(k)d similar cases per type of act.",
        "k",
    ),
    ("act_type", 3): ngettext_lazy(
        "Type of act not shown: fewer than %(k)d similar case per group of acts.",
        "Type of act not shown: fewer than %(k)d similar cases per group of acts.",
        "k",
    ),
    ("perpetrator_type", 1): ngettext_lazy(
        "Type of perpetrator shown only as its group (for example, police): fewer than %(k)d "
        "similar case per type of perpetrator.",
        "Type of perpetrator shown only as its group (for example, police): fewer than %(k)d "
        "similar cases per type of perpetrator.",
        "k",
    ),
    ("perpetrator_type", 2): ngettext_lazy(
        "Type of perpetrator not shown: fewer than %(k)d similar case per group of "
        "perpetrators.",
        "Type of perpetrator not shown: fewer than %(k)d similar cases per group of "
        "perpetrators.",
        "k",
    ),
}


@dataclass(frozen=True)
class Reason:
    """One sentence of the statement a report prints about its case summaries; str() gives
    it in the active language (so build the report under ``translation.override``)."""

    kind: str  # "policy", "generalised" or "held_back"
    k: int
    attribute: str = ""
    level: int = 0
    count: int = 0

    def __str__(self) -> str:
        if self.kind == "policy":
            return _POLICY % {"k": self.k}
        if self.kind == "held_back":
            return _HELD_BACK % {"count": self.count}
        return _GENERALISED[self.attribute, self.level] % {"k": self.k}


@dataclass(frozen=True)
class AnonymisedSummaries:
    """Which summaries may be published, with which values, and the statement to print."""

    released: list[CaseSummary]  # ids and the (possibly coarsened) values to print
    held_back: list[str]  # ids of summaries that must not be published
    levels: dict[str, int] = field(default_factory=dict)  # 0 = as recorded
    reasons: list[Reason] = field(default_factory=list)
    k: int = MINIMUM_K

    def statement(self) -> list[str]:
        """The reasons as sentences in the active language."""
        return [str(reason) for reason in self.reasons]


Ladders = tuple[tuple[str, ...], ...]  # one ladder per attribute, in ATTRIBUTES order


def _as_tuple(ladders: dict[str, tuple[str, ...]]) -> Ladders:
    return tuple(ladders[a] for a in ATTRIBUTES)


def _key(ladders: Ladders, levels: Sequence[int]) -> tuple[str, ...]:
    return tuple(ladder[level] for ladder, level in zip(ladders, levels, strict=True))


@functools.cache
def _lattice() -> tuple[tuple[int, ...], ...]:
    """Every combination of levels worth trying, the least coarsened first.

    Loss is Sweeney's precision loss, the sum over attributes of level/top (hiding gender
    identity, one step, costs as much as hiding the type of act, three steps). Equal losses
    go to the combination that keeps the most important attributes finest. Country is only
    generalised once region is hidden: while a region is shown it names its country anyway.
    """
    region, country = ATTRIBUTES.index("region"), ATTRIBUTES.index("country")
    scale = math.lcm(*_TOP.values())  # whole numbers: level/top exactly, times scale
    nodes = [
        levels
        for levels in itertools.product(*(range(_TOP[a] + 1) for a in ATTRIBUTES))
        if not levels[country] or levels[region] == _TOP["region"]
    ]
    importance = [ATTRIBUTES.index(a) for a in reversed(_PREFERENCE)]
    return tuple(
        sorted(
            nodes,
            key=lambda levels: (
                sum(level * scale // _TOP[a] for a, level in zip(ATTRIBUTES, levels, strict=True)),
                [levels[i] for i in importance],
            ),
        )
    )


class _ClassSizes:
    """How many candidates fall short of k at a combination of levels, counted with NumPy:
    the lattice is walked up to 1296 times over a population of up to a few thousand acts."""

    def __init__(self, crowd: Counter[Ladders], wanted: Counter[Ladders], k: int) -> None:
        rows = list(crowd)
        index = {x: n for n, x in enumerate(rows)}
        self.k = k
        self.weights = np.array([crowd[x] for x in rows], dtype=np.int64)
        self.wanted = np.array([index[x] for x in wanted], dtype=np.int64)
        self.wanted_weights = np.array(list(wanted.values()), dtype=np.int64)
        # codes[a][level]: each row's value of attribute a at that level, as a small integer.
        self.codes: list[list[np.ndarray[Any, np.dtype[np.int64]]]] = []
        self.sizes: list[list[int]] = []
        for a in range(len(ATTRIBUTES)):
            codes, sizes = [], []
            for level in range(_TOP[ATTRIBUTES[a]] + 1):
                numbers: dict[str, int] = {}
                codes.append(
                    np.array(
                        [numbers.setdefault(x[a][level], len(numbers)) for x in rows],
                        dtype=np.int64,
                    )
                )
                sizes.append(max(1, len(numbers)))
            self.codes.append(codes)
            self.sizes.append(sizes)

    def short(self, levels: Sequence[int]) -> int:
        if not len(self.weights):
            return 0
        key = np.zeros(len(self.weights), dtype=np.int64)
        span = 1
        for a, level in enumerate(levels):
            size = self.sizes[a][level]
            if span * size >= 2**62:  # renumber the classes so far, to stay within int64
                _, key = np.unique(key, return_inverse=True)
                span = len(self.weights)
            key = key * size + self.codes[a][level]
            span *= size
        _, inverse = np.unique(key, return_inverse=True)
        sizes = np.bincount(inverse, weights=self.weights)[inverse]
        return int(self.wanted_weights[sizes[self.wanted] < self.k].sum())


def anonymise_summaries(
    candidates: Sequence[CaseSummary],
    population: Sequence[QuasiIdentifiers] | None = None,
    max_held_back: float = 0.10,
) -> AnonymisedSummaries:
    """Coarsen, and hold back, case summaries until each released one matches ≥ k cases.

    `population`: the quasi-identifiers of every act in the same filtered data set; it must
    contain the candidates' own acts. Without it, the candidates are counted against each
    other, over the released summaries only.
    """
    if not 0 <= max_held_back < 1:
        raise ValueError("max_held_back is a share between 0 and 1")
    k = publication_k()
    cache: dict[QuasiIdentifiers, Ladders] = {}

    def ladders(qi: QuasiIdentifiers) -> Ladders:
        if qi not in cache:
            cache[qi] = _as_tuple(_ladders(qi))
        return cache[qi]

    mine = [ladders(c.qi) for c in candidates]
    # Equal ladders mean equal values as recorded (a ladder starts with the recorded value).
    crowd = Counter(mine if population is None else [ladders(qi) for qi in population])
    wanted = Counter(mine)
    if any(crowd[x] < n for x, n in wanted.items()):
        # The candidates' acts are in scope, so the population must hold each of them;
        # otherwise the counts would be made against the wrong data set.
        raise ValueError("the population must include every candidate's own act")
    short = _ClassSizes(crowd, wanted, k).short

    # Incognito-style full-domain search: the first combination, in order of loss, that
    # releases all but at most `allowed` candidates; at the top of the lattice (everything
    # hidden) whatever still falls short is held back. The lattice has at most 1296 nodes.
    allowed = math.floor(max_held_back * len(candidates))
    nodes = _lattice()
    chosen = nodes[-1]
    for node in nodes:
        if short(node) <= allowed:
            chosen = node
            break

    # Hold back what falls short. Without a population, count over the released set only,
    # again after each round: holding some back must not leave others short.
    held: set[int] = set()
    while True:
        if population is None:
            among = Counter(_key(x, chosen) for n, x in enumerate(mine) if n not in held)
        else:
            among = Counter()
            for x, n in crowd.items():
                among[_key(x, chosen)] += n
        more = {
            n for n, x in enumerate(mine) if n not in held and among[_key(x, chosen)] < k
        }
        if not more:
            break
        held |= more

    levels = dict(zip(ATTRIBUTES, chosen, strict=True))
    reasons = [Reason("policy", k)]
    reasons += [
        Reason("generalised", k, attribute=a, level=levels[a]) for a in _PREFERENCE if levels[a]
    ]
    if held:
        reasons.append(Reason("held_back", k, count=len(held)))
    return AnonymisedSummaries(
        released=[
            CaseSummary(c.id, QuasiIdentifiers(*_key(mine[n], chosen)))
            for n, c in enumerate(candidates)
            if n not in held
        ],
        held_back=[c.id for n, c in enumerate(candidates) if n in held],
        levels=levels,
        reasons=reasons,
        k=k,
    )


def value_label(attribute: str, value: str, language: str | None = None) -> str:
    """A released quasi-identifier value as a reader sees it, in `language` (default active)."""
    with translation.override(language or translation.get_language()):
        if value == ANY:
            return gettext("not shown")
        if attribute in ("country", "region"):
            if not value:
                return gettext("place unknown")
            place = gazetteer.place(value)
            return place.name(language) if place else value
        if attribute == "year":
            return value or gettext("date unknown")
        if attribute == "age_band":
            if value in AGE_GROUP_LABELS and value not in vocabulary("age_band"):
                return str(AGE_GROUP_LABELS[value])
            return vocabulary("age_band").label(value or "unknown", language)
        names = {
            "gender_identity": "gender_identity",
            "act_type": "act_types",
            "perpetrator_type": "perpetrator_types",
        }
        if attribute not in names:
            raise KeyError(f"not a quasi-identifier: {attribute!r}")
        if not value:
            return gettext("unknown")
        return vocabulary(names[attribute]).label(value, language)


def with_levels(qi: QuasiIdentifiers, levels: Mapping[str, int]) -> QuasiIdentifiers:
    """`qi` generalised to `levels` (e.g. to show how a population act would be published)."""
    ladders = _as_tuple(_ladders(qi))
    return QuasiIdentifiers(*_key(ladders, [levels.get(a, 0) for a in ATTRIBUTES]))

