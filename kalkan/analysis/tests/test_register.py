"""The gate remembers what left: a new table that, subtracted from a released one (or added
to it), gives a hidden small count away is refused, with the reason; tables that reveal
nothing together pass; the register is sealed."""

from __future__ import annotations

from kalkan.analysis import gate, register
from kalkan.analysis.register import Released, Scope

KG = "kg"


def _series(dimension: str, scope: Scope, counts: dict[str, int], on: str = "") -> Released:
    categories = list(counts)
    series = gate.gate_series(categories, [counts[c] for c in categories])
    return Released(dimension, scope, register.series_facts(dimension, categories, series), on)


def _two_way(scope: Scope, counts: dict[str, list[int]], on: str = "") -> Released:
    groups = list(counts)
    table = gate.gate_table(groups, list(scope.years), [counts[g] for g in groups])
    return Released(register.TWO_WAY, scope,
                    register.two_way_facts(groups, scope.years, table), on)


def test_a_year_less_subtracted_from_a_released_table_is_refused():
    old = _series("region", Scope(KG, ("2024", "2025")), {"kg.bishkek": 20, "kg.osh": 12},
                  "2026-01-15")
    # Over 2025 alone the gate hides Osh (9) and Bishkek (17) and publishes the total, 26:
    # 32 - 26 = 6 acts in 2024, a count the gate would hide.
    new = _series("region", Scope(KG, ("2025",)), {"kg.bishkek": 17, "kg.osh": 9})
    assert new.facts[-1].count == 26 and new.facts[0].count is None
    result = register.audit([new], [old])
    # Hiding the total too is enough: the region table over 2025 goes out with every number
    # hidden rather than not at all.
    better, problem = result.coarsened["region"]
    assert "region" not in result.refused
    assert (problem.years, problem.low, problem.high) == (("2024",), 6, 6)
    assert problem.other == old
    assert [f.count for f in better.facts] == [None, None, None]
    assert register.audit([better], [old]).coarsened == {}
    text = register.reason(problem, lambda dimension, value: value)
    assert "2026-01-15" in text and "2024" in text and "6" in text


def test_same_filters_minus_one_type_of_act_is_refused():
    everything = Scope(KG, ("2025",))
    old = _series("region", everything, {"kg.bishkek": 25, "kg.osh": 14}, "2026-02-01")
    # Only deprivation of liberty: every number is published, and the difference is the
    # other types of act per region: 5 in Bishkek, 3 in Osh.
    new = _series("region", Scope(KG, ("2025",), ("liberty",)),
                  {"kg.bishkek": 20, "kg.osh": 11})
    assert all(f.count is not None for f in new.facts)
    result = register.audit([new], [old])
    better, problem = result.coarsened["region"]
    assert 1 <= problem.low <= problem.high < gate.threshold()
    assert problem.groups == (register.OTHER_GROUP,)
    # Bishkek and Osh both hidden, the total shown: then nothing can be subtracted.
    assert sum(f.count is None for f in better.facts) >= 2
    assert register.audit([better], [old]).coarsened == {}


def test_two_editions_a_year_apart_give_away_the_new_years_total():
    last_year = _two_way(Scope(KG, ("2024", "2025")),
                         {"liberty": [30, 25], "violence": [12, 14]}, "2025-12-20")
    this_year = _two_way(Scope(KG, ("2024", "2025", "2026")),
                         {"liberty": [30, 25, 3], "violence": [12, 14, 1]})
    hidden = [f for f in this_year.facts if f.count is None]
    assert any(f.year == "2026" and not f.group for f in hidden)  # the gate hid 2026's total
    result = register.audit([this_year], [last_year])
    better, problem = result.coarsened[register.TWO_WAY]
    assert "2026" in problem.years
    assert 1 <= problem.low <= problem.high < gate.threshold()
    assert register.audit([better], [last_year]).coarsened == {}
    hidden_now = {(f.year, f.group) for f in better.facts if f.count is None}
    assert hidden_now > {(f.year, f.group) for f in hidden}


def test_a_table_no_single_hidden_number_can_save_is_refused(monkeypatch):
    old = _series("region", Scope(KG, ("2024", "2025")), {"kg.bishkek": 20, "kg.osh": 12},
                  "2026-01-15")
    new = _series("region", Scope(KG, ("2025",)), {"kg.bishkek": 17, "kg.osh": 9})
    monkeypatch.setattr(register, "MOST_ROUNDS", 0)  # no hiding more: refuse
    result = register.audit([new], [old])
    assert result.refused["region"].years == ("2024",) and result.coarsened == {}


def test_tables_that_reveal_nothing_together_pass():
    old = _series("region", Scope(KG, ("2024", "2025")), {"kg.bishkek": 40, "kg.osh": 30},
                  "2026-01-15")
    new = _series("region", Scope(KG, ("2025",)), {"kg.bishkek": 20, "kg.osh": 15})
    assert register.audit([new], [old]).refused == {}
    # Other years entirely: nothing links them.
    far = _series("region", Scope(KG, ("2020",)), {"kg.bishkek": 12, "kg.osh": 3})
    assert register.audit([far], [old]).refused == {}


def test_a_released_table_the_data_since_contradict_is_left_out():
    old = _series("region", Scope(KG, ("2025",)), {"kg.bishkek": 20, "kg.osh": 15},
                  "2026-01-15")
    new = _series("region", Scope(KG, ("2025",)), {"kg.bishkek": 22, "kg.osh": 15})
    result = register.audit([new], [old])
    assert result.refused == {} and result.contradicted == 1
