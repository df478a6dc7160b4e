"""The publication gate, checked against an independent attacker: scipy's LP solver.

The gate's own audit is a max-flow computation (no scipy at run time); here every hidden cell
of hundreds of random tables is attacked with ``scipy.optimize.linprog`` instead: minimise and
maximise the cell subject to every published number, the table's additivity and what a reader
knows about hidden cells (≥ 1, because zeros are shown; and, for a weaker reader, ≥ 0). The
constraint matrices are network matrices, so the LP bounds are the integer bounds.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence

import pytest
from django.conf import settings
from django.core import checks
from django.test import override_settings
from django.utils import translation
from scipy.optimize import linprog

from kalkan.analysis import gate
from kalkan.analysis.gate import (
    ANY,
    CaseSummary,
    GatedTable,
    QuasiIdentifiers,
    anonymise_summaries,
    feasible_ranges,
    gate_pairs,
    gate_series,
    gate_table,
    gate_values,
)

Cell = tuple[int, int]

# --- the attacker ---------------------------------------------------------------------------


def grid_of(counts: Sequence[Sequence[int]]) -> list[list[int]]:
    """The table with its margins, as the gate lays it out (row R: column totals)."""
    grid = [[*row, sum(row)] for row in counts]
    grid.append([sum(row[j] for row in grid) for j in range(len(grid[0]))])
    return grid


def published_grid(table: GatedTable) -> list[list[int | None]]:
    grid: list[list[int | None]] = [
        [*row, total] for row, total in zip(table.cells, table.row_totals, strict=True)
    ]
    grid.append([*table.column_totals, table.total])
    return grid


def lp_range(shown: list[list[int | None]], cell: Cell, floor: int) -> tuple[float, float | None]:
    """The smallest and largest value of hidden `cell` (None: unbounded) that a reader derives
    from the published grid, where each grid row and column says "cells − total = 0"."""
    hidden = [(i, j) for i, row in enumerate(shown) for j, v in enumerate(row) if v is None]
    index = {c: n for n, c in enumerate(hidden)}
    n_rows, n_cols = len(shown) - 1, len(shown[0]) - 1
    equations = [
        [((i, j), 1) for j in range(n_cols)] + [((i, n_cols), -1)] for i in range(n_rows + 1)
    ] + [[((i, j), 1) for i in range(n_rows)] + [((n_rows, j), -1)] for j in range(n_cols + 1)]
    a_eq, b_eq = [], []
    for terms in equations:
        row = [0.0] * len(hidden)
        constant = 0.0
        for (i, j), sign in terms:
            value = shown[i][j]
            if value is None:
                row[index[i, j]] += sign
            else:
                constant -= sign * value
        if any(row):
            a_eq.append(row)
            b_eq.append(constant)
    objective = [0.0] * len(hidden)
    objective[index[cell]] = 1.0
    bounds = [(floor, None)] * len(hidden)
    low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    assert low.status == 0, low.message
    high = linprog([-x for x in objective], A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if high.status == 3:  # unbounded
        return low.fun, None
    assert high.status == 0, high.message
    return low.fun, -high.fun


def series_lp_range(
    counts: list[int | None], total: int | None, cell: int, floor: int
) -> tuple[float, float | None]:
    hidden = [i for i, v in enumerate(counts) if v is None]
    unknowns = len(hidden) + (total is None)
    objective = [0.0] * unknowns
    objective[hidden.index(cell)] = 1.0
    row = [1.0] * len(hidden) + ([-1.0] if total is None else [])
    rhs = -sum(v for v in counts if v is not None) + (total or 0)
    bounds = [(floor, None)] * unknowns
    low = linprog(objective, A_eq=[row], b_eq=[rhs], bounds=bounds, method="highs")
    assert low.status == 0, low.message
    high = linprog([-x for x in objective], A_eq=[row], b_eq=[rhs], bounds=bounds, method="highs")
    if high.status == 3:
        return low.fun, None
    assert high.status == 0, high.message
    return low.fun, -high.fun


def seeded(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311 - reproducible test data, no secrets


def random_counts(rng: random.Random) -> list[list[int]]:
    """A table of 1×1 … 5×6 whose counts are mostly small: zeros, 1–9 and some larger."""

    def one() -> int:
        roll = rng.random()
        if roll < 0.3:
            return 0
        if roll < 0.75:
            return rng.randint(1, 9)
        return rng.randint(10, 45)

    n_rows, n_cols = rng.randint(1, 5), rng.randint(1, 6)
    return [[one() for _ in range(n_cols)] for _ in range(n_rows)]


# --- threshold ------------------------------------------------------------------------------


def test_threshold_defaults_to_ten() -> None:
    with override_settings():
        if hasattr(settings, "KALKAN_PUBLICATION_THRESHOLD"):
            delattr(settings, "KALKAN_PUBLICATION_THRESHOLD")
        assert gate.threshold() == 10
        assert gate.publication_k() == 5


@override_settings(KALKAN_PUBLICATION_THRESHOLD=7, KALKAN_PUBLICATION_K=8)
def test_threshold_and_k_can_be_raised() -> None:
    assert gate.threshold() == 7
    assert gate.publication_k() == 8
    assert gate_series(["a", "b"], [7, 20]).counts == [7, 20]
    assert gate.check_publication_settings() == []


@override_settings(KALKAN_PUBLICATION_THRESHOLD=3, KALKAN_PUBLICATION_K=2)
def test_threshold_below_five_is_raised_to_five_and_the_operator_is_warned() -> None:
    assert gate.threshold() == 5
    assert gate.publication_k() == 5
    # A 4 is hidden although the setting asked to publish everything from 3 up.
    assert gate_series(["a", "b", "c"], [4, 20, 30]).counts[0] is None
    ids = {m.id for m in gate.check_publication_settings()}
    assert ids == {"kalkan.analysis.W001", "kalkan.analysis.W002"}
    assert {m.id for m in checks.run_checks()} >= ids  # registered with Django's checks


@override_settings(KALKAN_PUBLICATION_THRESHOLD="ten")
def test_a_threshold_that_is_not_a_number_is_an_error() -> None:
    assert [m.id for m in gate.check_publication_settings()] == ["kalkan.analysis.E001"]
    with pytest.raises(ValueError):
        gate.threshold()


# --- two-way tables: the worked example -----------------------------------------------------


def test_the_only_trans_woman_detained_in_naryn_cannot_be_found() -> None:
    """Detentions in March by region and gender identity. One trans woman was detained in
    Naryn; published as it is, the table would point at her. Hiding only her "1" is not enough
    either: 17 detained in Naryn minus 16 men leaves 1, and 13 trans women minus 12 in Bishkek
    leaves 1. The gate also hides three numbers that would give her away, the cheapest set
    that does the job, and checks that every hidden number could be anything from 1 to
    at least 10 as far as a reader can tell."""
    rows = ["Bishkek", "Chüy", "Osh", "Naryn"]
    columns = ["man", "woman", "trans woman", "non-binary"]
    counts = [
        [14, 11, 12, 0],
        [11, 10, 0, 0],
        [12, 0, 0, 0],
        [16, 0, 1, 0],
    ]
    naive: list[list[int | None]] = [list(row) for row in grid_of(counts)]
    naive[3][2] = None
    assert lp_range(naive, (3, 2), floor=0) == (1, 1)  # hiding the 1 alone protects nothing
    table = gate_table(rows, columns, counts)
    assert table.cells == [
        [None, 11, None, 0],
        [11, 10, 0, 0],
        [12, 0, 0, 0],
        [None, 0, None, 0],
    ]
    assert table.row_totals == [37, 21, 12, 17]
    assert table.column_totals == [53, 21, 13, 0]
    assert table.total == 87
    assert table.suppressed == 4
    rendered = [[gate.shown(v) for v in row] for row in table.cells]
    assert rendered[3] == ["—", "0", "—", "0"]
    with translation.override("en"):
        assert table.note.startswith("4 numbers are hidden (—). Counts from 1 to 9")
    shown = published_grid(table)
    low, high = lp_range(shown, (3, 2), floor=1)
    assert (low, high) == (1, 12)  # "one to twelve trans women detained in Naryn"
    # The table holds no raw counts: the hidden values are nowhere in the object.
    assert "16" not in repr(table.cells) and "14" not in repr(table.cells)


def test_nothing_to_hide() -> None:
    table = gate_table(["a", "b"], ["x", "y"], [[10, 0], [25, 12]])
    assert table.cells == [[10, 0], [25, 12]]
    assert (table.row_totals, table.column_totals, table.total) == ([10, 37], [35, 12], 47)
    assert table.suppressed == 0 and table.note == ""


def test_a_small_table_is_hidden_whole() -> None:
    table = gate_table(["a"], ["x", "y"], [[3, 4]])
    assert table.cells == [[None, None]]
    assert table.row_totals == [None] and table.column_totals == [None, None]
    assert table.total is None
    assert table.suppressed == 6


def test_ten_ones_cannot_hide_behind_a_total_of_ten() -> None:
    # Every nonzero cell is hidden, but hidden cells are ≥ 1 and sum to the published 10, so
    # each would be exactly 1: the total must go too.
    table = gate_table(["a"], [str(n) for n in range(10)], [[1] * 10])
    assert table.total is None
    series = gate_series([str(n) for n in range(10)], [1] * 10)
    assert series.total is None and series.suppressed == 11


def test_random_tables_show_no_small_number_and_no_recoverable_cell() -> None:
    rng = seeded(20240317)
    tables = 0
    for n in range(300):
        limit = (5, 10, 7)[n % 3]
        counts = random_counts(rng)
        with override_settings(KALKAN_PUBLICATION_THRESHOLD=limit):
            table = gate_table([f"r{i}" for i in range(len(counts))],
                               [f"c{j}" for j in range(len(counts[0]))], counts)
        truth = grid_of(counts)
        shown = published_grid(table)
        hidden = [(i, j) for i, row in enumerate(shown) for j, v in enumerate(row) if v is None]
        assert table.suppressed == len(hidden)
        assert table.threshold == limit
        for i, row in enumerate(shown):
            for j, value in enumerate(row):
                if value is not None:
                    # Published numbers are true, and never between 1 and threshold-1.
                    assert value == truth[i][j]
                    assert value == 0 or value >= limit, (counts, i, j)
                else:
                    assert truth[i][j] > 0  # zeros are shown, never hidden
        for line in [*shown, *zip(*shown, strict=True)]:
            assert sum(v is None for v in line) != 1  # the classic rule, a consequence
        ranges = feasible_ranges(counts, hidden)
        for cell in hidden:
            value = truth[cell[0]][cell[1]]
            low, high = lp_range(shown, cell, floor=1)
            assert low <= value and (high is None or value <= high)
            assert high is None or low < high, (counts, cell)
            if value < limit:
                assert high is None or high >= limit, (counts, cell, low, high)
            # The gate's max-flow audit agrees with the LP (bounds are integral).
            mine = ranges[cell]
            assert mine[0] == round(low)
            assert mine[1] == (None if high is None else round(high))
            assert high is None or abs(high - round(high)) < 1e-6
            if n < 60:
                # A reader who only knows "≥ 0" knows less still.
                low0, high0 = lp_range(shown, cell, floor=0)
                assert high0 is None or low0 < high0
        tables += bool(hidden)
    assert tables > 150  # the sample exercises the suppression, not only clean tables


def test_the_audit_agrees_with_lp_on_arbitrary_hidden_patterns() -> None:
    """feasible_ranges on patterns the gate would not choose: single hidden cells in a row,
    hidden zeros (floor 0), cycles pinned by 1s. These include exactly recoverable cells."""
    rng = seeded(7)
    pinned = 0
    for _ in range(200):
        counts = random_counts(rng)
        truth = grid_of(counts)
        floor = rng.choice((0, 1))
        cells = [
            (i, j)
            for i, row in enumerate(truth)
            for j, v in enumerate(row)
            if v >= floor and rng.random() < 0.45
        ]
        if not cells:
            continue
        shown: list[list[int | None]] = [
            [None if (i, j) in cells else v for j, v in enumerate(row)]
            for i, row in enumerate(truth)
        ]
        ranges = feasible_ranges(counts, cells, floor=floor)
        for cell in cells:
            low, high = lp_range(shown, cell, floor=floor)
            assert ranges[cell] == (round(low), None if high is None else round(high))
            pinned += ranges[cell][0] == ranges[cell][1]
    assert pinned > 50


def test_a_cycle_of_hidden_cells_can_still_pin_a_cell() -> None:
    # Four hidden 1s on a cycle: the graph criterion calls them safe, but a reader who knows
    # that hidden cells are ≥ 1 sees that none of them can move, in either direction.
    counts = [[1, 1, 20], [1, 1, 20]]
    hidden = [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert feasible_ranges(counts, hidden) == dict.fromkeys(hidden, (1, 1))
    # A reader who only knows "≥ 0" would see 0 to 2.
    assert feasible_ranges(counts, hidden, floor=0)[0, 0] == (0, 2)
    table = gate_table(["a", "b"], ["x", "y", "z"], counts)
    shown = published_grid(table)
    low, high = lp_range(shown, (0, 0), floor=1)
    assert high is None or high >= 10


def test_a_bigger_table_is_gated() -> None:
    rng = seeded(3)
    counts = [[rng.choice((0, 0, 1, 2, 3, 5, 8, 12, 20, 35)) for _ in range(10)] for _ in range(14)]
    table = gate_table([str(i) for i in range(14)], [str(j) for j in range(10)], counts)
    shown = published_grid(table)
    for row in shown:
        assert all(v is None or v == 0 or v >= 10 for v in row)
    hidden = [(i, j) for i, row in enumerate(shown) for j, v in enumerate(row) if v is None]
    ranges = feasible_ranges(counts, hidden)
    truth = grid_of(counts)
    for cell, (low, high) in ranges.items():
        assert high is None or (low < high and (truth[cell[0]][cell[1]] >= 10 or high >= 10))


def test_gate_pairs_coarsens_and_counts() -> None:
    acts: list[tuple[str, object]] = [("kg.naryn.at-bashy", "2023-03-02")] * 12
    acts += [("kg.naryn", "2024")] * 3 + [("kg.bishkek.lenin", {"year": 2023, "month": 5})] * 20
    table = gate_pairs(
        acts,
        rows=["kg.bishkek", "kg.naryn", "kg.osh"],
        row_key=gate.coarsen_region,
        column_key=gate.coarsen_year,
    )
    assert table.rows == ["kg.bishkek", "kg.naryn", "kg.osh"]
    assert table.columns == ["2023", "2024"]
    assert table.row_totals == [20, 15, 0]
    assert table.cells[2] == [0, 0]
    assert table.cells[1][1] is None and table.column_totals[1] is None
    with pytest.raises(ValueError, match="not in the list"):
        gate_pairs([("kg.chuy", "2023")], rows=["kg.naryn"], row_key=gate.coarsen_region)
    with pytest.raises(TypeError, match="pass a key"):
        gate_pairs([("kg.chuy", {"year": 2023})])


def test_row_series_agree_with_the_table() -> None:
    table = gate_table(["a", "b", "c"], ["x", "y"], [[3, 20], [15, 12], [30, 2]])
    series = table.row_series()
    assert series.counts == table.row_totals and series.total == table.total
    assert table.column_series().counts == table.column_totals


# --- one-way tables -------------------------------------------------------------------------


def test_one_small_category_takes_the_smallest_other_with_it() -> None:
    series = gate_series(["a", "b", "c", "d"], [3, 12, 0, 40])
    assert series.counts == [None, None, 0, 40]
    assert series.total == 55
    assert series.suppressed == 2
    assert series_lp_range(series.counts, series.total, 0, floor=1) == (1, 14)


def test_random_series() -> None:
    rng = seeded(11)
    for n in range(200):
        limit = (10, 5)[n % 2]
        values = (0, 0, 1, 1, 2, 4, 7, 9, 10, 14, 30)
        counts = [rng.choice(values) for _ in range(rng.randint(1, 8))]
        with override_settings(KALKAN_PUBLICATION_THRESHOLD=limit):
            series = gate_series([str(i) for i in range(len(counts))], counts)
        published = [*series.counts, series.total]
        assert all(v is None or v == 0 or v >= limit for v in published)
        assert series.suppressed == sum(v is None for v in published)
        assert sum(v is None for v in published) != 1
        for i, value in enumerate(series.counts):
            if value is None:
                assert counts[i] > 0
                low, high = series_lp_range(series.counts, series.total, i, floor=1)
                assert high is None or low < high
                if counts[i] < limit:
                    assert high is None or high >= limit
            else:
                assert value == counts[i]


def test_gate_values_coarsens_act_types() -> None:
    acts = ["detention.arbitrary"] * 6 + ["detention.administrative"] * 5 + ["threats.death"] * 3
    acts += ["outing.family"] * 30
    series = gate_values(acts, key=gate.group_act_type)
    assert series.categories == ["digital", "intimidation", "liberty"]
    assert series.counts == [30, None, None]  # the 3 threats, and the 11 detentions with them
    assert series.total == 44


# --- coarsening helpers ---------------------------------------------------------------------


def test_coarsening_helpers() -> None:
    assert gate.coarsen_year("2023-03-14") == "2023"
    assert gate.coarsen_year({"year": 2021, "month": 4, "day": None}) == "2021"
    assert gate.coarsen_year({"year": None}) == gate.coarsen_year(None) == ""
    assert gate.coarsen_period("2021") == "2021–2023"
    assert gate.coarsen_period("2023-12-31") == "2021–2023"
    assert gate.coarsen_period("2024") == "2024–2026"
    assert gate.coarsen_region("kg.naryn.at-bashy") == "kg.naryn"
    assert gate.coarsen_region("kg") == "kg"
    assert gate.coarsen_country("kz.almaty") == "kz"
    assert gate.group_act_type("detention.arbitrary") == "liberty"
    assert gate.broader_act_type("detention.arbitrary") == "detention"
    assert gate.group_act_type("liberty") == "liberty"
    assert gate.group_perpetrator_type("police.patrol") == "police"
    assert gate.group_perpetrator_type("family") == "family"
    assert gate.coarsen_age_band("14_17") == gate.MINOR
    assert gate.coarsen_age_band("65_plus") == gate.ADULT
    assert gate.coarsen_age_band("") == gate.coarsen_age_band("unknown") == gate.UNKNOWN_AGE
    for wrong in (lambda: gate.coarsen_region("kg.atlantis"), lambda: gate.group_act_type("x"),
                  lambda: gate.coarsen_age_band("30")):
        with pytest.raises(KeyError):
            wrong()
    with pytest.raises(ValueError):
        gate.coarsen_year("March")


# --- case summaries -------------------------------------------------------------------------

NARYN = QuasiIdentifiers("kg", "kg.naryn", "2023", "25_34", "trans_woman",
                         "detention.arbitrary", "police.patrol")


def summaries(qi: QuasiIdentifiers, count: int, prefix: str) -> list[CaseSummary]:
    return [CaseSummary(f"{prefix}{n}", qi) for n in range(count)]


def classes(released: list[CaseSummary]) -> Counter[QuasiIdentifiers]:
    return Counter(s.qi for s in released)


def test_an_already_anonymous_set_is_released_unchanged() -> None:
    osh = QuasiIdentifiers(
        "kg", "kg.osh", "2022", "18_24", "man", "outing.family", "family.parents"
    )
    candidates = summaries(NARYN, 5, "n") + summaries(osh, 6, "o")
    result = anonymise_summaries(candidates)
    assert [s.id for s in result.released] == [c.id for c in candidates]
    assert [s.qi for s in result.released] == [c.qi for c in candidates]
    assert result.held_back == []
    assert set(result.levels.values()) == {0}
    with translation.override("en"):
        assert result.statement() == [
            "Each case summary shown matches at least 5 documented cases in country, region, "
            "year, age, gender identity, type of act and type of perpetrator."
        ]


def test_a_unique_outlier_is_held_back() -> None:
    outlier = QuasiIdentifiers("kz", "kz.almaty-city", "2019", "0_13", "non_binary",
                               "conversion_practices.medical", "medical_staff")
    candidates = summaries(NARYN, 20, "n") + [CaseSummary("alone", outlier)]
    result = anonymise_summaries(candidates)
    assert result.held_back == ["alone"]
    assert len(result.released) == 20
    assert set(result.levels.values()) == {0}  # nobody else is coarsened for its sake
    with translation.override("en"):
        assert result.statement()[-1] == (
            "1 summary held back: it matches fewer than the required number of similar cases "
            "even after coarsening."
        )


def test_regions_are_shown_as_countries_when_too_few_per_region() -> None:
    osh = QuasiIdentifiers(**{**NARYN.__dict__, "region": "kg.osh"})
    candidates = summaries(NARYN, 3, "n") + summaries(osh, 4, "o")
    result = anonymise_summaries(candidates)
    assert result.held_back == []
    assert result.levels["region"] == 1 and sum(result.levels.values()) == 1
    assert {s.qi.region for s in result.released} == {"kg"}
    assert all(s.qi.act_type == "detention.arbitrary" for s in result.released)
    with translation.override("en"):
        assert (
            "Region shown as country for all summaries: fewer than 5 similar cases per region."
            in result.statement()
        )
        assert gate.value_label("region", "kg") == "Kyrgyzstan"
        assert gate.value_label("year", ANY) == "not shown"
        assert gate.value_label("age_band", gate.MINOR) == "Under 18"
    assert gate.value_label("gender_identity", "trans_woman", "ru") == "Трансгендерная женщина"


def test_too_few_cases_are_all_held_back() -> None:
    result = anonymise_summaries(summaries(NARYN, 4, "n"))
    assert result.released == [] and len(result.held_back) == 4


def test_the_population_counts_all_acts_in_scope() -> None:
    # One candidate with consent to publish a summary, four more such acts in the data set.
    candidates = [CaseSummary("only", NARYN)]
    result = anonymise_summaries(candidates, population=[NARYN] * 5)
    assert [s.qi for s in result.released] == [NARYN]
    # A district in the population counts as its region.
    at_bashy = QuasiIdentifiers(**{**NARYN.__dict__, "region": "kg.naryn.at-bashy"})
    result = anonymise_summaries(candidates, population=[NARYN] + [at_bashy] * 4)
    assert len(result.released) == 1
    with pytest.raises(ValueError, match="population must include"):
        anonymise_summaries(candidates, population=[at_bashy] * 0 + [
            QuasiIdentifiers(**{**NARYN.__dict__, "region": "kg.osh"})] * 5)


def test_random_summaries_are_k_anonymous() -> None:
    rng = seeded(5)
    regions = ["kg.naryn", "kg.osh", "kg.bishkek", "kg.chuy.alamudun", "kz.almaty-city", "kz.abai"]
    acts = ["detention.arbitrary", "detention.administrative", "threats.death", "outing.family",
            "extortion.outing_threat", "assault.group", "entrapment.dating_app"]
    perpetrators = ["police.patrol", "police.district", "family.parents", "acquaintances",
                    "security_service", "strangers"]
    bands = ["14_17", "18_24", "25_34", "35_44", "unknown"]
    genders = ["man", "woman", "trans_woman", "non_binary", ""]
    for n in range(40):
        k = (5, 6)[n % 2]

        def draw() -> QuasiIdentifiers:
            region = rng.choice(regions)
            # Skewed: half the cases share the commonest values, as in real data.
            common = rng.random() < 0.5
            return QuasiIdentifiers(
                country=region[:2],
                region="kg.bishkek" if common else region,
                year=str(rng.choice((2021, 2022, 2023, 2024))),
                age_band="25_34" if common else rng.choice(bands),
                gender_identity="man" if common else rng.choice(genders),
                act_type="detention.arbitrary" if common else rng.choice(acts),
                perpetrator_type="police.patrol" if common else rng.choice(perpetrators),
            )

        candidates = [CaseSummary(f"s{m}", draw()) for m in range(rng.randint(3, 80))]
        population = None
        if n % 3 == 0:
            population = [c.qi for c in candidates] + [draw() for _ in range(rng.randint(0, 60))]
        with override_settings(KALKAN_PUBLICATION_K=k):
            result = anonymise_summaries(candidates, population=population)
        assert result.k == k
        ids = [c.id for c in candidates]
        assert {s.id for s in result.released} | set(result.held_back) == set(ids)
        assert not {s.id for s in result.released} & set(result.held_back)
        if population is None:
            sizes = classes(result.released)
            assert all(sizes[s.qi] >= k for s in result.released)
        else:
            crowd = Counter(gate.with_levels(qi, result.levels) for qi in population)
            assert all(crowd[s.qi] >= k for s in result.released)
        # Released values are the candidate's own, generalised to the published levels.
        by_id = {c.id: c.qi for c in candidates}
        for s in result.released:
            assert s.qi == gate.with_levels(by_id[s.id], result.levels)
        # Hold-backs stay within the share unless nothing more can be coarsened.
        fully = all(
            result.levels[a] == top for a, top in gate._TOP.items()
        )
        assert len(result.held_back) <= len(candidates) // 10 or fully
        kinds = [r.kind for r in result.reasons]
        assert ("held_back" in kinds) == bool(result.held_back)
        with translation.override("en"):
            assert all(str(reason) for reason in result.reasons)


@override_settings(KALKAN_PUBLICATION_THRESHOLD=10)
def test_a_series_that_hides_its_total_is_not_shown_beside_a_published_total():
    # Ten people, one per category: every count is hidden, and the total with them. Beside
    # a table that publishes the total of 10, each hidden count would be pinned to 1.
    ones = gate.gate_series([f"c{i}" for i in range(10)], [1] * 10)
    assert ones.total is None
    assert not gate.beside_a_published_total(ones, 10)
    usual = gate.gate_series(["a", "b", "c"], [30, 4, 5])
    assert usual.total == 39 and gate.beside_a_published_total(usual, 39)
    small = gate.gate_series(["a", "b"], [3, 4])  # 7: hidden everywhere alike
    assert gate.beside_a_published_total(small, 7)
