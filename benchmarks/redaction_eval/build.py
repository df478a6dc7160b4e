"""Builds narratives.jsonl from the hand-written narratives in source/*.txt (see README.md).

    .venv/bin/python benchmarks/redaction_eval/build.py          # writes both JSONL files
    .venv/bin/python benchmarks/redaction_eval/build.py --check  # exit 1 if one is stale

Two splits, built the same way: the evaluation set (source/ → narratives.jsonl) and the
held-out set (heldout/ → heldout.jsonl), written later and kept apart so that a figure on it
says how the recogniser does on narratives nobody tuned it against (README.md).

The narratives were written by hand with their labels inline, ``[[kind:exact text]]``; this
script only strips the brackets, computes the offsets and records which occurrence of the
substring each label is (the first "Рома" or the second), so that the JSONL can be checked
without the source: ``text[start:end] == span text``, and it is occurrence number
``occurrence`` (0-based) of that substring in the text.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "source"
OUTPUT = HERE / "narratives.jsonl"
# split name: (folder of the hand-written source, the JSONL built from it)
SPLITS = {"hand-written": (SOURCE, OUTPUT),
          **{name: (HERE / name, HERE / f"{name}.jsonl")
             for name in ("heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6")}}

# The short codes used while writing, and the Finding.kind each stands for.
CODES = {"n": "person", "t": "phone", "e": "email", "h": "handle", "i": "id_number",
         "c": "plate", "a": "address", "b": "birth_date"}
LANGUAGES = ("ru", "ky", "kk", "en")
_LABEL = re.compile(r"\[\[(\w+):([^\[\]]+)\]\]")
_HEADER = re.compile(r"^@ (\w\w-\d{3}) (\w+)$")


def occurrence(text: str, start: int, substring: str) -> int:
    """Which occurrence (0-based) of substring in text begins at start."""
    index = count = 0
    while True:
        found = text.find(substring, index)
        if found < 0:
            raise ValueError(f"{substring!r} does not occur at {start}")
        if found == start:
            return count
        count += 1
        index = found + 1


def locate(text: str, substring: str, nth: int) -> int:
    """Where occurrence number nth (0-based) of substring begins in text."""
    index = -1
    for _ in range(nth + 1):
        index = text.find(substring, index + 1)
        if index < 0:
            raise ValueError(f"{substring!r} occurs fewer than {nth + 1} times")
    return index


def parse(marked: str) -> tuple[str, list[dict[str, Any]]]:
    text = ""
    spans: list[dict[str, Any]] = []
    cursor = 0
    for match in _LABEL.finditer(marked):
        text += marked[cursor:match.start()]
        cursor = match.end()
        code, value = match.group(1), match.group(2)
        if code not in CODES:
            raise ValueError(f"unknown label {code!r} in {marked[:60]!r}")
        spans.append({"kind": CODES[code], "text": value, "start": len(text),
                      "end": len(text) + len(value)})
        text += value
    text += marked[cursor:]
    if "[[" in text or "]]" in text:
        raise ValueError(f"unbalanced label in {text[:60]!r}")
    for span in spans:
        span["occurrence"] = occurrence(text, span["start"], span["text"])
    return text, spans


def narratives(split: str = "hand-written") -> list[dict[str, Any]]:
    source = SPLITS[split][0]
    out = []
    for language in LANGUAGES:
        blocks = (source / f"{language}.txt").read_text(encoding="utf-8").split("\n---\n")
        for block in blocks:
            header, _, body = block.strip("\n").partition("\n")
            match = _HEADER.match(header)
            if not match or not match.group(1).startswith(language + "-"):
                raise ValueError(f"bad header {header!r} in {language}.txt")
            text, spans = parse(body.strip("\n"))
            out.append({"id": match.group(1), "language": language, "genre": match.group(2),
                        "text": text, "spans": spans})
    ids = [n["id"] for n in out]
    if len(ids) != len(set(ids)):
        raise ValueError("repeated narrative id")
    return out


def render(items: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)


def main() -> None:
    for split, (source, output) in SPLITS.items():
        built = render(narratives(split))
        if "--check" in sys.argv[1:]:
            current = output.read_text(encoding="utf-8") if output.exists() else ""
            if current != built:
                sys.exit(f"{output.name} is not what {source.name}/*.txt builds: run build.py")
            continue
        output.write_text(built, encoding="utf-8")


if __name__ == "__main__":
    main()
