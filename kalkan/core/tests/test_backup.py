"""Backups against real instances (the `kalkan` command in its own processes): an archive
made while reports arrive restores with every acknowledged report, staff log in to the
restored instance as before, a changed or cut archive and a wrong passphrase restore
nothing, the drill tells rows added since the backup from a row changed in the live
database, and nothing typed is readable in the archive.

The source of the main round trip is SQLite and its target the suite's database, and the
other round trip goes from the suite's database to SQLite: with scripts/with_postgres.py
that is SQLite -> PostgreSQL and PostgreSQL -> SQLite; on the SQLite run both are SQLite.
"""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from django_otp.oath import TOTP

from kalkan.core.testing import (
    Reporter,
    cli_env,
    free_port,
    fresh_database,
    kalkan,
    serve,
)
from kalkan.intake.tests.test_report import STORY
from kalkan.vault.tests.test_canary import canary, forms_of

pytestmark = pytest.mark.django_db(transaction=True)

TYPED = {name: value for name, value in STORY.items() if isinstance(value, str)}
RECEIPT = re.compile(r'<p class="secret">([\d ]+)</p>')


def _init(data: Path, database: dict[str, str]) -> dict[str, str]:
    """`kalkan init` with the administrator amir; what it printed (PASSPHRASE, TOTP_URI,
    ESCROW_WORDS)."""
    init = kalkan("init", "--data-dir", str(data), "--admin", "amir", "--non-interactive",
                  "--show-escrow", env=database)
    assert init.returncode == 0, init.stderr
    return dict(re.findall(r"^([A-Z_]+)=(.*)$", init.stdout, re.MULTILINE))


def _backup(data: Path, output: Path, database: dict[str, str]) -> Path:
    made = kalkan("backup", "create", "--data-dir", str(data), "--output", str(output),
                  env=database)
    assert made.returncode == 0, made.stderr
    assert "Backup written" in made.stdout
    return output


def _restore(archive: Path, target: Path, *, user: str = "amir", typed: str,
             database: dict[str, str] | None = None, escrow: bool = False) -> tuple[int, str]:
    args = ["backup", "restore", str(archive), "--data-dir", str(target)]
    args += ["--escrow"] if escrow else ["--user", user]
    if database:
        args += ["--database-url", database["DATABASE_URL"]]
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "kalkan.cli", *args], input=typed + "\n", capture_output=True,
        text=True, env=cli_env(), timeout=300, check=False,
    )
    return done.returncode, done.stdout + done.stderr


def _shell(data: Path, code: str, database: dict[str, str]) -> str:
    shown = kalkan("shell", "-c", code, "--data-dir", str(data), env=database)
    assert shown.returncode == 0, shown.stderr
    return shown.stdout


def _log_in(base: str, printed: dict[str, str]) -> str:
    """The staff login form, as amir fills it in: username, passphrase, authenticator code."""
    secret = urllib.parse.parse_qs(urllib.parse.urlsplit(printed["TOTP_URI"]).query)["secret"][0]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    code = f"{TOTP(key).token():06d}"
    return Reporter(base).post_form(
        "/en/staff/login/",
        {"username": "amir", "passphrase": printed["PASSPHRASE"], "code": code},
    )


# A report with a file, as the upload handler stores one (sealed while it arrives).
ATTACH_A_FILE = """
import uuid
from kalkan.intake.services import Submission, submit_report
from kalkan.intake.uploads import SealedUpload
from kalkan.vault.files import SealedFileWriter
from kalkan.vault.records import new_content_key
row, key = new_content_key(None, save=False)
evidence = uuid.uuid4()
writer = SealedFileWriter(key, str(evidence), row.sealed_in_epoch)
writer.write(b"%PDF-1.4 a fictional statement about the Kok-Jar checkpoint" * 4000)
upload = SealedUpload(evidence, row, key, "statement.pdf", "application/pdf", writer.close(),
                      b"%PDF")
submit_report(Submission(narrative="Fictional: held at the Kok-Jar checkpoint."), [upload])
"""


