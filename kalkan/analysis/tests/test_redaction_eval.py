"""The hand-written redaction evaluation set (benchmarks/redaction_eval) is well-formed: every
label is found in its narrative where it says, its kind is one redaction.find reports, the
JSONL is what the hand-written source builds, and the set is as large and as balanced as
issue 17 asks. (Its figures are the benchmark's business, not a test's.)"""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

from kalkan.analysis.redaction import KINDS

EVAL = Path(__file__).resolve().parents[3] / "benchmarks" / "redaction_eval"


def _build() -> ModuleType:
    spec = importlib.util.spec_from_file_location("redaction_eval_build", EVAL / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _narratives(name: str = "narratives.jsonl") -> list[dict[str, Any]]:
    lines = (EVAL / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _both() -> list[dict[str, Any]]:
    """The evaluation set and its held-out split (README.md)."""
    return _narratives() + _narratives("heldout.jsonl")


def test_every_label_is_found_in_its_narrative_where_it_says():
    build = _build()
    problems = []
    for item in _both():
        text = item["text"]
        for span in item["spans"]:
            if span["kind"] not in KINDS:
                problems.append((item["id"], "kind", span))
            if text[span["start"]:span["end"]] != span["text"] or not span["text"].strip():
                problems.append((item["id"], "offsets", span))
            elif build.locate(text, span["text"], span["occurrence"]) != span["start"]:
                problems.append((item["id"], "occurrence", span))
    assert problems == []


def test_labels_do_not_overlap_and_names_are_labelled_wherever_they_recur():
    problems = []
    for item in _both():
        spans = sorted(item["spans"], key=lambda s: s["start"])
        for before, after in zip(spans, spans[1:], strict=False):
            if after["start"] < before["end"]:
                problems.append((item["id"], before["text"], after["text"]))
        covered = {i for s in spans for i in range(s["start"], s["end"])}
        # A name labelled once and left bare elsewhere in the same narrative is a slip.
        for span in spans:
            at = item["text"].find(span["text"])
            while at >= 0:
                if at not in covered:
                    problems.append((item["id"], "unlabelled repeat", span["text"]))
                at = item["text"].find(span["text"], at + 1)
    assert problems == []


def test_the_jsonl_is_what_the_hand_written_source_builds():
    build = _build()
    assert (EVAL / "narratives.jsonl").read_text(encoding="utf-8") == build.render(
        build.narratives())
    assert (EVAL / "heldout.jsonl").read_text(encoding="utf-8") == build.render(
        build.narratives("heldout"))


def test_the_set_is_large_balanced_and_covers_every_kind():
    narratives = _narratives()
    assert len(narratives) >= 150
    languages = Counter(item["language"] for item in narratives)
    assert set(languages) == {"ru", "ky", "kk", "en"}
    assert min(languages.values()) >= 35
    kinds = Counter(span["kind"] for item in narratives for span in item["spans"])
    assert set(kinds) == set(KINDS)
    assert len({item["id"] for item in narratives}) == len(narratives)


def test_the_held_out_split_is_apart_and_covers_every_language():
    held_out = _narratives("heldout.jsonl")
    assert len(held_out) >= 40
    languages = Counter(item["language"] for item in held_out)
    assert set(languages) == {"ru", "ky", "kk", "en"} and min(languages.values()) >= 10
    assert not {item["id"] for item in held_out} & {item["id"] for item in _narratives()}
