"""Backups: one encrypted archive of a running instance, a restore onto a new machine, and a
drill that restores into a scratch database and compares it with the live one.

What an archive holds (docs/operations.md, "Backups"): the data directory's secret key (row
MACs and sessions are keyed from it), its pin file (vault.json) and demo marker; every row
of every table, read in ONE read transaction (a snapshot: SQLite's WAL read transaction,
PostgreSQL's REPEATABLE READ), with the migrations applied at that moment; and every
encrypted file a row of the snapshot names. Rows are written engine-neutrally (each field's
value as Django reads it, bytes in base64), so an archive restores onto SQLite or
PostgreSQL: the target is migrated to the archive's migrations, the rows are loaded there
(with the models as they were then), and then the target is migrated to this version.

Inside the archive (kalkan.vault.archive) the plaintext is a sequence of items: a kind
byte, an 8-byte length, a payload. Nothing of it is ever written to disk unencrypted.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import decimal
import hashlib
import json
import os
import struct
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.apps.registry import Apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connections, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from kalkan.core.instance import DEMO_MARKER_FILE, SECRET_KEY_FILE
from kalkan.vault import archive, authentic, crypto
from kalkan.vault.files import files_dir

FORMAT = 1
SUFFIX = ".kbak"
STATUS_FILE = "backups.json"
# The data directory's files a restore needs (the rest is rebuilt: static files, working-set
# snapshots, the cleanup's notes, the serve lock).
DATA_DIR_FILES = (SECRET_KEY_FILE, authentic.PIN_FILE, DEMO_MARKER_FILE)
ROWS_PER_ITEM = 500
_SNAPSHOT = "kalkan_backup_snapshot"
_SCRATCH = "kalkan_backup_scratch"

# Item kinds.
MANIFEST, DATA_FILE, TABLE, ROWS, FILE, CONTENT, END = b"MDTRFCE"


class BackupError(Exception):
    """Explained in one line for the person at the terminal; nothing was restored."""


# --- items --------------------------------------------------------------------------------


def _item(out: archive.ArchiveWriter, kind: int, payload: bytes) -> None:
    out.write(bytes([kind]) + struct.pack(">Q", len(payload)) + payload)


def _json_item(out: archive.ArchiveWriter, kind: int, value: object) -> None:
    _item(out, kind, json.dumps(value, separators=(",", ":")).encode("utf-8"))


def _content(out: archive.ArchiveWriter, source: BinaryIO, size: int) -> None:
    out.write(bytes([CONTENT]) + struct.pack(">Q", size))
    left = size
    while left:
        piece = source.read(min(left, 1 << 20))
        if not piece:
            raise BackupError("a file shrank while it was being copied")
        out.write(piece)
        left -= len(piece)


@dataclass
class Item:
    kind: int
    size: int
    reader: archive.ArchiveReader

    def json(self) -> Any:
        try:
            return json.loads(self.reader.read(self.size))
        except ValueError:
            raise crypto.Tampered("the archive's contents are damaged") from None

    def pieces(self) -> Iterator[bytes]:
        return self.reader.pieces(self.size)


def _items(reader: archive.ArchiveReader) -> Iterator[Item]:
    """Every item up to END (whose payload is read here), then the stream's end is checked."""
    while True:
        head = reader.read(9)
        item = Item(head[0], struct.unpack(">Q", head[1:])[0], reader)
        if item.kind == END:
            yield item
            reader.finish()
            return
        yield item


def _consume(item: Item) -> None:
    for _ in item.pieces():
        pass


# --- values -------------------------------------------------------------------------------


def encode_value(value: object) -> object:
    """A field's value as JSON, the same from SQLite and PostgreSQL."""
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal | datetime.timedelta):
        return str(value)
    return value


def _decode(fields: list[models.Field[Any, Any]], row: list[object]) -> dict[str, object]:
    # JSON values are already what the field holds; everything else is parsed back.
    return {
        f.attname: v if v is None or isinstance(f, models.JSONField) else f.to_python(v)
        for f, v in zip(fields, row, strict=True)
    }


