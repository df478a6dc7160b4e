"""The vocabularies as this organisation uses them: the shipped lists plus terms its
administrators added from the web, with the terms they made inactive.

    current("act_types", keyring).choices()   # for forms
"""

from __future__ import annotations

import json
import secrets
from dataclasses import replace

from django.db import transaction

from kalkan.records.models import LocalTerm, RetiredTerm
from kalkan.records.vocabularies import VOCABULARIES, Term, Vocabulary, vocabulary
from kalkan.vault.keyring import Keyring
from kalkan.vault.records import new_sealed, open_content_key, read, write

LANGUAGES = ("en", "ru", "ky", "kk")


def current(name: str, keyring: Keyring | None = None) -> Vocabulary:
    """The list with local terms (when a keyring can open their labels) and retirements."""
    base = vocabulary(name)
    retired = set(RetiredTerm.objects.filter(vocabulary=name).values_list("code", flat=True))
    terms = [replace(t, inactive=True) if t.code in retired else t for t in base]
    if keyring is not None:
        for row in LocalTerm.objects.filter(vocabulary=name).select_related("content_key"):
            try:
                labels = json.loads(read(row, open_content_key(row.content_key, keyring))
                                    ["labels"])
            except PermissionError:
                continue
            terms.append(Term(vocabulary=name, code=row.code, parent=row.parent, esf="",
                              inactive=row.code in retired, labels=labels, local=True))
    return Vocabulary(base.name, base.titles, terms)


def add(name: str, *, parent: str, labels: dict[str, str], keyring: Keyring) -> LocalTerm:
    """A new term under `parent` (or at the top); labels in all four languages."""
    if name not in VOCABULARIES:
        raise ValueError(f"no vocabulary {name!r}")
    if parent and current(name, keyring).get(parent) is None:
        raise ValueError(f"no term {parent!r} in {name}")
    if any(not labels.get(language, "").strip() for language in LANGUAGES):
        raise ValueError("a label in every language is needed")
    code = f"{parent}.x_{secrets.token_hex(4)}" if parent else f"x_{secrets.token_hex(4)}"
    with transaction.atomic():
        term, key = new_sealed(LocalTerm, keyring, vocabulary=name, code=code, parent=parent)
        write(term, key, labels=json.dumps({lang: labels[lang].strip() for lang in LANGUAGES},
                                           ensure_ascii=False))
        current(name, keyring)  # the list still loads with it (checks the tree)
    return term


def set_active(name: str, code: str, active: bool) -> None:
    if active:
        RetiredTerm.objects.filter(vocabulary=name, code=code).delete()
    else:
        RetiredTerm.objects.get_or_create(vocabulary=name, code=code)
