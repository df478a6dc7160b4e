"""The `kalkan` command as an admin meets it: init, demo, clear refusals, nothing changed."""

from __future__ import annotations

import json
import re
import sqlite3
import stat
from pathlib import Path

import pytest

from kalkan.core.testing import PASSPHRASE_PATTERN, kalkan
from kalkan.vault.crypto import fingerprint, public_of
from kalkan.vault.escrow_words import from_words


def test_it_creates_an_instance(tmp_path):
    data = tmp_path / "inst"
    result = kalkan("init", "--data-dir", str(data), "--admin", "amir", "--non-interactive",
                    "--show-escrow")
    assert result.returncode == 0, result.stderr
    lines = dict(line.split("=", 1) for line in result.stdout.splitlines())
    assert lines["ADMIN"] == "amir"
    assert len(lines["PASSPHRASE"].split("-")) == 6
    assert lines["TOTP_URI"].startswith("otpauth://totp/")
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "secret_key").stat().st_mode) == 0o600
    assert stat.S_IMODE((data / "kalkan.sqlite3").stat().st_mode) == 0o600
    # The escrow key is pinned in the data directory; its fingerprint goes on the sheet.
    assert stat.S_IMODE((data / "vault.json").stat().st_mode) == 0o600
    escrow_public = public_of(from_words(lines["ESCROW_WORDS"]))
    assert lines["ESCROW_FINGERPRINT"] == fingerprint(escrow_public)
    with sqlite3.connect(data / "kalkan.sqlite3") as db:
        assert db.execute("SELECT username, role FROM accounts_user").fetchall() == [
            ("amir", "admin")
        ]
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_it_generates_a_different_secret_key_per_instance(tmp_path):
    for name in ("one", "two"):
        kalkan("init", "--data-dir", str(tmp_path / name), "--admin", "amir", "--non-interactive",
               "--show-escrow")
    one = (tmp_path / "one" / "secret_key").read_text()
    two = (tmp_path / "two" / "secret_key").read_text()
    assert one != two
    assert len(one) >= 64


def test_it_shows_a_qr_code_when_interactive(tmp_path):
    data = tmp_path / "inst"
    result = kalkan("init", "--data-dir", str(data), "--admin", "amir", "--show-escrow")
    assert result.returncode == 0, result.stderr
    assert "Scan this code" in result.stdout
    assert "█" in result.stdout or "▀" in result.stdout
    assert "otpauth://totp/Kalkan%3Aamir" in result.stdout


def test_it_refuses_to_overwrite_an_instance(tmp_path):
    data = tmp_path / "inst"
    kalkan("init", "--data-dir", str(data), "--admin", "amir", "--non-interactive", "--show-escrow")
    key = (data / "secret_key").read_bytes()
    db = (data / "kalkan.sqlite3").read_bytes()
    again = kalkan("init", "--data-dir", str(data), "--admin", "other", "--non-interactive",
                   "--show-escrow")
    assert again.returncode == 2
    assert again.stderr.strip().endswith(
        "already holds a Kalkan instance; refusing to overwrite it (choose another --data-dir)"
    )
    assert len(again.stderr.strip().splitlines()) == 1
    assert (data / "secret_key").read_bytes() == key
    assert (data / "kalkan.sqlite3").read_bytes() == db


