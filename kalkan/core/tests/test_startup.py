"""`kalkan serve` prepares in the background what the first request would otherwise wait for:
the redaction model, registered by the analysis app (core never imports it)."""

from __future__ import annotations

from kalkan.analysis import redaction
from kalkan.core import startup


def test_the_redaction_model_is_loaded_at_serve_start_not_in_the_first_request(monkeypatch):
    monkeypatch.setattr(redaction, "_NER", None)
    assert any("redaction" in p.__qualname__ for p in startup.AT_SERVE_START)
    startup.prepare_in_background().join()
    assert redaction._NER is not None


def test_a_preparation_that_fails_does_not_stop_the_others(monkeypatch):
    done: list[str] = []

    def broken() -> None:
        raise OSError("disk full")

    monkeypatch.setattr(startup, "AT_SERVE_START", [])
    startup.at_serve_start(broken)
    startup.at_serve_start(lambda: done.append("next"))
    startup.prepare_all()
    assert done == ["next"]