def row_digest(row: tuple[object, ...] | list[object]) -> bytes:
    """What the drill compares: a hash of a row's stored values, engine-neutral."""
    data = json.dumps(
        [encode_value(v) for v in row], separators=(",", ":"), sort_keys=True, default=str
    )
    return hashlib.blake2b(data.encode("utf-8"), digest_size=16).digest()


# --- models at a migration state ------------------------------------------------------------


def _applied(alias: str) -> list[tuple[str, str]]:
    return sorted(MigrationRecorder(connections[alias]).applied_migrations())


def _state_apps(alias: str, migrations: list[tuple[str, str]]) -> Apps:
    executor = MigrationExecutor(connections[alias])
    known = set(executor.loader.graph.nodes)
    unknown = [m for m in migrations if m not in known]
    if unknown:
        raise BackupError(
            f"the archive was made by a newer version of Kalkan (migration {unknown[0][0]}."
            f"{unknown[0][1]} is unknown here): upgrade Kalkan first"
        )
    return executor.loader.project_state(migrations, at_end=True).apps


def _tables(apps: Apps) -> list[type[models.Model]]:
    found = [
        m for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    ]
    return sorted(found, key=lambda m: m._meta.label_lower)


def _columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return list(model._meta.concrete_fields)


# --- connections --------------------------------------------------------------------------


@contextlib.contextmanager
def _extra_connection(alias: str, config: dict[str, Any]) -> Iterator[str]:
    # configure_settings fills in Django's defaults; it insists on a "default" entry.
    filled = connections.configure_settings({"default": dict(config), alias: dict(config)})
    connections.settings[alias] = filled[alias]
    try:
        yield alias
    finally:
        with contextlib.suppress(Exception):
            connections[alias].close()
        with contextlib.suppress(KeyError, AttributeError):
            del connections[alias]
        connections.settings.pop(alias, None)


@contextlib.contextmanager
def snapshot() -> Iterator[str]:
    """A second connection to the live database inside one read-only transaction: every
    read sees the same moment while reports keep arriving on the other connections (SQLite
    in WAL mode: a reader never blocks the writer; PostgreSQL: REPEATABLE READ)."""
    config = {k: v for k, v in connections["default"].settings_dict.items() if k != "TEST"}
    if connections["default"].vendor == "sqlite":
        # DEFERRED: the first read fixes the snapshot without taking the write lock.
        config["OPTIONS"] = {**config.get("OPTIONS", {}), "transaction_mode": "DEFERRED"}
    config["CONN_MAX_AGE"] = 0
    with _extra_connection(_SNAPSHOT, config) as alias, transaction.atomic(using=alias):
        connection = connections[alias]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT 1 FROM django_migrations LIMIT 1")  # fixes the snapshot
        yield alias


# --- create -------------------------------------------------------------------------------


@dataclass
class Made:
    path: Path
    size: int
    tables: int
    rows: int
    files: int
    seconds: float
    removed: list[Path] = field(default_factory=list)
    offsite: Offsite | None = None


@dataclass
class Offsite:
    path: Path
    size: int
    slots: list[str]
    removed: list[Path] = field(default_factory=list)


def _slots(archive_key: bytes, archive_id: bytes) -> list[dict[str, object]]:
    from kalkan.accounts.models import User
    from kalkan.accounts.roles import Role
    from kalkan.vault.models import StaffKey

    admins = []
    for staff_key in StaffKey.objects.filter(
        user__role=Role.ADMIN, user__is_active=True
    ).select_related("user"):
        if not authentic.is_genuine(staff_key):
            continue  # a key row the vault did not write gets no slot
        user: User = staff_key.user
        admins.append(archive.AdminSlotSource(
            user.pk, user.username, bytes(staff_key.public_key), bytes(staff_key.salt),
            staff_key.opslimit, staff_key.memlimit, bytes(staff_key.wrapped_secret),
        ))
    escrow = authentic.pinned_escrow_key()
    return archive.make_slots(archive_key, archive_id, settings.SECRET_KEY, escrow, admins)