class Reporters:
    """Threads that keep sending reports to a running server, noting when each receipt was
    shown (acknowledged)."""

    def __init__(self, base: str, threads: int = 3) -> None:
        self.base = base
        self.acknowledged: list[tuple[float, str]] = []
        self.failed = 0
        self.refusals: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._send, daemon=True) for _ in range(threads)]
        for thread in self._threads:
            thread.start()

    def _send(self) -> None:
        while not self._stop.is_set():
            page = Reporter(self.base).post_form("/en/report/", TYPED)
            found = RECEIPT.search(page)
            with self._lock:
                if found:
                    self.acknowledged.append((time.monotonic(), found.group(1)))
                else:
                    self.failed += 1
                    self.refusals.append(page[:300])
            time.sleep(0.2)

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 120
        while len(self.acknowledged) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(self.acknowledged) >= count, "the server acknowledged too few reports"

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)


def test_a_backup_made_while_reports_arrive_restores_every_acknowledged_one(tmp_path):
    live = tmp_path / "live"
    printed = _init(live, {})  # SQLite
    port = free_port()
    # Three browsers sending without pause would meet the limit for everyone (30 a minute).
    server = serve(live, port, KALKAN_REPORTS_PER_MINUTE="600")
    try:
        reporters = Reporters(f"http://127.0.0.1:{port}")
        reporters.wait_for(3)
        started = time.monotonic()
        archive = _backup(live, tmp_path / "nightly.kbak", {})
        reporters.wait_for(len(reporters.acknowledged) + 2)  # still arriving afterwards
        reporters.stop()
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert reporters.failed == 0, reporters.refusals
    before = [receipt for at, receipt in reporters.acknowledged if at < started]
    assert before

    # On a new machine: the suite's database (PostgreSQL under with_postgres.py).
    target = fresh_database()
    status, said = _restore(archive, tmp_path / "new", typed=printed["PASSPHRASE"],
                            database=target)
    assert status == 0, said
    assert "Restored" in said
    found = _shell(tmp_path / "new", (
        "from kalkan.intake.services import find_mailbox; from kalkan.intake.models import "
        f"Report; receipts = {before!r}; "
        "print('found', sum(find_mailbox(r) is not None for r in receipts), "
        "Report.objects.count())"
    ), target)
    counts = re.search(r"found (\d+) (\d+)", found)
    assert counts, found
    assert int(counts.group(1)) == len(before)  # every report acknowledged before it began
    assert len(before) <= int(counts.group(2)) <= len(reporters.acknowledged)
    verified = kalkan("audit", "verify", "--data-dir", str(tmp_path / "new"), env=target)
    assert verified.returncode == 0, verified.stderr

    # Staff log in to the restored instance as before.
    port = free_port()
    server = serve(tmp_path / "new", port, **target)
    try:
        home = _log_in(f"http://127.0.0.1:{port}", printed)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "/en/staff/logout/" in home and "amir" in home

    # The drill of the live instance: reports that arrived after the snapshot are "added
    # since the backup", not a failure.
    drilled = kalkan("backup", "drill", "--data-dir", str(live), str(archive))
    assert drilled.returncode == 0, drilled.stdout + drilled.stderr
    assert re.search(r"intake\.report: \d+ same; \d+ added since the backup", drilled.stdout)
    assert "matches the live instance" in drilled.stdout

    # A row changed in the live database (its stored bytes, no newer revision): the drill
    # fails and names the table.
    _shell(live, (
        "from kalkan.vault.models import OrgKeyWrap; w = OrgKeyWrap.objects.first(); "
        "s = bytearray(w.sealed); s[5] ^= 1; "
        "OrgKeyWrap.objects.filter(pk=w.pk).update(sealed=bytes(s))"
    ), {})
    drilled = kalkan("backup", "drill", "--data-dir", str(live), str(archive))
    assert drilled.returncode != 0
    assert "vault.orgkeywrap: " in drilled.stdout and "1 DIFFER" in drilled.stdout
    assert "the drill found" in drilled.stderr


