"""How long the publication gate's register takes to audit a new draft against the drafts
already published (kalkan.analysis.register.audit), and what it refuses.

    .venv/bin/python benchmarks/register.py [--acts 20000 --editions 10 --seed 0]

Fictional acts (year, top-level type, defender or not, region, perpetrator, gender identity)
with skewed frequencies, so that some cells are small. `--editions` drafts are "published"
first: yearly five-year editions, and beside every other one a defenders-only draft and a
draft on two types of act. Then one new draft (the latest five years, and the same minus its
first year) is audited against them all. Nothing is stored; nothing here asserts anything.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalkan.test_settings")

GROUPS = ["liberty", "violence", "digital", "intimidation", "expression", "property",
          "discrimination", "family"]
REGIONS = [f"kg.r{n}" for n in range(10)]
PERPETRATORS = [f"p{n}" for n in range(8)]
GENDERS = [f"g{n}" for n in range(6)]
YEARS = [str(y) for y in range(2012, 2027)]


def acts(count: int, seed: int) -> list[tuple[str, ...]]:
    rng = random.Random(seed)

    def skewed(values: list[str]) -> str:
        return values[min(len(values) - 1, int(rng.expovariate(0.6)))]

    return [(rng.choice(YEARS), skewed(GROUPS), "yes" if rng.random() < 0.2 else "no",
             skewed(REGIONS), skewed(PERPETRATORS), skewed(GENDERS)) for _ in range(count)]


def draft(data: list[tuple[str, ...]], scope, on: str) -> list:
    from kalkan.analysis import gate, register

    chosen = [a for a in data if a[0] in scope.years and (not scope.groups or a[1] in
              scope.groups) and (not scope.defenders_only or a[2] == "yes")]
    tables = []
    by_cell = Counter((a[1], a[0]) for a in chosen)
    groups = sorted({a[1] for a in chosen})
    table = gate.gate_table(groups, list(scope.years),
                            [[by_cell[g, y] for y in scope.years] for g in groups])
    tables.append(register.Released(register.TWO_WAY, scope,
                                    register.two_way_facts(groups, scope.years, table), on))
    for dimension, index in (("perpetrator_group", 4), ("region", 3), ("gender_identity", 5)):
        counted = Counter(a[index] for a in chosen)
        categories = sorted(counted)
        series = gate.gate_series(categories, [counted[c] for c in categories])
        if not gate.beside_a_published_total(series, len(chosen)):
            continue
        tables.append(register.Released(
            dimension, scope, register.series_facts(dimension, categories, series), on))
    return tables


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--acts", type=int, default=20_000)
    parser.add_argument("--editions", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import django

    django.setup()
    import scipy.optimize  # noqa: F401 (imported once per process; not what is measured)

    from kalkan.analysis import register

    data = acts(args.acts, args.seed)
    published: list = []
    for n in range(args.editions):
        end = 2025 - (args.editions - 1 - n)
        years = tuple(str(y) for y in range(end - 4, end + 1))
        on = f"{end + 1}-01-15"
        published = draft(data, register.Scope("kg", years), on) + published
        if n % 2:
            published = draft(data, register.Scope("kg", years, (), True), on) + published
            published = draft(data, register.Scope("kg", years, ("liberty", "violence")),
                              on) + published
    print(f"acts: {args.acts}; tables published before: {len(published)}")
    for label, years in (("the latest five years (2022–2026)", range(2022, 2027)),
                         ("the same minus its first year (2023–2026)", range(2023, 2027))):
        new = draft(data, register.Scope("kg", tuple(str(y) for y in years)), "")
        start = time.perf_counter()
        result = register.audit(new, published)
        took = time.perf_counter() - start
        print(f"{label}: audit {took:.2f} s; compared with {result.compared} tables; "
              f"left out by contradiction {result.contradicted}; "
              f"more numbers hidden: {sorted(result.coarsened) or 'none'}; "
              f"refused: {sorted(result.refused) or 'none'}")
        reasons = [*result.refused.items(),
                   *((table, problem) for table, (_t, problem) in result.coarsened.items())]
        for table, problem in reasons:
            print(f"    {table}: {problem.dimension or 'totals'} {problem.value or ''} "
                  f"years {','.join(problem.years)} groups {','.join(problem.groups) or 'all'}"
                  f" defenders {problem.defenders or 'both'}: {problem.low}–{problem.high}")

if __name__ == "__main__":
    main()
