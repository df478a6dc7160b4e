"""Search figures on this machine, in one run (issue: Search over the documentation).

    .venv/bin/python benchmarks/records.py [--acts 100000 --repeat 20 --seed 0]
    .venv/bin/python benchmarks/records.py --growth [--sizes 10000,100000,300000]

Makes a new instance in a temporary directory (SQLite, the production Argon2id parameters)
with `--acts` fictional acts and their events, victims, perpetrators and sources
(kalkan.records.generator; its time is printed, not measured). Then, each in a fresh process:

- ready, cold: from the passphrase (kalkan.vault.services.unlock, one Argon2id run) to a
  working set built from the records (every act, person and event decrypted and indexed),
  with the process's peak RSS; the build leaves an encrypted snapshot;
- builds: the cold build alone (decrypt and index every record, facet columns made; no
  snapshot) against a plain SQLite + FTS5 build of the same data — the same indexing code
  reading the same values from plain tables in memory, without decryption or the ORM —
  the better of two interleaved runs of each, wall and CPU time: the line
  `cold build / plain FTS5 build: X.XX`;
- ready, warm: the same from that snapshot, as a normal login is; then, in that process,
  20 representative searches on acts as the search page asks them (words in ru, ky, kk and
  en from the stories and the vocabulary labels, a quoted phrase, a name written in the
  other script, filters on act type at the top and at a leaf, perpetrator type, country,
  region, a range of years, human rights defenders, and words with filters), each with the
  counts of every facet of kalkan.records.indexing.ACT_FACETS, `--repeat` times each after
  one unmeasured run (p50, p95); the facet counts over all acts alone (no words, no
  filters), against the same query without facets; and two searches sorted newest first.

Words-only searches (no filters, no facet counts) are also timed against the same FTS5
query over a plain copy of the working set's text (`words-only search / plain FTS5`).
With --growth, each size gets a new instance, and the script prints warm ready, cold build,
search p95 and peak RSS per size and how each grew against the number of acts.

Prints a table with the targets beside the figures, then one JSON line with every figure.
Nothing here asserts anything about time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.desk import percentile  # noqa: E402 (after the path is set)
from benchmarks.vault import peak_rss_mb, setup  # noqa: E402

TARGETS = {"search_p95_ms": 100.0, "facets_ms": 200.0, "ready_s": 5.0, "rss_mb": 2048.0}


# --- generating the data (not timed) ----------------------------------------------------------


def prepare(data_dir: Path, acts: int, seed: int) -> dict[str, float]:
    from django.core.management import call_command

    from kalkan.accounts.roles import Role
    from kalkan.accounts.services import enrol_staff
    from kalkan.records.generator import generate
    from kalkan.vault.services import found_organisation

    call_command("migrate", verbosity=0)
    founding = found_organisation()
    enrolment = enrol_staff("bench", Role.DOCUMENTER, actor=None, keyring=founding.keyring)
    (data_dir / "passphrase").write_text(enrolment.passphrase)
    start = time.perf_counter()
    counts = generate(founding.keyring, acts=acts, seed=seed, by=enrolment.user)
    return {"generate_s": time.perf_counter() - start, "generate_rss_mb": peak_rss_mb(),
            **{key: float(value) for key, value in counts.items()}}


# --- measuring ---------------------------------------------------------------------------------


def ready(data_dir: Path) -> tuple[Any, dict[str, float]]:
    """Passphrase to working set, as a login does it."""
    from kalkan.accounts.models import User
    from kalkan.vault import workingset
    from kalkan.vault.services import unlock

    user = User.objects.get(username="bench")
    passphrase = (data_dir / "passphrase").read_text()
    baseline = peak_rss_mb()
    start = time.perf_counter()
    keyring = unlock(user, passphrase)
    unlocked = time.perf_counter()
    assert keyring is not None
    had_snapshot = workingset._snapshot_path(keyring).exists()
    working = workingset.build(keyring)
    done = time.perf_counter()
    snapshot = workingset._snapshot_path(keyring)
    return working, {
        "unlock_s": unlocked - start,
        "build_s": done - unlocked,
        "ready_s": done - start,
        "ready_rss_mb": peak_rss_mb(),
        "baseline_rss_mb": baseline,
        "from_snapshot": float(had_snapshot),
        "records": float(working.count()),
        "acts_indexed": float(working.count("act")),
        "snapshot_mb": snapshot.stat().st_size / 1e6 if snapshot.exists() else 0.0,
    }


class PlainCopy:
    """The records' values in plain tables of an in-memory SQLite database, and a reader
    that gives them to a working-set build as kalkan.vault.records.read_values would:
    the baseline of a plain SQLite + FTS5 build of the same data (the same indexing code,
    without decryption or the ORM). Made before it is timed; never written to disk."""

    def __init__(self, keyring: Any) -> None:
        import sqlite3

        from kalkan.records.models import Information, Involvement
        from kalkan.vault.records import Refused, read_values
        from kalkan.vault.workingset import SOURCES

        self.db = sqlite3.connect(":memory:")
        self.tables: dict[tuple[Any, tuple[str, ...], tuple[str, ...]], str] = {}
        wanted = [(s.model, s.fields, s.columns) for s in SOURCES] + [
            (Involvement, ("details",), ("act_id", "perpetrator_id")),
            (Information, ("details",), ("event_id",)),
        ]
        for model, fields, extra in wanted:
            table = f"t{len(self.tables)}"  # names made here, not given
            self.tables[(model, fields, extra)] = table
            names = ["id", "revision", *fields, *extra]
            self.db.execute(f"CREATE TABLE {table} ({', '.join(names)})")  # noqa: S608
            rows = [
                (str(item[0]), item[1], *(item[3][f] for f in fields),
                 *(str(v) if v is not None else None for v in item[2]))
                for item in read_values(model._default_manager.all(), keyring, fields, extra)
                if not isinstance(item, Refused)
            ]
            marks = ", ".join("?" * len(names))
            self.db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)  # noqa: S608
        self.db.commit()

    def read(self, queryset: Any, keyring: Any, fields: tuple[str, ...],
             extra: tuple[str, ...] = (), **_options: Any) -> Any:
        table = self.tables[(queryset.model, fields, extra)]
        split = 2 + len(fields)
        for row in self.db.execute(f"SELECT * FROM {table} ORDER BY revision"):  # noqa: S608
            yield row[0], row[1], row[split:], dict(zip(fields, row[2:split], strict=True))


def builds(data_dir: Path) -> dict[str, float]:
    """The cold build against a plain SQLite + FTS5 build of the same data, in one process:
    each builds a working set from every record (facet columns made: ready to search); the
    cold one decrypts, the plain one reads the same values from plain tables."""
    from kalkan.accounts.models import User
    from kalkan.vault import workingset
    from kalkan.vault.services import unlock

    keyring = unlock(User.objects.get(username="bench"), (data_dir / "passphrase").read_text())
    assert keyring is not None
    plain = PlainCopy(keyring)
    figures: dict[str, float] = {}
    for label, reader in (("cold", None), ("plain", plain.read), ("cold", None),
                          ("plain", plain.read)):
        wall, cpu = time.perf_counter(), time.process_time()
        working = (workingset.build_from_records(keyring) if reader is None
                   else workingset.build_from_records(keyring, reader=reader))
        working.columns()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        # The better of two runs of each, interleaved: other work on the machine shows in
        # both sides alike.
        figures[f"{label}_build_s"] = min(figures.get(f"{label}_build_s", wall), wall)
        figures[f"{label}_build_cpu_s"] = min(figures.get(f"{label}_build_cpu_s", cpu), cpu)
        figures[f"{label}_records"] = float(working.count())
        del working
    return figures


def plain_search_copy(working: Any) -> Any:
    """The working set's records and searchable text in a plain SQLite + FTS5 database (in
    memory, like the working set): the baseline a plain system would search."""
    import sqlite3

    db = sqlite3.connect(":memory:")
    db.executescript(
        "CREATE TABLE records (n INTEGER PRIMARY KEY, id TEXT NOT NULL, kind TEXT NOT NULL);"
        "CREATE INDEX records_by_kind ON records (kind);"
        "CREATE VIRTUAL TABLE search USING fts5(text, tokenize = "
        "'unicode61 remove_diacritics 2');")
    rows = working.db.execute(
        "SELECT records.n, id, kind, fields, texts.text FROM records "
        "LEFT JOIN texts ON texts.n = records.n").fetchall()
    db.executemany("INSERT INTO records VALUES (?, ?, ?)", [row[:3] for row in rows])
    db.executemany("INSERT INTO search (rowid, text) VALUES (?, ?)", [
        (n, text if text is not None else "\n".join(json.loads(fields).values()))
        for n, _id, _kind, fields, text in rows])
    db.commit()
    return db


def words_only(working: Any, queries_: list[tuple[str, dict[str, Any]]], repeat: int
               ) -> dict[str, float]:
    """The searches that have words and nothing else, without facet counts: the working set
    against the same FTS5 query over the plain copy (a page of 50 ids and the total)."""
    from kalkan.records.names import alternatives
    from kalkan.vault.workingset import Query, fts_query

    plain = plain_search_copy(working)
    ours: list[float] = []
    theirs: list[float] = []
    for _label, arguments in queries_:
        if set(arguments) != {"words"}:
            continue
        query = Query(kind="act", words=arguments["words"], limit=50, alternatives=alternatives)
        match = fts_query(query.words, alternatives)

        def plain_find(match: str = match) -> tuple[list[str], int]:
            # The matches first (else SQLite may walk every act and match each).
            ids = [row[0] for row in plain.execute(
                "WITH m AS MATERIALIZED (SELECT rowid AS n, rank FROM search "
                "WHERE search MATCH ?) SELECT records.id FROM m JOIN records USING (n) "
                "WHERE records.kind = 'act' ORDER BY m.rank LIMIT 50", (match,))]
            total = plain.execute(
                "WITH m AS MATERIALIZED (SELECT rowid AS n FROM search WHERE search MATCH ?) "
                "SELECT count(*) FROM m JOIN records USING (n) WHERE records.kind = 'act'",
                (match,)).fetchone()[0]
            return ids, total

        assert working.find(query).total == plain_find()[1]  # the same hits
        for _ in range(repeat):  # interleaved, so that other load falls on both alike
            began = time.perf_counter()
            working.find(query)
            ours.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            plain_find()
            theirs.append((time.perf_counter() - began) * 1000)
    return {"words_p50_ms": percentile(ours, 0.5), "words_p95_ms": percentile(ours, 0.95),
            "plain_words_p50_ms": percentile(theirs, 0.5),
            "plain_words_p95_ms": percentile(theirs, 0.95),
            "words_total_ms": sum(ours), "plain_words_total_ms": sum(theirs)}


def _first_word(text: str) -> str:
    return next(word for word in text.replace("(", " ").split() if len(word) > 3)


def queries(acts: int, seed: int) -> list[tuple[str, dict[str, Any]]]:
    """(label, Query arguments): what people ask the search page, with words that occur
    in the generated stories and in the vocabulary labels the acts are indexed with."""
    from kalkan.records.generator import plan
    from kalkan.records.names import latin
    from kalkan.records.vocabularies import vocabulary

    act_types = vocabulary("act_types")
    perpetrators = vocabulary("perpetrator_types")
    # A victim's name as written in Cyrillic, searched in Latin letters.
    first = next(plan(min(acts, 500), seed))
    cyrillic = next(p["pseudonym"] for p in first.persons
                    if '"individual"' in p["profile"] and not p["pseudonym"].isascii())
    name = latin(cyrillic.split()[0]).capitalize()
    years = {"date": ("2020", "2022-99-99")}
    return [
        ("ru word: телефон", {"words": "телефон"}),
        ("ky word: акча", {"words": "акча"}),
        ("kk word: ақша", {"words": "ақша"}),
        ("en word: beaten", {"words": "beaten"}),
        (f"ru label: {_first_word(act_types.label('extortion', 'ru'))}",
         {"words": _first_word(act_types.label("extortion", "ru"))}),
        (f"ky label: {_first_word(perpetrators.label('police.district', 'ky'))}",
         {"words": _first_word(perpetrators.label("police.district", "ky"))}),
        (f"kk label: {_first_word(act_types.label('online_harassment', 'kk'))}",
         {"words": _first_word(act_types.label("online_harassment", "kk"))}),
        ("en label: harassment", {"words": "harassment"}),
        ('phrase: "приложение для знакомств"', {"words": '"приложение для знакомств"'}),
        (f"name in Latin: {name} ({cyrillic})", {"words": name}),
        ("act type, top: intimidation", {"filters": {"act_type": ["intimidation"]}}),
        ("act type, leaf: detention.arbitrary",
         {"filters": {"act_type": ["detention.arbitrary"]}}),
        ("perpetrator: police.district", {"filters": {"perpetrator_type": ["police.district"]}}),
        ("country: kz", {"filters": {"country": ["kz"]}}),
        ("region: kg.chuy", {"filters": {"region": ["kg.chuy"]}}),
        ("years 2020-2022", {"ranges": years}),
        ("hrd: yes", {"filters": {"hrd": ["yes"]}}),
        ("телефон + country kg", {"words": "телефон", "filters": {"country": ["kg"]}}),
        ("ақша + extortion + 2020-2022",
         {"words": "ақша", "filters": {"act_type": ["extortion"]}, "ranges": years}),
        ("Бишкек + detention + police + hrd",
         {"words": "Бишкек", "filters": {"act_type": ["detention"],
                                         "perpetrator_type": ["police"], "hrd": ["yes"]}}),
    ]


def measure(data_dir: Path, acts: int, seed: int, repeat: int) -> dict[str, Any]:
    from kalkan.records.indexing import ACT_FACETS
    from kalkan.records.names import alternatives
    from kalkan.vault.workingset import Query

    working, figures = ready(data_dir)

    def timed(arguments: dict[str, Any], facets: tuple[str, ...] = ACT_FACETS
              ) -> tuple[list[float], int]:
        query = Query(kind="act", facets=facets, limit=50, alternatives=alternatives,
                      **arguments)
        total = working.find(query).total  # once unmeasured: the first run warms caches
        times = []
        for _ in range(repeat):
            began = time.perf_counter()
            working.find(query)
            times.append((time.perf_counter() - began) * 1000)
        return times, total

    rows = []
    sorts: list[dict[str, Any]] = []
    every: list[float] = []
    for label, arguments in queries(acts, seed):
        times, total = timed(arguments)
        every += times
        rows.append({"query": label, "hits": total, "p50_ms": percentile(times, 0.5),
                     "p95_ms": percentile(times, 0.95), "max_ms": max(times)})
    facets, total = timed({})
    bare, _total = timed({}, facets=())
    for label, arguments in (("newest first: телефон", {"words": "телефон"}),
                             ("newest first: all acts", {})):
        times, hits = timed({**arguments, "sort": "newest"})
        sorts.append({"query": label, "hits": hits, "p50_ms": percentile(times, 0.5),
                      "p95_ms": percentile(times, 0.95), "max_ms": max(times)})
    figures.update(words_only(working, queries(acts, seed), repeat))
    figures.update({
        "search_p50_ms": percentile(every, 0.5),
        "search_p95_ms": percentile(every, 0.95),
        "facets_p50_ms": percentile(facets, 0.5),
        "facets_p95_ms": percentile(facets, 0.95),
        "no_facets_p50_ms": percentile(bare, 0.5),
        "facets_total": float(total),
        "peak_rss_mb": peak_rss_mb(),
    })
    return {**figures, "queries": rows, "sorted": sorts}


# --- the driver -----------------------------------------------------------------------------------


def child(phase: str, data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--data-dir", str(data_dir),
         "--acts", str(args.acts), "--seed", str(args.seed), "--repeat", str(args.repeat)],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"the {phase} phase failed")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def growth(args: argparse.Namespace) -> None:
    """Each size on a new instance: how warm ready, the cold build, search p95 and peak RSS
    grow with the number of acts (nothing should grow faster than it)."""
    sizes = [int(size) for size in args.sizes.split(",")]
    print(f"kalkan growth on {os.cpu_count()} cores, Python {sys.version.split()[0]}, SQLite; "
          f"acts {', '.join(f'{n:,}' for n in sizes)} (seed {args.seed}), {args.repeat} repeats")
    rows = []
    for acts in sizes:
        sized = argparse.Namespace(**{**vars(args), "acts": acts})
        with tempfile.TemporaryDirectory(prefix="kalkan-bench-growth-") as tmp:
            data_dir = Path(tmp) / "instance"
            data_dir.mkdir(mode=0o700)
            (data_dir / "secret_key").write_text("bench-" + os.urandom(32).hex())
            child("prepare", data_dir, sized)
            cold = child("cold", data_dir, sized)
            warm = child("warm", data_dir, sized)
        rows.append({"acts": acts, "warm_ready_s": warm["ready_s"], "cold_build_s": cold["build_s"],
                     "search_p95_ms": warm["search_p95_ms"],
                     "peak_rss_mb": max(cold["ready_rss_mb"], warm["peak_rss_mb"])})
        row = rows[-1]
        print(f"{acts:>9,} acts: warm ready {row['warm_ready_s']:7.2f}s, cold build "
              f"{row['cold_build_s']:8.2f}s, search p95 {row['search_p95_ms']:7.1f}ms, "
              f"peak RSS {row['peak_rss_mb']:7.0f}MB", flush=True)
    names = ("warm_ready_s", "cold_build_s", "search_p95_ms", "peak_rss_mb")
    for before, after in zip(rows, rows[1:], strict=False):
        scale = after["acts"] / before["acts"]
        grown = {name: after[name] / before[name] if before[name] else float("inf")
                 for name in names}
        print(f"{before['acts']:,} -> {after['acts']:,} acts (x{scale:.1f}): " + ", ".join(
            f"{name} x{factor:.2f} ({'ok' if factor <= scale * 1.1 else 'FASTER than linear'})"
            for name, factor in grown.items()))
    top = rows[-1]
    print(f"peak RSS at {top['acts']:,} acts: {top['peak_rss_mb']:.0f} MB (target <= 8192 MB: "
          f"{_mark(top['peak_rss_mb'], 8192.0)})")
    print(json.dumps({"growth": rows}, sort_keys=True))


def _mark(value: float, target: float) -> str:
    return "ok" if value <= target else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--acts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--phase", default="")
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--growth", action="store_true",
                        help="warm ready, cold build, search p95 and peak RSS at several sizes")
    parser.add_argument("--sizes", default="10000,100000,300000",
                        help="with --growth: the numbers of acts, comma-separated")
    args = parser.parse_args()

    if args.phase:
        data_dir = Path(args.data_dir)
        setup(data_dir)
        result: dict[str, Any]
        if args.phase == "prepare":
            result = prepare(data_dir, args.acts, args.seed)
        elif args.phase == "cold":
            result = ready(data_dir)[1]
        elif args.phase == "builds":
            result = builds(data_dir)
        else:
            result = measure(data_dir, args.acts, args.seed, args.repeat)
        print(json.dumps(result, ensure_ascii=False))
        return

    if args.growth:
        growth(args)
        return
    print(f"kalkan search benchmark on {os.cpu_count()} cores, Python "
          f"{sys.version.split()[0]}, SQLite; {args.acts:,} acts (seed {args.seed}), "
          f"{args.repeat} repeats")
    with tempfile.TemporaryDirectory(prefix="kalkan-bench-records-") as tmp:
        data_dir = Path(tmp) / "instance"
        data_dir.mkdir(mode=0o700)
        (data_dir / "secret_key").write_text("bench-" + os.urandom(32).hex())
        made = child("prepare", data_dir, args)
        print(
            f"generated {made['acts']:,.0f} acts in {made['events']:,.0f} events, "
            f"{made['persons']:,.0f} persons ({made['victims']:,.0f} victims, "
            f"{made['perpetrators']:,.0f} perpetrators), {made['involvements']:,.0f} "
            f"involvements, {made['sources']:,.0f} sources in {made['generate_s']:.1f} s "
            f"(not measured; peak RSS {made['generate_rss_mb']:.0f} MB)"
        )
        cold = child("cold", data_dir, args)
        both = child("builds", data_dir, args)
        warm = child("warm", data_dir, args)
    rows = warm.pop("queries")
    sorts = warm.pop("sorted")
    print(f"\n{'unlock -> ready working set':<44} {'unlock':>8} {'build':>8} {'ready':>8} "
          f"{'peak RSS':>9}   target: ready <= {TARGETS['ready_s']:.0f} s, "
          f"<= {TARGETS['rss_mb']:.0f} MB")
    for label, got in (("cold (decrypt and index every record)", cold),
                       ("warm (from the encrypted snapshot)", warm)):
        print(f"{label:<44} {got['unlock_s']:7.2f}s {got['build_s']:7.2f}s "
              f"{got['ready_s']:7.2f}s {got['ready_rss_mb']:7.0f}MB   "
              f"{_mark(got['ready_s'], TARGETS['ready_s'])}, "
              f"{_mark(got['ready_rss_mb'], TARGETS['rss_mb'])}")
    print(f"cold build (decrypt, index; no snapshot) {both['cold_build_s']:7.2f}s "
          f"({both['cold_build_cpu_s']:.2f}s CPU); plain SQLite + FTS5 build of the same "
          f"data {both['plain_build_s']:7.2f}s ({both['plain_build_cpu_s']:.2f}s CPU); "
          f"{both['cold_records']:,.0f} / {both['plain_records']:,.0f} records")
    print(f"cold build / plain FTS5 build: {both['cold_build_s'] / both['plain_build_s']:.2f} "
          f"(CPU: {both['cold_build_cpu_s'] / both['plain_build_cpu_s']:.2f})   target <= 2")
    print(f"working set: {cold['records']:,.0f} records ({cold['acts_indexed']:,.0f} acts), "
          f"snapshot {cold['snapshot_mb']:.0f} MB; peak RSS of the searching process "
          f"{warm['peak_rss_mb']:.0f} MB")
    print(f"\n{'search on acts, with the counts of all 12 facets':<52} {'hits':>7} "
          f"{'p50':>8} {'p95':>8} {'max':>8}")
    for row in rows:
        print(f"{row['query'][:52]:<52} {row['hits']:7,} {row['p50_ms']:6.1f}ms "
              f"{row['p95_ms']:6.1f}ms {row['max_ms']:6.1f}ms")
    print(f"{'all 20 searches':<52} {'':>7} {warm['search_p50_ms']:6.1f}ms "
          f"{warm['search_p95_ms']:6.1f}ms   target p95 <= {TARGETS['search_p95_ms']:.0f} ms: "
          f"{_mark(warm['search_p95_ms'], TARGETS['search_p95_ms'])}")
    print(f"{'facet counts over all acts (no words, no filters)':<52} "
          f"{warm['facets_total']:7,.0f} {warm['facets_p50_ms']:6.1f}ms "
          f"{warm['facets_p95_ms']:6.1f}ms   target <= {TARGETS['facets_ms']:.0f} ms: "
          f"{_mark(warm['facets_p95_ms'], TARGETS['facets_ms'])} "
          f"(the same without facets: p50 {warm['no_facets_p50_ms']:.1f} ms)")
    print(f"words-only searches (no filters, no facet counts): p50 "
          f"{warm['words_p50_ms']:.1f} ms, p95 {warm['words_p95_ms']:.1f} ms; plain SQLite + "
          f"FTS5 of the same text: p50 {warm['plain_words_p50_ms']:.1f} ms, p95 "
          f"{warm['plain_words_p95_ms']:.1f} ms")
    print(f"words-only search / plain FTS5: "
          f"{warm['words_total_ms'] / warm['plain_words_total_ms']:.2f}   target <= 1")
    print("sorted by date (not among the 20; the page's other orders):")
    for row in sorts:
        print(f"  {row['query'][:50]:<50} {row['hits']:7,} {row['p50_ms']:6.1f}ms "
              f"{row['p95_ms']:6.1f}ms {row['max_ms']:6.1f}ms")
    print(json.dumps({
        "cores": os.cpu_count(), "acts_arg": args.acts, "seed": args.seed,
        "repeat": args.repeat, "targets": TARGETS, **made,
        **{f"cold_{key}": value for key, value in cold.items()},
        **{f"warm_{key}": value for key, value in warm.items()},
        **{f"builds_{key}": value for key, value in both.items()},
        "queries": rows, "sorted": sorts,
    }, sort_keys=True, ensure_ascii=False))


if __name__ == "__main__":
    main()
