"""The first unlock builds the working set in the background: the person who logged in sees
how far it is on a page that refreshes itself, pages that need the set say "still
preparing", the rest of the desk works, and nobody else's request waits on it. Once built,
search works and the encrypted snapshot is on disk."""

from __future__ import annotations

import threading

import pytest
from django.test import Client

from kalkan.intake.services import Submission, submit_report
from kalkan.records.generator import generate
from kalkan.vault import workingset

pytestmark = pytest.mark.django_db(transaction=True)

LOGIN = "/en/staff/login/"


@pytest.fixture
def held_build(monkeypatch, settings):
    """Background builds on, and each one held at its start until the test lets it go."""
    settings.WORKING_SET_IN_BACKGROUND = True
    go, started = threading.Event(), threading.Event()
    real = workingset.build_from_records

    def held(keyring, progress=None, **options):
        started.set()
        assert go.wait(120)  # the test lets it go (a run never hangs for good)
        return real(keyring, progress, **options)

    monkeypatch.setattr(workingset, "build_from_records", held)
    workingset.drop_all()
    yield go, started
    go.set()
    workingset.drop_all()


def _log_in(client: Client, character) -> str:
    response = client.post(LOGIN, {"username": character.username,
                                   "passphrase": character.passphrase,
                                   "code": character.code()})
    assert response.status_code == 302
    return response["Location"]


def _let_go(go: threading.Event, keyring) -> None:
    """Let the held build go on, and wait until it is done (its snapshot written too)."""
    pending = workingset._pending[workingset._set_key(keyring)]
    go.set()
    assert pending.finished.wait(120)


def test_the_first_unlock_shows_progress_and_the_desk_stays_usable(
    transactional_db, held_build, chingiz, bota
):
    go, started = held_build
    keys = chingiz.keyring()
    generate(keys, acts=20, seed=2, by=chingiz.user)
    submit_report(Submission(narrative="Fictional: taken from the Kara-Suu bus stop", urgent=True,
                             answers={"urgent": {"kind": "detained"}}), [])
    person = Client()
    where = _log_in(person, chingiz)
    assert where.startswith("/en/staff/preparing/")
    assert started.wait(120)

    page = person.get(where)
    assert page.status_code == 200
    text = page.content.decode()
    assert '<meta http-equiv="refresh"' in text
    assert "Still preparing:" in text and "records." in text
    assert "<script" not in text
    # Pages that need the working set say so and come back to themselves ...
    search = person.get("/en/staff/search/?q=police")
    assert search.status_code == 200
    assert "Still preparing: 0 of" in search.content.decode()
    assert 'url=/en/staff/search/?q=police"' in search.content.decode()
    # ... the others work meanwhile.
    assert person.get("/en/staff/").status_code == 200
    assert person.get("/en/staff/passphrase/").status_code == 200

    # Another person's login and pages answer while the build is held: nobody waits on it.
    answers: list[int] = []
    other = Client()

    def visit() -> None:
        _log_in(other, bota)  # the same keys: the same set, still being built
        for page in ("/en/staff/", "/en/staff/cases/inbox/", "/en/staff/cases/",
                     "/en/staff/cases/tasks/", "/en/staff/reports/"):
            response = other.get(page)
            answers.append(response.status_code)
            assert "Still preparing" not in response.content.decode(), page
            if page == "/en/staff/cases/inbox/":
                # The urgent story is readable at once, not after the build.
                assert "taken from the Kara-Suu bus stop" in response.content.decode()

    visitor = threading.Thread(target=visit)
    visitor.start()
    visitor.join(120)
    assert answers == [200] * 5  # the desk works meanwhile

    _let_go(go, keys)
    assert workingset._snapshot_path(keys).exists()
    done = person.get(where)
    assert done.status_code == 302 and done["Location"] == "/en/staff/"
    found = person.get("/en/staff/search/")
    assert found.status_code == 200
    assert "Still preparing" not in found.content.decode()
    assert workingset.for_session(str(person.session.session_key), keys).count("act") == 20


def test_logging_out_during_the_build_stops_it_and_keeps_nothing(
    transactional_db, held_build, chingiz
):
    go, started = held_build
    keys = chingiz.keyring()
    generate(keys, acts=5, seed=2, by=chingiz.user)
    person = Client()
    _log_in(person, chingiz)
    assert started.wait(120)
    person.post("/en/staff/logout/")
    _let_go(go, keys)
    assert workingset.loaded() == 0
    assert not workingset._snapshot_path(keys).exists()  # stopped before it was done
