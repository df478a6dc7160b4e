"""The linkage unit without Kalkan (kalkan.analysis.linkage, tools/kalkan_linkage.py): names
fold across scripts, a file holds no name and says its scope, a file from another secret or
scope or a damaged one is refused by name, each list is deduplicated, and only the counts
come out, in the format `kalkan estimate --counts` reads. All people are invented."""

from __future__ import annotations

import base64
import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kalkan.analysis import linkage
from kalkan.analysis import linkage_samples as samples

ROOT = Path(__file__).resolve().parents[3]
TOOL = ROOT / "tools" / "kalkan_linkage.py"
SCOPE = {"country": ["kg"], "year": ["2024", "2025"]}


def _secret(seed: int = 1) -> linkage.Secret:
    return linkage.Secret(bytes([seed]) * 32)


def _person(name: str, birth: str = "y1990", gender: str = "woman", region: str = "kg.r1",
            month: str = "2025-03", act: str = "detention") -> dict[str, str]:
    return {"name": name, "birth": birth, "gender": gender, "region": region, "month": month,
            "act": act}


def test_a_name_in_any_script_folds_to_the_same_words():
    same = ["Асанова Айгерим", "Aigerim Asanova", "Aýgerım Asanova", "Айгерим Асановой",
            "ASANOVA Aigerim Bekovna", "Asanova Aygerim"]
    assert {tuple(sorted(linkage.fold_name(name))) for name in same} == {("aigerim", "asanov")}
    kyrgyz = ["Бекзат уулу Нурлан", "Nurlan Bekzat uulu", "Nurlan Bekzatuly"]
    assert {tuple(sorted(linkage.fold_name(n))) for n in kyrgyz} == {("bekzat", "nurlan")}
    assert linkage.fold_name("Şeripov Talgat") == linkage.fold_name("Шерипов Талгат")


def test_spellings_of_one_person_score_above_the_threshold_and_strangers_below():
    encoder = linkage.Encoder(_secret())
    rows = encoder.encode([_person("Асанова Айгерим"), _person("Aigerim Asanova"),
                           _person("Asanova Aigerm", birth=""),
                           _person("Asanova Dinara", birth="y1990")])
    scores = linkage.dice(rows, np.array([0, 0, 0]), np.array([1, 2, 3]))
    assert scores[0] == 1.0 and scores[1] >= linkage.THRESHOLD
    assert scores[2] < linkage.THRESHOLD


def test_the_file_holds_no_name_is_balanced_and_the_same_when_made_again():
    victims = [[_person("Асанова Айгерим")], [_person("Нурлан Бекзат уулу", gender="man")]]
    data = linkage.write_export(_secret(), SCOPE, victims)
    assert data == linkage.write_export(_secret(), SCOPE, victims)  # reproducible
    assert data != linkage.write_export(_secret(), {"country": ["kz"]}, victims)
    text = data.decode("ascii")
    header = json.loads(text)
    assert header["scope"] == "country=kg;year=2024,2025"
    assert header["secret"] == _secret().fingerprint
    raw = base64.b64decode(header["data"])
    for needle in ("Асанова", "Asanov", "asanov", "aigerim", "Nurlan", "nurlan", "kg.r1",
                   "2025-03", "detention"):
        assert needle not in text and needle.encode() not in raw
    rows = linkage.file_rows(data)
    assert rows.groups.size > 2  # padded: more victims than there are
    assert set(np.bitwise_count(rows.balanced).sum(axis=1).tolist()) == {linkage.BITS}
    opened = linkage.read_export(data, _secret(), "a.kalkan-linkage")
    assert opened.victims == 2  # the padding is known only with the secret


def _files(tmp_path: Path, lists: list[list[list[dict[str, str]]]],
           secret: linkage.Secret, scope: dict[str, list[str]] = SCOPE) -> list[Path]:
    paths = []
    for name, victims in zip("ABCDE", lists, strict=False):
        path = tmp_path / f"{name}.kalkan-linkage"
        path.write_bytes(linkage.write_export(secret, scope, victims))
        paths.append(path)
    return paths


