"""Fails when the translation catalogues are stale, incomplete or do not compile.

- stale: running makemessages would add or drop a message (the catalogues are restored after);
- incomplete: a ru, ky or kk entry is empty, fuzzy, or a copy of the English;
- broken: `msgfmt --check` (placeholders, plural forms, header) refuses a catalogue.
Needs GNU gettext (Debian: gettext). Run: python scripts/check_i18n.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "kalkan"
LANGUAGES = ["ru", "ky", "kk", "en"]
TRANSLATED = ["ru", "ky", "kk"]
# Strings that read the same in every language.
SAME_EVERYWHERE = {"Kalkan", "TOTP"}


MSGFMT = shutil.which("msgfmt") or "/usr/bin/msgfmt"


def catalogue(lang: str) -> Path:
    return APP / "locale" / lang / "LC_MESSAGES" / "django.po"


def msgids(path: Path) -> set[str]:
    return {e.msgid for e in polib.pofile(str(path)) if not e.obsolete}


def main() -> int:
    problems: list[str] = []
    before = {lang: catalogue(lang).read_bytes() for lang in LANGUAGES}
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="kalkan.test_settings")
    try:
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "django", "makemessages", "--no-location", "--no-wrap",
             *[f"--locale={lang}" for lang in LANGUAGES]],
            cwd=APP, env=env, check=True, capture_output=True,
        )
        for lang in LANGUAGES:
            old = polib.pofile(before[lang].decode("utf-8"))
            old_ids = {e.msgid for e in old if not e.obsolete}
            new_ids = msgids(catalogue(lang))
            for msgid in sorted(new_ids - old_ids):
                problems.append(f"{lang}: not in the catalogue yet: {msgid!r}")
            for msgid in sorted(old_ids - new_ids):
                problems.append(f"{lang}: no longer used: {msgid!r}")
    finally:
        for lang in LANGUAGES:
            catalogue(lang).write_bytes(before[lang])

    for lang in TRANSLATED:
        for entry in polib.pofile(str(catalogue(lang))):
            if entry.obsolete:
                continue
            if "fuzzy" in entry.flags or not entry.translated():
                problems.append(f"{lang}: not translated: {entry.msgid!r}")
            elif entry.msgstr == entry.msgid and entry.msgid not in SAME_EVERYWHERE:
                problems.append(f"{lang}: a copy of the English: {entry.msgid!r}")
    for lang in LANGUAGES:
        result = subprocess.run(  # noqa: S603
            [MSGFMT, "--check-format", "--check-domain", "-o", os.devnull,
             str(catalogue(lang))],
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            problems.append(f"{lang}: msgfmt refuses it: {result.stderr.strip()}")

    for problem in problems:
        print(problem)
    if problems:
        print(f"i18n check FAILED: {len(problems)} problem(s)")
        return 1
    print(f"i18n check passed: {', '.join(LANGUAGES)} complete and current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
