"""Regions of Kyrgyzstan and Kazakhstan (oblasts and cities of national significance), with
names in ru, ky, kk and en, from data/regions.csv.

Codes never change once published: records keep the code, pages show the name in the
reader's language. Districts, the other Central Asian states' regions and the coarsening
rules for publication come with the documentation model (its issue).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import get_language

_FILE = Path(__file__).with_name("data") / "regions.csv"


@dataclass(frozen=True)
class Region:
    code: str
    country: str
    names: dict[str, str]

    def name(self, language: str | None = None) -> str:
        return self.names.get((language or get_language() or "en")[:2], self.names["en"])


def _load() -> dict[str, Region]:
    with _FILE.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return {
        row["code"]: Region(
            row["code"], row["country"], {lang: row[lang] for lang in ("en", "ru", "ky", "kk")}
        )
        for row in rows
    }


REGIONS: dict[str, Region] = _load()


def regions_of(country: str) -> list[Region]:
    return [region for region in REGIONS.values() if region.country == country]