PEOPLE = {
    "aigerim": _person("Асанова Айгерим"),
    "nurlan": _person("Нурлан Бекзатович Токтогулов", birth="y1985", gender="man",
                      region="kg.r2", month="2024-11", act="assault"),
    "dana": _person("Дана Есенова", birth="y2001", region="kg.r3", month="2025-07"),
    "talgat": _person("Талгат Шерипов", birth="y1979", gender="man", region="kg.r4",
                      month="2024-02", act="threat"),
    "zere": _person("Зере Орозбакова", birth="y1995", region="kg.r1", month="2025-01",
                    act="outing"),
}
LATIN = {"aigerim": "Aigerim Asanova", "nurlan": "Toktogulov Nurlan",
         "dana": "Dana Yesenova", "talgat": "Talgat Şeripov", "zere": "Zere Orozbakova"}


def _as(who: str, latin: bool = False, **change: str) -> dict[str, str]:
    record = dict(PEOPLE[who], **change)
    if latin:
        record["name"] = LATIN[who]
    return record


def test_three_lists_give_the_capture_histories_and_nothing_else(tmp_path):
    a = [[_as("aigerim")], [_as("nurlan")], [_as("dana")], [_as("dana", latin=True)]]
    b = [[_as("aigerim", latin=True, region="")], [_as("talgat")], [_as("zere", latin=True)]]
    c = [[_as("nurlan", latin=True, birth="y1986")], [_as("aigerim", latin=True)],
         [_as("zere")]]
    paths = _files(tmp_path, [a, b, c], _secret())
    table, said = linkage.match_files(paths, _write_secret(tmp_path, _secret()))
    # Dana is twice in A (a duplicate); Aigerim is on all three; Nurlan on A and C;
    # Zere on B and C; Talgat only on B.
    assert table == ("A,B,C,n\n1,1,1,1\n1,1,0,0\n1,0,1,1\n1,0,0,1\n"
                     "0,1,1,1\n0,1,0,1\n0,0,1,0\n")
    assert "A.kalkan-linkage: 4 victims, 1 merged as duplicates" in said
    for name in ("Асанова", "Aigerim", "aigerim", "Nurlan"):
        assert name not in table + said


def _write_secret(folder: Path, secret: linkage.Secret) -> Path:
    path = folder / "coalition.secret"
    path.write_text(linkage.FILE_WARNING + base64.b64encode(secret.raw).decode() + "\n")
    return path


def test_a_file_from_another_secret_scope_or_damaged_is_refused_by_name(tmp_path):
    victims = [[_as("aigerim")], [_as("nurlan")]]
    ours = _files(tmp_path, [victims, victims], _secret())
    key = _write_secret(tmp_path, _secret())
    foreign = tmp_path / "foreign.kalkan-linkage"
    foreign.write_bytes(linkage.write_export(_secret(2), SCOPE, victims))
    with pytest.raises(linkage.LinkageError, match=r"foreign\.kalkan-linkage: made with "
                                                   r"another coalition secret"):
        linkage.match_files([ours[0], foreign], key)
    other_scope = tmp_path / "kz.kalkan-linkage"
    other_scope.write_bytes(linkage.write_export(_secret(), {"country": ["kz"]}, victims))
    with pytest.raises(linkage.LinkageError, match=r"kz\.kalkan-linkage: another scope "
                                                   r"\(country=kz\)"):
        linkage.match_files([ours[0], other_scope], key)
    header = json.loads(ours[1].read_bytes())
    raw = bytearray(base64.b64decode(header["data"]))
    raw[40] ^= 1
    header["data"] = base64.b64encode(bytes(raw)).decode()
    damaged = tmp_path / "damaged.kalkan-linkage"
    damaged.write_text(json.dumps(header))
    with pytest.raises(linkage.LinkageError, match=r"damaged\.kalkan-linkage: damaged or "
                                                   r"changed after export"):
        linkage.match_files([ours[0], damaged], key)
    cut = tmp_path / "cut.kalkan-linkage"
    cut.write_bytes(ours[1].read_bytes()[:500])
    with pytest.raises(linkage.LinkageError, match=r"cut\.kalkan-linkage: not a Kalkan"):
        linkage.match_files([ours[0], cut], key)
    with pytest.raises(linkage.LinkageError, match=r"B\.kalkan-linkage: the same export"):
        linkage.match_files([ours[0], ours[1], ours[1]], key)