def test_it_refuses_a_directory_it_cannot_write(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = kalkan(
        "init", "--data-dir", str(blocker / "inst"), "--admin", "amir", "--non-interactive",
        "--show-escrow"
    )
    assert result.returncode == 2
    assert result.stderr.strip() == f"kalkan: cannot create {blocker / 'inst'}: Not a directory"


def test_it_refuses_a_non_empty_directory(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = kalkan("init", "--data-dir", str(tmp_path), "--admin", "amir", "--non-interactive",
                    "--show-escrow")
    assert result.returncode == 2
    assert "is not empty" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_it_leaves_nothing_behind_when_init_fails(tmp_path):
    data = tmp_path / "inst"
    result = kalkan("init", "--data-dir", str(data), "--admin", "Not Valid", "--non-interactive",
                    "--show-escrow")
    assert result.returncode != 0
    assert "is not a valid username" in result.stderr
    assert not data.exists()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("KALKAN_IDLE_MINUTES", "soon", "KALKAN_IDLE_MINUTES='soon': expected a whole number"),
        ("KALKAN_IDLE_MINUTES", "0", "KALKAN_IDLE_MINUTES=0: must be between 2 and 720"),
        ("KALKAN_HTTPS", "maybe", "KALKAN_HTTPS='maybe': expected one of true/false"),
        ("DATABASE_URL", "mysql://x@y/z", "DATABASE_URL: only postgres:// URLs are supported"),
    ],
)
def test_it_stops_on_a_bad_setting_with_one_line(tmp_path, variable, value, message):
    data = tmp_path / "inst"
    result = kalkan(
        "init", "--data-dir", str(data), "--admin", "amir", "--non-interactive", "--show-escrow",
        env={variable: value},
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr
    assert not data.exists()


def test_it_needs_an_instance_for_other_commands(tmp_path):
    result = kalkan("audit", "verify", "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "holds no Kalkan instance: run `kalkan init" in result.stderr


def test_it_needs_a_data_dir(tmp_path):
    result = kalkan("migrate")
    assert result.returncode == 2
    assert "KALKAN_DATA_DIR is not set" in result.stderr


def test_it_reads_the_data_dir_from_the_environment(tmp_path):
    data = tmp_path / "inst"
    result = kalkan(
        "init", "--admin", "amir", "--non-interactive",
        "--show-escrow", env={"KALKAN_DATA_DIR": str(data)}
    )
    assert result.returncode == 0, result.stderr
    assert (data / "secret_key").exists()


def test_it_passes_other_commands_through_to_django(tmp_path):
    data = tmp_path / "inst"
    kalkan("init", "--data-dir", str(data), "--admin", "amir", "--non-interactive", "--show-escrow")
    result = kalkan("showmigrations", "accounts", "--data-dir", str(data))
    assert result.returncode == 0, result.stderr
    assert "[X] 0001_initial" in result.stdout


def test_the_demo_builds_an_instance_with_one_login_per_role(tmp_path):
    data = tmp_path / "demo"
    result = kalkan("demo", "--no-serve", "--data-dir", str(data))
    assert result.returncode == 0, result.stderr
    for name in ("admin.aru", "responder.bek", "documenter.saule", "analyst.temir"):
        assert re.search(rf"^  {re.escape(name)}\s+{PASSPHRASE_PATTERN}\s", result.stdout, re.M)
    assert re.search(r"Current codes: admin\.aru \d{6}", result.stdout)
    assert (data / "DEMO").exists()
    _the_readme_counts_what_the_demo_holds(data)
    _the_linkage_walk_through_ends_in_an_estimate(data, result.stdout)
    again = kalkan("demo", "--no-serve", "--data-dir", str(data))
    assert again.returncode == 2
    assert "already holds a Kalkan instance" in again.stderr


def _the_readme_counts_what_the_demo_holds(data: Path) -> None:
    """The figures README.md gives for the demo are what its pages count (the events list,
    search, the case list, the laws), not the generator's setting."""
    from kalkan.demo import DEMO_GENERATED_ACTS, DEMO_SEED
    from kalkan.records.generator import plan

    readme = re.sub(r"\s+", " ", (Path(__file__).parents[3] / "README.md").read_text())
    said = re.search(r"(\d+) reports from the public form, (\d+) cases .*?(\d+) coded events "
                     r"with (\d+) acts \((\d+) of the acts, in (\d+) of the events, generated; "
                     r"the other (\d+) coded by hand\), (\d+) laws", readme)
    assert said, "README.md no longer describes the demo's data"
    reports, cases, events, acts, generated, generated_events, by_hand, law_count = map(
        int, said.groups())
    with sqlite3.connect(data / "kalkan.sqlite3") as db:
        counted = [db.execute(query).fetchone()[0] for query in (
            "SELECT COUNT(*) FROM intake_report", "SELECT COUNT(*) FROM desk_case",
            "SELECT COUNT(*) FROM records_event", "SELECT COUNT(*) FROM records_act",
            "SELECT COUNT(*) FROM analysis_law")]
    assert counted == [reports, cases, events, acts, law_count]
    assert generated == DEMO_GENERATED_ACTS and generated + by_hand == acts
    assert generated_events == sum(len(chunk.events)
                                   for chunk in plan(DEMO_GENERATED_ACTS, DEMO_SEED))


def _the_linkage_walk_through_ends_in_an_estimate(data: Path, printed: str) -> None:
    """What demo-linkage/README.txt tells an analyst works: the instance's export and the two
    partners' files link into one table of three lists (about as many people as the lists
    really share), and the estimate reads it."""
    folder = data / "demo-linkage"
    readme = (folder / "README.txt").read_text()
    said = re.search(r"first list \((\d+) victims\).*lists know (\d+) of the (\d+)", readme,
                     re.S)
    assert said, readme
    own_count, known, true_size = map(int, said.groups())
    temir = re.search(rf"^  analyst\.temir\s+({PASSPHRASE_PATTERN})\s", printed, re.M)
    assert temir
    years = "&".join(f"year={year}" for year in range(2019, 2026))
    own = folder / "own.kalkan-linkage"
    exported = kalkan("linkage", "export", "--scope", f"country=kg&{years}", "--secret-file",
                      str(folder / "coalition.secret"), "--output", str(own), "--as",
                      "analyst.temir", "--data-dir", str(data), input=temir.group(1) + "\n")
    assert exported.returncode == 0, exported.stderr
    assert f": {own_count} victims" in exported.stdout
    counts = folder / "counts.csv"
    # The unit needs no instance: no --data-dir.
    matched = kalkan("linkage", "match", str(own), str(folder / "partner-a.kalkan-linkage"),
                     str(folder / "partner-b.kalkan-linkage"), "--secret-file",
                     str(folder / "coalition.secret"), "--output", str(counts),
                     env={"KALKAN_DATA_DIR": ""})
    assert matched.returncode == 0, matched.stderr
    lines = counts.read_text().splitlines()
    assert lines[0] == "own,partner-a,partner-b,n"
    found = sum(int(line.rsplit(",", 1)[1]) for line in lines[1:])
    assert abs(found - known) <= known * 0.02, (found, known)
    estimated = kalkan("estimate", "--counts", str(counts), "--json")
    assert estimated.returncode == 0, estimated.stderr
    result = json.loads(estimated.stdout)
    assert result["method"] == "lcmcr"
    assert found < result["lower"] <= result["estimate"] <= result["upper"]
    assert result["estimate"] < true_size * 1.5


def test_the_demo_makes_a_throw_away_directory_by_default():
    result = kalkan("demo", "--no-serve")
    assert result.returncode == 0, result.stderr
    where = re.search(r"Demo instance in (\S+)", result.stdout)
    assert where
    path = Path(where.group(1))
    assert (path / "secret_key").exists()
    import shutil

    shutil.rmtree(path)


def test_sqlite_overwrites_what_it_deletes(tmp_path):
    data = tmp_path / "inst"
    kalkan("init", "--data-dir", str(data), "--admin", "amir", "--non-interactive", "--show-escrow")
    # secure_delete is a per-connection setting: Kalkan's own connections set it.
    result = kalkan(
        "shell",
        "--verbosity",
        "0",
        "-c",
        "from django.db import connection; c = connection.cursor(); "
        "print(c.execute('PRAGMA secure_delete').fetchone()[0], "
        "c.execute('PRAGMA journal_mode').fetchone()[0])",
        "--data-dir",
        str(data),
    )
    assert result.stdout.split() == ["1", "wal"], result.stderr
