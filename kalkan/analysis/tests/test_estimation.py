"""Multiple systems estimation: counts files refused with the row named, the methods on
simulated populations with a known size, the UK table's disagreement, strata and the
command line. Small sampler runs with fixed seeds: sane behaviour, not exact numbers (the
coverage figures come from benchmarks/estimation.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kalkan.analysis import estimation
from kalkan.analysis.estimation import CountsError, LcmcrSettings, read_counts
from kalkan.cli import main

QUICK = LcmcrSettings(chains=2, burn_in=1500, samples=400, thin=3, seed=7)
UK = Path(estimation.__file__).parent / "data" / "uk_modern_slavery_2013.csv"
GOOD = "A,B,C,n\n1,0,0,300\n0,1,0,250\n0,0,1,280\n1,1,0,60\n1,0,1,70\n0,1,1,55\n1,1,1,12\n"


@pytest.mark.parametrize(("text", "says"), [
    ("A,B,C,count\n1,0,0,3\n", "no column n"),
    ("A,B,n\n1,0,3\n0,1,4\n1,1,2\n", "at least 3 lists"),
    ("A,B,C,n\n1,0,0,3\n0,1,0,-2\n", "row 3: n is negative"),
    ("A,B,C,n\n1,0,0,3\n0,2,0,4\n", "row 3: list B must be 0 or 1"),
    ("A,B,C,n\n1,0,0,3\n0,0,0,40\n", "row 3: the pattern with no list"),
    ("A,B,C,n\n1,0,0,3\n0,1,0,4\n1,0,0,5\n", "row 4 repeats the combination of lists of row 2"),
    ("A,B,C,n\n1,0,0,3\n0,1,0,four\n", "row 3: n must be a whole number"),
    ("A,B,C,n\n1,0,0,3\n0,1\n", "row 3: 2 cells"),
    ("", "empty"),
])
def test_a_malformed_counts_file_is_refused_naming_the_row(text, says):
    with pytest.raises(CountsError) as refused:
        read_counts(text)
    assert says in str(refused.value)


def test_tables_without_overlaps_are_refused():
    no_overlap = read_counts("A,B,C,n\n1,0,0,30\n0,1,0,25\n0,0,1,28\n")[""]
    with pytest.raises(CountsError, match="no person is on more than one list"):
        estimation.estimate(no_overlap, lcmcr_settings=QUICK)
    lonely = read_counts("A,B,C,n\n1,0,0,30\n0,1,0,25\n0,0,1,28\n1,1,0,9\n")[""]
    with pytest.raises(CountsError, match="list C shares nobody"):
        estimation.estimate(lonely, lcmcr_settings=QUICK)
    empty = read_counts("A,B,C,n\n1,0,0,30\n0,1,0,25\n1,1,0,9\n")[""]
    with pytest.raises(CountsError, match="list C has nobody"):
        estimation.estimate(empty, lcmcr_settings=QUICK)


def _homogeneous(rng: np.random.Generator, size: int, p: float) -> estimation.CaptureTable:
    caught = rng.random((size, 4)) < p
    seen = caught[caught.any(axis=1)].astype(int)
    patterns, counts = np.unique(seen, axis=0, return_counts=True)
    return estimation.CaptureTable(("A", "B", "C", "D"), tuple(map(tuple, patterns.tolist())),
                                   tuple(int(c) for c in counts))


def test_every_method_finds_a_population_the_lists_catch_alike():
    """Independent lists, everyone equally likely to be caught: every method's interval
    holds the true size, and the answer is one number."""
    table = _homogeneous(np.random.default_rng(3), 3000, 0.3)
    found = estimation.estimate(table, lcmcr_settings=QUICK)
    assert found.agreement.agree and found.chosen is not None
    for method, result in found.methods.items():
        assert result.lower <= 3000 <= result.upper, method
        assert result.lower <= result.estimate <= result.upper
        assert result.lower >= table.documented
    assert found.methods["lcmcr"].diagnostics["chains"] == 2
    models = found.methods["loglinear-aic"].models
    assert abs(sum(m.weight for m in models) - 1) < 1e-9
    assert any(m.name.startswith("Mt") for m in models)
    assert any(m.interval == "profile" for m in models)


def test_heterogeneous_lists_push_the_independence_model_below_the_others():
    """A hard-to-reach group and a referring list: the independence model misses more of
    the population than the latent class model, which is what the latter is for."""
    rng = np.random.default_rng(5)
    table = estimation.simulate(rng, size=3000, lists=5, low=(0.03, 0.1))
    found = estimation.estimate(table, lcmcr_settings=QUICK)
    assert found.documented == table.documented < 3000
    independence = found.methods["independence"].estimate
    assert independence < found.methods["lcmcr"].estimate
    assert independence < 3000


def test_the_default_method_covers_populations_the_lists_reach_differently():
    """The validated design (two groups each list reaches with its own probability, one list
    referring people to the next): LCMCR's 95 % interval holds the true size in nearly every
    one of ten populations, the independence model's in fewer (benchmarks/estimation.py runs
    200 with the full sampler)."""
    design = estimation.DESIGNS["lists"]
    covered = {"lcmcr": 0, "independence": 0}
    for seed in range(10):
        table = estimation.simulate(np.random.default_rng(2000 + seed), **design)
        found = estimation.estimate(table, ("lcmcr", "independence"), lcmcr_settings=(
            LcmcrSettings(chains=2, burn_in=3000, samples=500, thin=4, seed=seed)))
        for method, result in found.methods.items():
            covered[method] += result.lower <= design["size"] <= result.upper
    assert covered["lcmcr"] >= 8, covered
    assert covered["independence"] < covered["lcmcr"], covered


def test_dga_averages_every_decomposable_graph_and_finds_a_referral():
    """dga's graphs are all the chordal graphs on the lists (1, 2, 8, 61 and 822 on one to
    five: the known counts). On four lists where A refers people to B and nobody differs,
    the graph it weighs most joins A and B, its interval holds the true size, and the
    independence model, blind to the referral, falls below it."""
    assert [len(estimation.decomposable_graphs(j)) for j in range(1, 6)] == [1, 2, 8, 61, 822]
    rng = np.random.default_rng(11)
    caught = rng.random((3000, 4)) < 0.25
    caught[:, 1] = np.where(caught[:, 0], rng.random(3000) < 0.6, caught[:, 1])
    seen = caught[caught.any(axis=1)].astype(int)
    patterns, counts = np.unique(seen, axis=0, return_counts=True)
    table = estimation.CaptureTable(("A", "B", "C", "D"), tuple(map(tuple, patterns.tolist())),
                                    tuple(int(c) for c in counts))
    found = estimation.estimate(table, ("dga", "independence"), default="dga")
    result = found.methods["dga"]
    assert "A×B" in result.diagnostics["best_graph"].split(", ")
    assert result.diagnostics["graphs"] == 61 and not result.diagnostics["cut_off"]
    assert result.lower <= 3000 <= result.upper
    assert found.methods["independence"].upper < 3000


def test_dga_stops_at_five_lists(monkeypatch):
    """Six lists (the UK's): dga is left out of the comparison, and refused when asked for,
    before the sampler spends a minute on the table."""
    table = read_counts(UK.read_text())[""]

    def no_sampler(*args, **kwargs):
        raise AssertionError("LCMCR ran before dga was refused")

    monkeypatch.setattr(estimation, "lcmcr", no_sampler)
    with pytest.raises(CountsError, match="dga takes 3 to 5 lists"):
        estimation.estimate(table, default="dga")


def test_dga_says_when_the_lists_say_too_little():
    """Three lists that each found one person in a hundred: dga's posterior reaches far past
    the documented count; it says so, and gives no single number as the chosen method."""
    rng = np.random.default_rng(1)
    caught = rng.random((20_000, 3)) < 0.01
    seen = caught[caught.any(axis=1)].astype(int)
    patterns, counts = np.unique(seen, axis=0, return_counts=True)
    table = estimation.CaptureTable(("A", "B", "C"), tuple(map(tuple, patterns.tolist())),
                                    tuple(int(c) for c in counts))
    found = estimation.estimate(table, ("dga", "independence"), default="dga")
    assert found.methods["dga"].diagnostics["cut_off"]
    assert not found.agreement.agree and found.agreement.code == "cut_off"
    assert found.chosen is None
    assert "the upper end is unreliable" in estimation.as_text(found)


def test_the_uk_table_gives_a_spread_not_one_number():
    """Six sparse lists (the UK's 2013 modern-slavery table): the methods disagree, so no
    single estimate is given; the spread is."""
    table = read_counts(UK.read_text())[""]
    assert table.documented == 2744 and len(table.lists) == 6
    found = estimation.estimate(table, lcmcr_settings=LcmcrSettings(chains=2, burn_in=3000,
                                                                    samples=500, seed=1))
    assert not found.agreement.agree and found.chosen is None
    data = found.as_json()
    assert data["estimate"] is None and data["spread"][0] < data["spread"][1]
    assert data["refused"]
    assert 10_000 < data["methods"]["independence"]["estimate"] < 14_000
    assert "dga" not in data["methods"]


def test_strata_add_up_to_a_total():
    text = "region,A,B,C,n\n" + "".join(
        f"{region},{line}\n" for region in ("north", "south")
        for line in GOOD.splitlines()[1:])
    tables = read_counts(text, "region")
    assert set(tables) == {"north", "south"}
    found = estimation.estimate_strata(tables, lcmcr_settings=QUICK)
    for method, total in found.total.items():
        parts = sum(found.strata[s].methods[method].estimate for s in tables)
        assert total.estimate == pytest.approx(parts)
        assert total.lower <= total.estimate <= total.upper
    assert found.as_json()["documented"] == 2 * 1027


def test_the_command_prints_json_and_refuses_a_bad_file(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(estimation, "LcmcrSettings",
                        lambda seed=None: LcmcrSettings(chains=2, burn_in=1000, samples=300,
                                                        seed=seed))
    good = tmp_path / "counts.csv"
    good.write_text(GOOD)
    assert main(["estimate", "--counts", str(good), "--json", "--seed", "1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == "lcmcr" and out["documented"] == 1027
    assert out["lower"] <= out["estimate"] <= out["upper"]
    assert set(out["methods"]) == set(estimation.METHODS)
    assert {"rhat", "ess"} <= set(out["methods"]["lcmcr"]["diagnostics"])
    assert main(["estimate", "--counts", str(good), "--method", "loglinear-bic"]) == 0
    assert "loglinear-bic" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("A,B,C,n\n1,0,0,3\n0,1,0,-1\n")
    assert main(["estimate", "--counts", str(bad), "--json"]) == 2
    assert "bad.csv: row 3: n is negative" in capsys.readouterr().err


def test_sampler_diagnostics_flag_chains_that_disagree():
    apart = np.vstack([np.full(400, 100.0), np.full(400, 200.0)]) + np.random.default_rng(
        1).normal(0, 1, (2, 400))
    assert estimation.split_rhat(apart) > 1.5
    together = np.random.default_rng(2).normal(100, 5, (4, 400))
    assert estimation.split_rhat(together) < 1.02
    assert estimation.effective_sample_size(together) > 1000


def test_chains_that_have_not_met_run_again_with_a_longer_burn_in(monkeypatch):
    """The first run's diagnostics say the chains disagree: the estimate comes from a second
    run five times as long before keeping draws, and says so; chains that met run once."""
    table = read_counts(GOOD)[""]
    burn_ins: list[int] = []
    real = estimation._lcmcr_draws

    def recorded(table: object, settings: LcmcrSettings) -> object:
        burn_ins.append(settings.burn_in)
        return real(table, settings)  # type: ignore[arg-type]

    monkeypatch.setattr(estimation, "_lcmcr_draws", recorded)
    met = estimation.lcmcr(table, QUICK)
    assert burn_ins == [1500] and met.diagnostics["retried"] is False

    verdicts = iter([1.4, 1.01])  # the first run's chains apart, the second's together
    monkeypatch.setattr(estimation, "split_rhat", lambda draws: next(verdicts))
    burn_ins.clear()
    again = estimation.lcmcr(table, QUICK)
    assert burn_ins == [1500, 7500]
    assert again.diagnostics["retried"] is True and again.diagnostics["burn_in"] == 7500
    assert again.diagnostics["rhat"] == 1.01
    assert again.lower < again.estimate < again.upper