def test_a_changed_or_cut_archive_and_a_wrong_passphrase_restore_nothing(tmp_path):
    live = tmp_path / "live"
    database = fresh_database()
    printed = _init(live, database)
    archive = _backup(live, tmp_path / "a.kbak", database)
    data = archive.read_bytes()

    flipped = tmp_path / "flipped.kbak"
    changed = bytearray(data)
    changed[len(data) // 2] ^= 0x01
    flipped.write_bytes(bytes(changed))
    cut = tmp_path / "cut.kbak"
    cut.write_bytes(data[: len(data) - 100])
    for bad in (flipped, cut):
        status, said = _restore(bad, tmp_path / "new", typed=printed["PASSPHRASE"])
        assert status == 2
        assert len(said.strip().splitlines()) == 1, said
        assert "nothing was restored" in said
        assert "damaged" in said or "truncated" in said
        assert not (tmp_path / "new").exists()
    drilled = kalkan("backup", "drill", "--data-dir", str(live), str(flipped), env=database)
    assert drilled.returncode != 0 and "damaged or was changed" in drilled.stderr
    assert '"failed"' in (live / "backups.json").read_text()  # the home page says so

    status, said = _restore(archive, tmp_path / "new", typed="wrong-words-entirely-here-and")
    assert status == 2
    assert "no administrator of this archive has that username and passphrase" in said
    assert not (tmp_path / "new").exists()
    status, said = _restore(archive, tmp_path / "new", user="bota", typed=printed["PASSPHRASE"])
    assert status == 2 and not (tmp_path / "new").exists()

    # The escrow words open it too (the only way when no administrator is left).
    status, said = _restore(archive, tmp_path / "new", typed=printed["ESCROW_WORDS"],
                            escrow=True)
    assert status == 0, said
    assert (tmp_path / "new" / "secret_key").read_bytes() == (live / "secret_key").read_bytes()


def test_from_the_suites_database_to_sqlite_with_no_plaintext_in_the_archive(tmp_path):
    live = tmp_path / "live"
    database = fresh_database()
    printed = _init(live, database)
    typed = canary("backup")
    port = free_port()
    server = serve(live, port, **database)
    try:
        page = Reporter(f"http://127.0.0.1:{port}").post_form(
            "/en/report/", {**TYPED, "narrative": f"At the checkpoint {typed.decode()} was held."}
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    receipt = RECEIPT.search(page)
    assert receipt, page[-2000:]
    _shell(live, ATTACH_A_FILE, database)
    nightly = tmp_path / "nightly"
    nightly.mkdir()
    _backup(live, nightly, database)  # a directory: a dated name in it
    made = list(nightly.glob("kalkan-*.kbak"))
    assert len(made) == 1
    data = made[0].read_bytes()
    # Nothing typed; not even the administrator's name or a table's.
    for shape in [*forms_of(typed), b"amir", b"intake_report", b"vault.orgkeywrap"]:
        assert shape not in data

    # The drill compares the suite's database with its SQLite scratch copy, row by row.
    drilled = kalkan("backup", "drill", "--data-dir", str(live), str(nightly), env=database)
    assert drilled.returncode == 0, drilled.stdout + drilled.stderr
    assert "matches the live instance" in drilled.stdout
    assert "files: 1 of 1 same" in drilled.stdout

    status, said = _restore(made[0], tmp_path / "new", typed=printed["PASSPHRASE"])  # SQLite
    assert status == 0, said
    assert (tmp_path / "new" / "kalkan.sqlite3").is_file()
    found = _shell(tmp_path / "new", (
        "from kalkan.intake.services import find_mailbox; "
        f"print('found', find_mailbox({receipt.group(1)!r}) is not None)"
    ), {})
    assert "found True" in found


def test_rotation_keeps_the_newest(tmp_path):
    from kalkan.core import backup

    for day in ("20261101-010000", "20261102-010000", "20261103-010000"):
        (tmp_path / f"kalkan-{day}.kbak").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("kept")
    gone = backup.rotate(tmp_path, keep=2)
    assert [p.name for p in gone] == ["kalkan-20261101-010000.kbak"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "kalkan-20261102-010000.kbak", "kalkan-20261103-010000.kbak", "notes.txt",
    ]


def test_administrators_see_the_last_backup_and_drill_on_their_home_page(client, amir, bota):
    from django.urls import reverse
    from django.utils import translation

    from kalkan.core import backup
    from kalkan.core.testing import log_in

    with translation.override("en"):
        home = reverse("accounts:home")
    page = log_in(client, amir).get(home).content.decode()
    assert "No backup has been made on this server yet" in page
    assert "No restore drill has been run yet" in page

    backup.record_status("backup", {"file": "kalkan-x.kbak", "bytes": 2048, "rows": 9,
                                    "files": 1})
    backup.record_status("drill", {"archive": "kalkan-x.kbak", "archive_made": "", "ok": False,
                                   "tables": 62, "rows": 340, "files": 1, "problems": 1})
    page = log_in(client, amir).get(home).content.decode()
    assert "2.0\xa0KB" in page
    assert "1 difference found" in page
    assert "62 tables, 340 rows and 1 files compared" in page
    backup.record_status("drill", {"archive": "kalkan-x.kbak", "ok": False, "failed": "cut",
                                   "tables": 0, "rows": 0, "files": 0, "problems": 0})
    page = log_in(client, amir).get(home).content.decode()
    assert "the archive could not be opened or restored" in page
    try:
        assert "Last restore drill" not in log_in(client, bota).get(home).content.decode()
    finally:
        (backup.Path(backup.settings.DATA_DIR) / backup.STATUS_FILE).unlink()


# An archive made on 2026-12-02 by main (the backup branch as merged: envelope version 2):
# `kalkan init --admin amir`, one report with a file (ATTACH_A_FILE's, its text 20 times
# rather than 4000, printing submit_report's receipt, run with `kalkan shell -c`), then
# `kalkan backup create --output made-by-main-2026-12.kbak`. Kept as it is: every later
# version must restore it (its migrations are loaded first, then this version's run), and
# the format must keep opening. Fictional.
MADE_BY_MAIN = Path(__file__).with_name("backups") / "made-by-main-2026-12.kbak"
MADE_BY_MAIN_PASSPHRASE = "extras-coaster-target-barstool-unsettled-retool"  # noqa: S105
MADE_BY_MAIN_RECEIPT = "32748 25790 98541 72329 22908"


def test_an_archive_made_by_an_earlier_version_restores_and_migrates(tmp_path):
    target = fresh_database()
    status, said = _restore(MADE_BY_MAIN, tmp_path / "new", typed=MADE_BY_MAIN_PASSPHRASE,
                            database=target)
    assert status == 0, said
    shown = _shell(tmp_path / "new", (
        "from django.db.migrations.executor import MigrationExecutor; "
        "from django.db import connection; "
        "from kalkan.intake.services import find_mailbox; from kalkan.intake.models import "
        "Evidence; from kalkan.vault.files import files_dir; "
        "plan = MigrationExecutor(connection).migration_plan("
        "MigrationExecutor(connection).loader.graph.leaf_nodes()); "
        f"print('unapplied', len(plan), 'found', find_mailbox({MADE_BY_MAIN_RECEIPT!r}) "
        "is not None, 'file', all((files_dir() / e.original_file).is_file() "
        "for e in Evidence.objects.all()), Evidence.objects.count())"
    ), target)
    assert "unapplied 0 found True file True 1" in shown, shown
    verified = kalkan("audit", "verify", "--data-dir", str(tmp_path / "new"), env=target)
    assert verified.returncode == 0, verified.stderr


def _slot_kinds(path: Path) -> list[str]:
    from kalkan.vault import archive

    with path.open("rb") as source:
        return archive.read_header(source).kinds()


def _with_slots(path: Path, out: Path, change) -> Path:
    """A copy of the archive at `path` whose slot list is `change(slots)`; the frames as
    they were (what anyone holding the file can do without a key)."""
    from kalkan.vault import archive

    with path.open("rb") as source:
        header = archive.read_header(source)
        rest = source.read()
    out.write_bytes(archive.prefix(header.archive_id, change(list(header.slots))) + rest)
    return out


def test_the_off_site_copy_opens_with_a_passphrase_or_the_escrow_words_never_the_instance(
    tmp_path,
):
    live = tmp_path / "live"
    database = fresh_database()
    printed = _init(live, database)
    local, away = tmp_path / "local", tmp_path / "offsite"
    local.mkdir()
    away.mkdir()
    made = kalkan("backup", "create", "--data-dir", str(live), "--output", str(local),
                  "--keep", "14", "--offsite", str(away), env=database)
    assert made.returncode == 0, made.stderr
    assert "Off-site copy written" in made.stdout
    [kept] = local.glob("kalkan-*.kbak")
    [copy] = away.glob("kalkan-*.kbak")
    assert kept.name == copy.name
    assert sorted(_slot_kinds(kept)) == ["admin", "escrow", "instance"]
    assert sorted(_slot_kinds(copy)) == ["admin", "escrow"]
    # `kalkan backup offsite` writes the same copy (verbatim frames, the same slots).
    again = kalkan("backup", "offsite", "--data-dir", str(live), str(local), "--output",
                   str(tmp_path / "again.kbak"), env=database)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "again.kbak").read_bytes() == copy.read_bytes()
    twice = kalkan("backup", "offsite", "--data-dir", str(live), str(copy), "--output",
                   str(tmp_path / "twice.kbak"), env=database)
    assert twice.returncode != 0 and "an off-site copy already" in twice.stderr
    assert not (tmp_path / "twice.kbak").exists()

    # The instance's own key (what the server keeps beside its archives) does not open it.
    drilled = kalkan("backup", "drill", "--data-dir", str(live), str(away), env=database)
    assert drilled.returncode != 0
    assert "carries no instance key (an off-site copy)" in drilled.stderr
    assert "Traceback" not in drilled.stderr
    # An administrator drills it with their passphrase.
    drilled = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "kalkan.cli", "backup", "drill", "--data-dir", str(live),
         str(copy), "--user", "amir"],
        input=printed["PASSPHRASE"] + "\n", capture_output=True, text=True,
        env=cli_env(database), timeout=300, check=False,
    )
    assert drilled.returncode == 0, drilled.stdout + drilled.stderr
    assert "matches the live instance" in drilled.stdout

    status, said = _restore(copy, tmp_path / "by-amir", typed=printed["PASSPHRASE"])
    assert status == 0, said
    status, said = _restore(copy, tmp_path / "by-escrow", typed=printed["ESCROW_WORDS"],
                            escrow=True)
    assert status == 0, said
    assert (tmp_path / "by-escrow" / "secret_key").read_bytes() == (
        live / "secret_key"
    ).read_bytes()

    flipped = tmp_path / "flipped.kbak"
    changed = bytearray(copy.read_bytes())
    changed[-len(changed) // 3] ^= 0x01
    flipped.write_bytes(bytes(changed))
    status, said = _restore(flipped, tmp_path / "new", typed=printed["PASSPHRASE"])
    assert status == 2 and len(said.strip().splitlines()) == 1, said
    assert "damaged or was changed" in said and "nothing was restored" in said
    assert not (tmp_path / "new").exists()


def test_a_changed_slot_list_opens_with_a_remaining_secret_or_is_refused_cleanly(tmp_path):
    from kalkan.core import backup
    from kalkan.vault import archive, crypto
    from kalkan.vault.escrow_words import from_words

    live = tmp_path / "live"
    printed = _init(live, {})
    copy = tmp_path / "offsite.kbak"
    _backup(live, tmp_path / "local.kbak", {})
    offsite = kalkan("backup", "offsite", "--data-dir", str(live), str(tmp_path / "local.kbak"),
                     "--output", str(copy))
    assert offsite.returncode == 0, offsite.stderr
    escrow_secret = from_words(printed["ESCROW_WORDS"])

    def opens(path: Path, find_key) -> str:
        try:
            backup.verify(backup.open_archive(path, find_key))
        except backup.BackupError as e:
            return str(e)
        return "opens"

    by_amir = lambda h: archive.key_from_admin(h, "amir", printed["PASSPHRASE"])  # noqa: E731
    by_escrow = lambda h: archive.key_from_escrow(h, escrow_secret)  # noqa: E731

    # A slot removed: the others still open it; the removed one is simply not there.
    no_admin = _with_slots(copy, tmp_path / "no-admin.kbak",
                           lambda slots: [s for s in slots if s["kind"] != "admin"])
    assert opens(no_admin, by_escrow) == "opens"
    assert "no administrator of this archive has that username" in opens(no_admin, by_amir)

    # Garbage added before the real slots: passed over (no Argon2id of a gigabyte limit).
    with MADE_BY_MAIN.open("rb") as source:
        foreign = archive.read_header(source).slots  # slots of another archive
    garbage = [
        5, "admin", {"kind": "admin", "salt": "!!", "opslimit": 10**9, "memlimit": 10**15,
                     "wrapped": "", "user": 1, "sealed": ""},
        {"kind": "escrow", "sealed": "not base64"}, {"kind": "escrow"}, *foreign,
    ]
    noisy = _with_slots(copy, tmp_path / "noisy.kbak", lambda slots: garbage + slots)
    assert opens(noisy, by_amir) == "opens"
    assert opens(noisy, by_escrow) == "opens"
    # A slot of another archive does not open this one, even with its own passphrase.
    assert "no administrator" in opens(
        noisy, lambda h: archive.key_from_admin(h, "amir", MADE_BY_MAIN_PASSPHRASE)
    )

    # A slot that opens with the escrow words but holds another key (anyone can seal to the
    # escrow public key): the stream refuses it as changed, and nothing is restored.
    with copy.open("rb") as source:
        header = archive.read_header(source)
        rest = source.read()
    forged_slot = {"kind": "escrow", "sealed": base64.b64encode(crypto.seal_to(
        crypto.public_of(escrow_secret), crypto.random_key() + header.archive_id
    )).decode()}
    forged = _with_slots(copy, tmp_path / "forged.kbak", lambda slots: [forged_slot, *slots])
    assert "damaged or was changed" in opens(forged, by_escrow)
    status, said = _restore(forged, tmp_path / "new", typed=printed["ESCROW_WORDS"], escrow=True)
    assert status == 2 and len(said.strip().splitlines()) == 1, said
    assert "Traceback" not in said and not (tmp_path / "new").exists()

    # A slot list that is not a list, or no slot at all, is refused in one line.
    broken = tmp_path / "broken.kbak"
    listed = b'{"version": 2, "slots": 7}'
    broken.write_bytes(archive.MAGIC + bytes([archive.VERSION]) + header.archive_id
                       + len(listed).to_bytes(4, "big") + listed + rest)
    assert "header is damaged" in opens(broken, by_escrow)
    empty = _with_slots(copy, tmp_path / "empty.kbak", lambda slots: [])
    assert "these escrow words do not open this archive" in opens(empty, by_escrow)
