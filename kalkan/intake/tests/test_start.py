"""The public start page, and the rule that the public side imports nothing staff-only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import kalkan.intake


@pytest.mark.parametrize(
    ("lang", "title"),
    [("en", "Information"), ("ru", "Информация"), ("ky", "Маалымат"), ("kk", "Ақпарат")],
)
def test_it_shows_a_neutral_start_page(client, lang, title):
    response = client.get(f"/{lang}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f"<title>{title}</title>" in body
    assert "/staff/" not in body  # no link to the staff side from the public side


def test_the_public_side_imports_nothing_staff_only():
    staff_only = ("kalkan.accounts", "kalkan.audit")
    for source in Path(kalkan.intake.__file__).parent.rglob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(staff_only), f"{source}: imports {name}"
