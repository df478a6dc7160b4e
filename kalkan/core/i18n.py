"""Compiling the translation catalogues (.po → .mo) without GNU gettext on the server.

`kalkan serve` and the test suite call compile_catalogues(); a catalogue is rebuilt only when
its .po is newer than its .mo. Checking that catalogues are complete and current is done by
scripts/check_i18n.py, which the test command runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


def compile_catalogues(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    compiled = []
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
        compiled.append(mo_path)
    return compiled


if __name__ == "__main__":
    for path in compile_catalogues():
        print(f"compiled {path}", file=sys.stderr)
