"""UN mechanisms a draft can be written for, and the treaty articles each type of act engages.

Both are data (kalkan/analysis/data/*.csv) so that a lawyer can correct a mapping without
touching code: `mechanisms.csv` names each mechanism in four languages with the instruments
it reviews; `treaty_articles.csv` maps act types (any level of the act_types vocabulary; an
act engages what its type and every broader type map to) to articles in the `rights`
vocabulary.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.translation import get_language

from kalkan.records.vocabularies import vocabulary

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Mechanism:
    code: str
    instruments: tuple[str, ...]  # top-level codes of the rights vocabulary
    labels: dict[str, str]

    def label(self, language: str | None = None) -> str:
        wanted = (language or get_language() or "en").split("-")[0]
        return self.labels.get(wanted) or self.labels["en"]


@cache
def mechanisms() -> dict[str, Mechanism]:
    with (DATA / "mechanisms.csv").open(encoding="utf-8", newline="") as source:
        return {
            row["code"]: Mechanism(row["code"], tuple(row["instruments"].split()),
                                   {lang: row[lang] for lang in ("en", "ru", "ky", "kk")})
            for row in csv.DictReader(source)
        }


@cache
def treaty_articles() -> dict[str, tuple[str, ...]]:
    """Act type -> the articles it engages by itself (without those of broader types)."""
    with (DATA / "treaty_articles.csv").open(encoding="utf-8", newline="") as source:
        return {row["act_type"]: tuple(row["rights"].split()) for row in csv.DictReader(source)}


def _instrument(article: str) -> str:
    return article.split(".")[0]


def articles_engaged(act_type: str, mechanism: Mechanism) -> list[str]:
    """The articles of the mechanism's instruments an act of this type engages, in the
    order of the rights vocabulary."""
    act_types = vocabulary("act_types")
    rights = vocabulary("rights")
    mapping = treaty_articles()
    engaged: set[str] = set()
    code = act_type
    while code and code in act_types:
        engaged.update(mapping.get(code, ()))
        code = act_types.terms[code].parent
    wanted = [a for a in engaged if _instrument(a) in mechanism.instruments]
    order = {term.code: position for position, term in enumerate(rights)}
    return sorted(wanted, key=lambda article: order.get(article, len(order)))