def _file_names(apps: Apps, alias: str) -> list[str]:
    """Every encrypted file a row of the snapshot names."""
    evidence = apps.get_model("intake", "evidence")
    names: set[str] = set()
    for original, working in evidence._base_manager.using(alias).values_list(
        "original_file", "working_file"
    ):
        names.update(n for n in (original, working) if n)
    return sorted(names)


def write_archive(out: BinaryIO) -> Made:
    """Write an archive of the running instance to `out` (ciphertext only)."""
    started = time.monotonic()
    archive_key = crypto.random_key()
    archive_id = archive.new_archive_id()
    writer = archive.ArchiveWriter(out, archive_key, archive_id, _slots(archive_key, archive_id))
    data_dir = Path(settings.DATA_DIR)
    rows = tables = files = 0
    # Read before the snapshot: the pin file may only lag behind the rows (an epoch started
    # after the snapshot must not be pinned in an archive whose rows lack it).
    small: dict[str, bytes] = {}
    for name in DATA_DIR_FILES:
        with contextlib.suppress(FileNotFoundError):
            small[name] = (data_dir / name).read_bytes()
    with snapshot() as alias:
        migrations = _applied(alias)
        apps = _state_apps(alias, migrations)
        _json_item(writer, MANIFEST, {
            "format": FORMAT,
            "made": timezone.now().isoformat(timespec="seconds"),
            "vendor": connections[alias].vendor,
            "migrations": migrations,
        })
        for name, data in small.items():
            _json_item(writer, DATA_FILE, {"name": name})
            _item(writer, CONTENT, data)
        for model in _tables(apps):
            columns = _columns(model)
            _json_item(writer, TABLE, {
                "model": model._meta.label_lower, "fields": [f.attname for f in columns],
            })
            tables += 1
            batch: list[list[object]] = []
            query = model._base_manager.using(alias).order_by("pk").values_list(
                *[f.attname for f in columns]
            )
            for row in query.iterator(chunk_size=2000):
                batch.append([encode_value(v) for v in row])
                if len(batch) == ROWS_PER_ITEM:
                    _json_item(writer, ROWS, batch)
                    rows += len(batch)
                    batch = []
            if batch:
                _json_item(writer, ROWS, batch)
                rows += len(batch)
        names = _file_names(apps, alias)
    # The rows are read; the files they name are written once and never change, so they
    # are copied after the snapshot ends (the reader holds no transaction meanwhile).
    directory = files_dir()
    missing = 0
    for name in names:
        try:
            source = (directory / name).open("rb")
        except FileNotFoundError:
            missing += 1  # removed since the snapshot (a record deleted meanwhile)
            continue
        with source:
            _json_item(writer, FILE, {"name": name})
            _content(writer, source, os.fstat(source.fileno()).st_size)
        files += 1
    _json_item(writer, END, {"tables": tables, "rows": rows, "files": files,
                             "files_removed_meanwhile": missing})
    writer.close()
    return Made(Path(), 0, tables, rows, files, time.monotonic() - started)


def _target(output: Path, name: str) -> Path:
    output = output.expanduser().absolute()
    if output.is_dir():
        output = output / name
    if not output.parent.is_dir():
        raise BackupError(f"{output.parent} is not a directory")
    return output


