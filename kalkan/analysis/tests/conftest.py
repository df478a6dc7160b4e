"""Shared fixtures of the analysis tests."""

from __future__ import annotations

import builtins
import tempfile
from typing import Any

import pytest


@pytest.fixture
def no_disk_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything opens a file for writing or makes a temporary file: drafts
    and charts are made in memory only (a raid takes the disk)."""
    real_open = builtins.open

    def read_only_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if any(flag in mode for flag in "wax+"):
            raise AssertionError(f"opened {file!r} for writing")
        return real_open(file, mode, *args, **kwargs)

    def no_temp(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("temporary file")

    monkeypatch.setattr(builtins, "open", read_only_open)
    for name in ("mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryFile",
                 "SpooledTemporaryFile", "TemporaryDirectory"):
        monkeypatch.setattr(tempfile, name, no_temp)