def test_without_the_secret_an_attacker_with_the_plaintext_reidentifies_nobody():
    people = samples.population(150, seed=5)
    rng = random.Random(6)  # noqa: S311 (fictional people)
    exported = [samples.record(p, rng) for p in people]
    known = [samples.record(p, rng) for p in people]
    data = linkage.write_export(_secret(), SCOPE, [[r] for r in exported])
    rows = linkage.file_rows(data).balanced
    theirs = linkage.Encoder(_secret(9)).encode(known)  # the attacker's own key
    width = rows.shape[1] // 2
    for table in (rows[:, :width], rows[:, width:]):  # a filter's length, either half
        both = np.concatenate([theirs, table])
        n, m = theirs.shape[0], table.shape[0]
        left = np.repeat(np.arange(n), m)
        right = n + np.tile(np.arange(m), n)
        assert linkage.dice(both, left, right).max() < linkage.THRESHOLD
    # With the secret the same attacker finds them: the secret is what protects the file.
    opened = linkage.read_export(data, _secret(), "export")
    mine = linkage.Encoder(_secret()).encode(known)
    both = np.concatenate([mine, opened.clks])
    best = [linkage.dice(both, np.full(opened.clks.shape[0], i),
                         len(known) + np.arange(opened.clks.shape[0])).max()
            for i in range(len(known))]
    assert np.mean(np.array(best) >= linkage.THRESHOLD) > 0.8


def test_generated_central_asian_lists_link_well():
    secret = _secret()
    encoder = linkage.Encoder(secret)
    drawn = samples.lists(samples.population(400, seed=7), [0.7, 0.6], seed=8)
    lists = [linkage.EncodedList(f"l{i}", "all", encoder.encode([r for _p, r in one]),
                                 np.arange(len(one))) for i, one in enumerate(drawn)]
    found = linkage.cluster(lists)
    truths = [[p for p, _r in one] for one in drawn]
    a_root = found.root[found.first[0] : found.first[0] + len(truths[0])]
    b_root = found.root[found.first[1] : found.first[1] + len(truths[1])]
    predicted = {(i, j) for i, ra in enumerate(a_root) for j, rb in enumerate(b_root)
                 if ra == rb}
    true = {(i, j) for i, p in enumerate(truths[0]) for j, q in enumerate(truths[1]) if p == q}
    assert len(predicted & true) / len(true) >= 0.93
    assert len(predicted & true) / len(predicted) >= 0.98


def test_the_standalone_tool_links_files_without_django(tmp_path):
    a = [[_as("aigerim")], [_as("nurlan")]]
    b = [[_as("aigerim", latin=True)], [_as("talgat")]]
    c = [[_as("nurlan", latin=True)], [_as("zere")]]
    paths = _files(tmp_path, [a, b, c], _secret())
    key = _write_secret(tmp_path, _secret())
    out = tmp_path / "counts.csv"
    done = subprocess.run(  # noqa: S603 (our own tool)
        [sys.executable, str(TOOL), "match", *map(str, paths), "--secret-file", str(key),
         "--output", str(out)],
        capture_output=True, text=True, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"},
        check=False)
    assert done.returncode == 0, done.stderr
    assert out.read_text().splitlines()[0] == "A,B,C,n"
    assert "pairs near the threshold" in done.stderr
    refused = subprocess.run([sys.executable, str(TOOL), "match", str(paths[0]),  # noqa: S603
                              str(tmp_path / "missing.kalkan-linkage"), "--secret-file",
                              str(key)], capture_output=True, text=True, check=False)
    assert refused.returncode == 2 and "missing.kalkan-linkage: cannot read it" in refused.stderr
    imported = subprocess.run(
        [sys.executable, "-c", "import sys; from kalkan.analysis import linkage; "
         "linkage.fold_name('Асан'); print('django' in sys.modules)"],
        capture_output=True, text=True, cwd=ROOT, check=True)
    assert imported.stdout.strip() == "False"