def _write_whole(output: Path, write: Callable[[BinaryIO], object]) -> None:
    """`write` to `output` under a temporary name, renamed when complete and synced; a
    failure leaves nothing behind."""
    partial = output.with_name(output.name + ".partial")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"{partial} exists: is another backup running?") from None
    except OSError as e:
        raise BackupError(f"cannot write {partial}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def create(output: Path, keep: int | None = None, offsite_dir: Path | None = None) -> Made:
    """The archive at `output` (a directory: a new dated name in it); with `keep`, only the
    `keep` newest archives of that directory stay. With `offsite_dir`, the off-site copy of
    it (no instance slot) is written there too, rotated alike."""
    if offsite_dir is not None and not offsite_dir.expanduser().is_dir():
        raise BackupError(f"{offsite_dir} is not a directory")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    output = _target(output, f"kalkan-{stamp}{SUFFIX}")
    made = Made(output, 0, 0, 0, 0, 0.0)

    def write(out: BinaryIO) -> None:
        nonlocal made
        made = write_archive(out)

    _write_whole(output, write)
    made.path = output
    made.size = output.stat().st_size
    if keep is not None:
        made.removed = rotate(output.parent, keep)
    record_status("backup", {"file": output.name, "bytes": made.size, "rows": made.rows,
                             "files": made.files})
    if offsite_dir is not None:
        made.offsite = offsite(output, offsite_dir, keep)
    return made


def offsite(source: Path, output: Path, keep: int | None = None) -> Offsite:
    """The copy of an archive of this instance that may leave the server: the same frames,
    verbatim, with only the administrators' and escrow slots (none that opens with anything
    kept on the server). `source` may be a directory (its newest archive), `output` a
    directory (the same name in it)."""
    source = newest(source.expanduser().absolute())
    output = _target(output, source.name)
    if output.exists() and output.samefile(source):
        raise BackupError(f"{output} is the archive itself: give another file or directory")

    def instance_key(header: archive.Header) -> bytes:
        if "instance" not in header.kinds():
            raise archive.NoKey("this archive is an off-site copy already")
        return archive.key_from_instance(header, settings.SECRET_KEY)

    kept: list[str] = []

    def write(out: BinaryIO) -> None:
        nonlocal kept
        try:
            with source.open("rb") as data:
                kept = archive.copy_offsite(data, out, instance_key)
        except FileNotFoundError:
            raise BackupError(f"no archive at {source}") from None
        except (archive.NoKey, crypto.Tampered) as e:
            raise BackupError(f"{source}: {e}; no off-site copy was written") from None

    _write_whole(output, write)
    made = Offsite(output, output.stat().st_size, kept)
    if keep is not None:
        made.removed = rotate(output.parent, keep)
    return made


def newest(path: Path) -> Path:
    """The archive itself, or the newest archive in a directory (the weekly drill's)."""
    if not path.is_dir():
        return path
    archives = sorted(path.glob(f"kalkan-*{SUFFIX}"))
    if not archives:
        raise BackupError(f"no archive (kalkan-*{SUFFIX}) in {path}")
    return archives[-1]


def rotate(directory: Path, keep: int) -> list[Path]:
    """Remove all but the `keep` newest archives (by name: they are dated) in `directory`."""
    if keep < 1:
        raise BackupError("--keep must be at least 1")
    archives = sorted(directory.glob(f"kalkan-*{SUFFIX}"))
    gone = archives[:-keep]
    for path in gone:
        path.unlink(missing_ok=True)
    return gone


# --- opening ------------------------------------------------------------------------------


@dataclass
class Opened:
    """An archive whose key was found; `reader()` starts a pass over its contents."""

    path: Path
    header: archive.Header
    key: bytes = field(repr=False)

    @contextlib.contextmanager
    def reader(self) -> Iterator[Iterator[Item]]:
        with self.path.open("rb") as source:
            header = archive.read_header(source)
            yield _items(archive.ArchiveReader(source, header, self.key))


def open_archive(path: Path, find_key: Callable[[archive.Header], bytes]) -> Opened:
    try:
        with path.open("rb") as source:
            header = archive.read_header(source)
    except FileNotFoundError:
        raise BackupError(f"no archive at {path}") from None
    except crypto.Tampered as e:
        raise BackupError(f"{path}: {e}; nothing was restored") from None
    try:
        key = find_key(header)
    except archive.NoKey as e:
        raise BackupError(f"{path}: {e}; nothing was restored") from None
    return Opened(path, header, key)


@dataclass
class Contents:
    """What a full pass found: the manifest, the data directory's files (small), counts."""

    manifest: dict[str, Any]
    data_files: dict[str, bytes]
    end: dict[str, Any]


def verify(opened: Opened) -> Contents:
    """Read and authenticate the whole archive, keeping nothing but the small items: a
    damaged archive is refused before anything is restored."""
    manifest: dict[str, Any] = {}
    data_files: dict[str, bytes] = {}
    end: dict[str, Any] = {}
    pending: str | None = None
    try:
        with opened.reader() as items:
            for item in items:
                if item.kind == MANIFEST:
                    manifest = item.json()
                elif item.kind == DATA_FILE:
                    pending = str(item.json()["name"])
                elif item.kind == CONTENT and pending is not None:
                    data_files[pending] = b"".join(item.pieces())
                    pending = None
                elif item.kind == END:
                    end = item.json()
                elif item.kind in (TABLE, ROWS, FILE):
                    item.reader.read(item.size)
                else:
                    _consume(item)
    except crypto.Tampered as e:
        raise BackupError(f"{opened.path}: {e}; nothing was restored") from None
    if manifest.get("format") != FORMAT or SECRET_KEY_FILE not in data_files:
        raise BackupError(f"{opened.path}: not a complete Kalkan archive; nothing was restored")
    return Contents(manifest, data_files, end)


# --- loading ------------------------------------------------------------------------------


@dataclass
class Loaded:
    tables: int = 0
    rows: int = 0
    files: int = 0


def _migrate_to(alias: str, migrations: list[tuple[str, str]]) -> None:
    """Bring an empty database to the archive's migrations (per app, its latest one)."""
    executor = MigrationExecutor(connections[alias])
    leaves: dict[str, str] = {}
    graph = executor.loader.graph
    applied = set(migrations)
    for app, name in migrations:
        children = graph.node_map[(app, name)].children
        if not any(c.key[0] == app and c.key in applied for c in children):
            leaves[app] = name
    executor.migrate(list(leaves.items()))


def load(
    opened: Opened, contents: Contents, alias: str, store_file: Callable[[str, Item], None]
) -> Loaded:
    """Migrate the empty database `alias` to the archive's migrations, load every row in one
    transaction, hand every file to `store_file`, then migrate to this version."""
    migrations = [(str(app), str(name)) for app, name in contents.manifest["migrations"]]
    apps = _state_apps(alias, migrations)
    _migrate_to(alias, migrations)
    loaded = Loaded()
    connection = connections[alias]
    loaded_models: list[type[models.Model]] = []
    pending_file: str | None = None
    with opened.reader() as items:
        with transaction.atomic(using=alias):
            # Rows a migration itself wrote (a singleton, content types) give way to the
            # archive's.
            with connection.cursor() as cursor:
                for emptied in _tables(apps):
                    table = connection.ops.quote_name(emptied._meta.db_table)
                    cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (a model's own table)
            model: type[models.Model] | None = None
            columns: list[models.Field[Any, Any]] = []
            for item in items:
                if item.kind == TABLE:
                    described = item.json()
                    model = apps.get_model(described["model"])
                    by_name = {f.attname: f for f in _columns(model)}
                    columns = [by_name[name] for name in described["fields"]]
                    for column in columns:
                        # The archived time, not the time of the restore (these are the
                        # historical models, made for this load only).
                        if isinstance(column, models.DateField):
                            column.auto_now = column.auto_now_add = False
                    loaded_models.append(model)
                    loaded.tables += 1
                elif item.kind == ROWS and model is not None:
                    batch = item.json()
                    model._base_manager.using(alias).bulk_create(
                        [model(**_decode(columns, row)) for row in batch]
                    )
                    loaded.rows += len(batch)
                elif item.kind == FILE:
                    # The rows are all in: the files follow, outside the transaction.
                    pending_file = str(item.json()["name"])
                    break
                else:
                    _consume(item)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for statement in connection.ops.sequence_reset_sql(no_style(), loaded_models):
                    cursor.execute(statement)
        for item in items:
            if item.kind == FILE:
                pending_file = str(item.json()["name"])
            elif item.kind == CONTENT and pending_file is not None:
                store_file(pending_file, item)
                loaded.files += 1
                pending_file = None
            else:
                _consume(item)
    call_command("migrate", database=alias, interactive=False, verbosity=0)
    return loaded


def _file_name(name: str) -> str:
    if not name.isalnum():
        raise crypto.Tampered("the archive names a file that is not Kalkan's")
    return name


def restore_here(opened: Opened, contents: Contents) -> Loaded:
    """Load the archive into this (new, empty) instance: the default database, and the
    encrypted files into DATA_DIR/files. The data directory's files are already in place."""
    connection = connections["default"]
    if connection.introspection.table_names():
        raise BackupError(
            "the database is not empty: restore into a new database (and a new --data-dir)"
        )
    directory = files_dir()

    def store(name: str, item: Item) -> None:
        target = directory / _file_name(name)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            for piece in item.pieces():
                out.write(piece)
            out.flush()
            os.fsync(out.fileno())

    try:
        return load(opened, contents, "default", store)
    except BaseException:
        if connection.vendor == "postgresql":
            _drop_everything(connection.alias)
        raise


def _drop_everything(alias: str) -> None:
    """A failed restore into PostgreSQL leaves the database as empty as it found it."""
    connection = connections[alias]
    with contextlib.suppress(Exception):
        connection.rollback()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE")


# --- the drill ----------------------------------------------------------------------------


@dataclass
class TableDrill:
    label: str
    same: int = 0
    added: int = 0  # in the live database only: written since the backup
    updated: int = 0  # a newer revision than the archive's: written since the backup
    removed: int = 0  # gone from the live database since the backup, as recorded
    differ: int = 0  # same row, different bytes, nothing recorded that explains it
    missing: int = 0  # in the archive, gone from the live database, nothing recorded


@dataclass
class Drill:
    made: str
    tables: list[TableDrill]
    files: int = 0
    files_same: int = 0
    files_added: int = 0
    files_differ: int = 0
    files_missing: int = 0
    files_removed: int = 0
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(t.same + t.updated + t.differ + t.missing + t.removed for t in self.tables)

    @property
    def problems(self) -> int:
        return (sum(t.differ + t.missing for t in self.tables) + self.files_differ
                + self.files_missing)

    @property
    def ok(self) -> bool:
        return self.problems == 0


# Tables whose rows come and go by themselves (sessions end, the revision counter moves):
# their changes since the backup are reported, never a failure.
VOLATILE = {"sessions.session", "vault.revision"}
# Columns that every login changes: left out of the comparison, so a colleague logging in
# between the backup and the drill is not a difference.
VOLATILE_COLUMNS = {
    "accounts.user": {"last_login", "failed_logins", "locked_until", "code_failures"},
    "otp_totp.totpdevice": {
        "last_t", "drift", "throttling_failure_timestamp", "throttling_failure_count",
        "last_used_at",
    },
}


def _digests(model: type[models.Model], alias: str) -> dict[object, tuple[bytes, int | None]]:
    skipped = VOLATILE_COLUMNS.get(model._meta.label_lower, set())
    names = [f.attname for f in _columns(model) if f.attname not in skipped]
    revision = names.index("revision") if "revision" in names else None
    out: dict[object, tuple[bytes, int | None]] = {}
    pk = names.index(model._meta.pk.attname)
    query = model._base_manager.using(alias).order_by("pk").values_list(*names)
    for row in query.iterator(chunk_size=2000):
        out[encode_value(row[pk])] = (
            row_digest(row), int(row[revision]) if revision is not None else None
        )
    return out


def _compare_table(model: type[models.Model], scratch: str, live: str,
                   removed_ids: set[str]) -> TableDrill:
    result = TableDrill(model._meta.label_lower)
    backed = _digests(model, scratch)
    current = _digests(model, live)
    volatile = result.label in VOLATILE
    for pk, (digest, revision) in backed.items():
        now = current.pop(pk, None)
        if now is None:
            if volatile or str(pk) in removed_ids:
                result.removed += 1
            else:
                result.missing += 1
        elif crypto.same(now[0], digest):
            result.same += 1
        elif volatile or (revision is not None and now[1] is not None and now[1] > revision):
            result.updated += 1
        else:
            result.differ += 1
    result.added = len(current)
    return result


def _file_digest(path: Path) -> bytes | None:
    try:
        with path.open("rb") as source:
            digest = hashlib.sha256()
            while piece := source.read(1 << 20):
                digest.update(piece)
    except FileNotFoundError:
        return None
    return digest.digest()


def drill(path: Path, find_key: Callable[[archive.Header], bytes] | None = None) -> Drill:
    """Restore the archive into a scratch database (and hash its files as they come) and
    compare every row and file with the live instance, without decrypting any content.
    An archive that does not open or restore is a failed drill too, recorded as such."""
    path = newest(path)
    try:
        return _drill(path, find_key)
    except BackupError as e:
        record_status("drill", {"archive": path.name, "ok": False, "failed": str(e),
                                "tables": 0, "rows": 0, "files": 0, "problems": 0})
        raise


def _drill(path: Path, find_key: Callable[[archive.Header], bytes] | None) -> Drill:
    from django.apps import apps as live_apps

    from kalkan.intake.models import Evidence
    from kalkan.vault.models import Removed

    started = time.monotonic()
    opened = open_archive(
        path, find_key or (lambda header: archive.key_from_instance(header, settings.SECRET_KEY))
    )
    contents = verify(opened)
    if contents.data_files.get(SECRET_KEY_FILE, b"").strip() != settings.SECRET_KEY.encode():
        raise BackupError(f"{path}: this archive is of another instance")
    digests: dict[str, bytes] = {}

    def hash_file(name: str, item: Item) -> None:
        digest = hashlib.sha256()
        for piece in item.pieces():
            digest.update(piece)
        digests[_file_name(name)] = digest.digest()

    with tempfile.TemporaryDirectory(prefix="kalkan-drill-") as scratch_dir, _extra_connection(
        _SCRATCH,
        {"ENGINE": "django.db.backends.sqlite3", "NAME": str(Path(scratch_dir) / "drill.sqlite3"),
         "OPTIONS": {"init_command": "PRAGMA foreign_keys=ON; PRAGMA synchronous=OFF;"}},
    ) as scratch:
        try:
            load(opened, contents, scratch, hash_file)
        except crypto.Tampered as e:
            raise BackupError(f"{path}: {e}") from None
        tables: list[TableDrill] = []
        with snapshot() as live:
            removed_ids = {
                str(r) for r in Removed.objects.using(live).values_list("record_id", flat=True)
            }
            for model in _tables(live_apps):
                tables.append(_compare_table(model, scratch, live, removed_ids))
            live_files: set[str] = set()
            for original, working in Evidence.objects.using(live).values_list(
                "original_file", "working_file"
            ):
                live_files.update(n for n in (original, working) if n)
    result = Drill(str(contents.manifest.get("made", "")), tables)
    directory = files_dir()
    for name, digest in digests.items():
        result.files += 1
        now = _file_digest(directory / name)
        if now is None:
            if name in live_files:
                result.files_missing += 1
            else:
                result.files_removed += 1
        elif crypto.same(now, digest):
            result.files_same += 1
        else:
            result.files_differ += 1
    result.files_added = len(live_files - set(digests))
    result.seconds = time.monotonic() - started
    record_status("drill", {
        "archive": path.name, "archive_made": result.made, "ok": result.ok,
        "tables": len(tables), "rows": result.rows, "files": result.files,
        "problems": result.problems,
    })
    return result


# --- status for the admin page ----------------------------------------------------------------


def record_status(what: str, values: dict[str, object]) -> None:
    """The last backup's and drill's outcome in DATA_DIR/backups.json (times and counts,
    nothing anyone typed), for the administrators' home page."""
    path = Path(settings.DATA_DIR) / STATUS_FILE
    status = read_status()
    status[what] = {**values, "at": timezone.now().isoformat(timespec="seconds")}
    partial = path.with_suffix(".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        json.dump(status, out)
    partial.replace(path)


def read_status() -> dict[str, dict[str, Any]]:
    try:
        return dict(json.loads((Path(settings.DATA_DIR) / STATUS_FILE).read_text("ascii")))
    except (FileNotFoundError, ValueError):
        return {}
