"""The complete archive (format version 2): every record kind with the evidence files, in one
encrypted ZIP that another Kalkan instance imports whole.

    manifest = export_archive(out, keyring, by, lock=Lock.partner(public_key))
    result = import_archive(source, keyring, by, secret_key=...)   # or passphrase=...

What it carries: the version-1 tables of kalkan.records.exchange (events, acts, involvements,
persons, sources, interventions, chain links, consent ledger; real names only with
`include_identity`), and evidence items (sealed metadata and links), their chain of custody,
the evidence files, laws with their stages, deadlines and links to events and acts, and the
local vocabulary terms, and the events and persons merged into others (their own fields, and
what they were merged into: a merge is history the documentation keeps, and the import keeps
it too).

The ZIP. `kalkan-archive.json`, in the clear, says the format, the version, the archive's
random id and how the archive key is locked: sealed to a partner's X25519 public key (a
libsodium sealed box, as the referral packages are), or wrapped with a key derived from a
passphrase by Argon2id, or "none" (plaintext, asked for explicitly after a fresh login).
Every other member is encrypted with the archive key as a libsodium secretstream whose
associated data names the archive and the member, so members cannot be swapped, cut short or
moved between archives unnoticed: `tables/<table>.jsonl` (one JSON object per line),
`files/<evidence item id>` (the file's bytes) and `manifest.json` (counts, schema version
and the SHA-256 of every member's plaintext). Nothing is written in plaintext anywhere: rows
and files are encrypted as they go into the ZIP, which goes straight into `out`.

Import opens and checks all of it first (key, manifest, every member's checksum, every row as
the version-1 import checks it, every reference between rows) and stores nothing unless all
is well. Then it creates everything in one transaction with new ids; the files written for it
are removed again if the transaction fails. An archive's id is remembered: the same archive
is refused the second time, never duplicated.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
import secrets
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any, BinaryIO, cast

import nacl.exceptions
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kalkan.accounts.models import User
from kalkan.analysis.models import Law, LawDeadline, LawLink, LawStage
from kalkan.records import evidence, exchange
from kalkan.records.models import (
    Act,
    ChainLink,
    ConsentEntry,
    Custody,
    Event,
    EvidenceItem,
    ImportedArchive,
    Information,
    Intervention,
    Involvement,
    LocalTerm,
    Person,
    RetiredTerm,
)
from kalkan.vault import crypto
from kalkan.vault.files import delete_file, store_file
from kalkan.vault.keyring import Keyring
from kalkan.vault.models import Compartment, SealedRecord
from kalkan.vault.records import (
    bulk_create_sealed,
    new_sealed,
    open_content_key,
    read,
    readable_by,
    write,
)

FORMAT = "kalkan-archive"
VERSION = 2
HEADER = "kalkan-archive.json"
MANIFEST = "manifest.json"
EXTRA_TABLES = ("evidence", "custody", "laws", "law_stages", "law_deadlines", "law_links",
                "local_terms", "merged_events", "merged_persons")
TABLES = exchange.TABLES + EXTRA_TABLES
# What one table may unpack to, at most (it is held in memory while checked; a ZIP bomb in a
# plaintext archive stops here).
MAX_TABLE_BYTES = 1024 * 1024 * 1024
# Read and written in pieces of this size: a file never sits in memory whole.
PIECE = 64 * 1024


class ArchiveError(Exception):
    """Why an archive is refused: the member (file), the row if any, and the problem."""

    def __init__(self, file: str, problem: str, row: int | None = None) -> None:
        super().__init__(problem)
        self.file, self.problem, self.row = file, problem, row

    def __str__(self) -> str:
        if self.row is None:
            return f"{self.file}: {self.problem}"
        return _("%(file)s row %(row)s: %(problem)s") % {
            "file": self.file, "row": self.row, "problem": self.problem}


@dataclass(frozen=True)
class Lock:
    """How the archive key travels: sealed to a partner, under a passphrase, or not at all."""

    kind: str
    public_key: bytes = b""
    passphrase: str = field(default="", repr=False)

    @classmethod
    def partner(cls, public_key: bytes) -> Lock:
        if len(public_key) != 32:
            raise ValueError("a partner's public key has 32 bytes")
        return cls("partner", public_key=public_key)

    @classmethod
    def with_passphrase(cls, passphrase: str) -> Lock:
        if len(passphrase) < 12:
            raise ValueError("an archive passphrase needs at least 12 characters")
        return cls("passphrase", passphrase=passphrase)

    @classmethod
    def plaintext(cls) -> Lock:
        return cls("none")


def _aad(archive_id: str, name: str) -> bytes:
    return crypto.aad("archive", archive_id, name)


def _lock_key(lock: Lock, archive_id: str) -> tuple[bytes | None, dict[str, Any]]:
    if lock.kind == "none":
        return None, {"kind": "none"}
    key = crypto.random_key()
    if lock.kind == "partner":
        return key, {"kind": "partner", "fingerprint": crypto.fingerprint(lock.public_key),
                     "sealed_key": _b64(crypto.seal_to(lock.public_key, key))}
    salt = secrets.token_bytes(16)
    ops, mem = settings.VAULT_OPSLIMIT, settings.VAULT_MEMLIMIT
    kek, _verifier = crypto.derive_from_passphrase(lock.passphrase, salt, ops, mem)
    return key, {"kind": "passphrase", "salt": _b64(salt), "opslimit": ops, "memlimit": mem,
                 "wrapped_key": _b64(crypto.wrap_key(kek, key, _aad(archive_id, HEADER)))}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --- export ------------------------------------------------------------------------------------


class _Member:
    """One ZIP member being written: hashes the plaintext, encrypts it (unless plaintext was
    asked for) straight into the ZIP."""

    def __init__(self, archive: zipfile.ZipFile, name: str, key: bytes | None,
                 archive_id: str) -> None:
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED if key is None else zipfile.ZIP_STORED
        info.external_attr = 0o600 << 16
        self.target = archive.open(info, "w", force_zip64=True)
        self.digest = hashlib.sha256()
        self.size = 0
        self.encryptor = (None if key is None else
                          crypto.StreamEncryptor(key, cast(BinaryIO, self.target),
                                                _aad(archive_id, name)))

    def write(self, piece: bytes) -> None:
        self.digest.update(piece)
        self.size += len(piece)
        if self.encryptor is None:
            self.target.write(piece)
        else:
            self.encryptor.push(piece)

    def close(self) -> dict[str, Any]:
        if self.encryptor is not None:
            self.encryptor.finish()
        self.target.close()
        return {"sha256": self.digest.hexdigest(), "size": self.size}


def _opened(record: SealedRecord, keyring: Keyring, *json_fields: str) -> dict[str, Any]:
    fields: dict[str, Any] = read(record, open_content_key(record.content_key, keyring))
    for name in json_fields:
        fields[name] = json.loads(fields[name]) if fields[name] else {}
    return fields


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _extra_rows(keyring: Keyring, tables: dict[str, list[dict[str, Any]]], by: User | None,
                *, include_identity: bool = False,
                ) -> tuple[dict[str, list[dict[str, Any]]], list[EvidenceItem]]:
    """The rows of the tables version 1 does not carry, and the items whose files go along.
    Writes an "exported" custody entry for every file, before the custody table is read, so
    the archive carries those entries too."""
    exported = {table: {row["id"] for row in tables[table]} for table in exchange.TABLES}
    rows: dict[str, list[dict[str, Any]]] = {table: [] for table in EXTRA_TABLES}

    items = list(readable_by(EvidenceItem.objects.all(), keyring)
                 .select_related("content_key", "from_intake__content_key")
                 .prefetch_related("events", "acts", "persons", "sources").order_by("revision"))
    with_files: list[EvidenceItem] = []
    for item in items:
        has_file = bool(item.stored_file or item.from_intake_id)
        rows["evidence"].append({
            "id": str(item.pk),
            "meta": json.loads(_opened(item, keyring)["meta"] or "{}"),
            "events": [str(e.pk) for e in item.events.all() if str(e.pk) in exported["events"]],
            "acts": [str(a.pk) for a in item.acts.all() if str(a.pk) in exported["acts"]],
            "persons": [str(p.pk) for p in item.persons.all()
                        if str(p.pk) in exported["persons"]],
            "sources": [str(s.pk) for s in item.sources.all()
                        if str(s.pk) in exported["sources"]],
            "file": f"files/{item.pk}" if has_file else None,
        })
        if has_file:
            with_files.append(item)
            evidence.log(item, Custody.Action.EXPORTED, by)
    for entry in Custody.objects.filter(item__in=items).select_related("by").order_by("at", "pk"):
        rows["custody"].append({
            "id": str(entry.pk), "item": str(entry.item_id), "action": entry.action,
            "at": _iso(entry.at), "by": entry.by.username if entry.by else None,
        })

    laws = list(readable_by(Law.objects.all(), keyring).select_related("content_key")
                .order_by("revision"))
    law_ids = [law.pk for law in laws]
    for law in laws:
        fields = _opened(law, keyring, "details")
        rows["laws"].append({"id": str(law.pk), "title": fields["title"],
                             "details": fields["details"]})
    for stage in LawStage.objects.filter(law__in=law_ids).select_related("content_key") \
            .order_by("revision"):
        rows["law_stages"].append({"id": str(stage.pk), "law": str(stage.law_id),
                                   "details": _opened(stage, keyring, "details")["details"]})
    for deadline in LawDeadline.objects.filter(law__in=law_ids).select_related("content_key") \
            .order_by("revision"):
        rows["law_deadlines"].append({
            "id": str(deadline.pk), "law": str(deadline.law_id),
            "details": _opened(deadline, keyring, "details")["details"],
            "done_at": _iso(deadline.done_at)})
    for link in readable_by(LawLink.objects.filter(law__in=law_ids), keyring) \
            .select_related("content_key").order_by("revision"):
        if str(link.event_id) not in exported["events"]:
            continue
        rows["law_links"].append({
            "id": str(link.pk), "law": str(link.law_id), "event": str(link.event_id),
            "act": None if link.act_id is None else str(link.act_id),
            "details": _opened(link, keyring, "details")["details"]})

    retired = set(RetiredTerm.objects.values_list("vocabulary", "code"))
    for term in LocalTerm.objects.select_related("content_key").order_by("revision"):
        rows["local_terms"].append({
            "id": str(term.pk), "vocabulary": term.vocabulary, "code": term.code,
            "parent": term.parent, "labels": _opened(term, keyring, "labels")["labels"],
            "active": (term.vocabulary, term.code) not in retired})

    for gone, into, f in _merged(Event, exported["events"], keyring, "details"):
        rows["merged_events"].append({
            "id": str(gone.pk), "into": into, "title": f["title"],
            "description": f["description"], "details": f["details"]})
    for gone, into, f in _merged(Person, exported["persons"], keyring, "profile", "identity"):
        rows["merged_persons"].append({
            "id": str(gone.pk), "into": into, "pseudonym": f["pseudonym"],
            "profile": f["profile"], **({"identity": f["identity"]} if include_identity else {})})
    return rows, with_files


def _merged(model: type[Event] | type[Person], exported: set[str], keyring: Keyring,
            *json_fields: str) -> list[tuple[Any, str, dict[str, Any]]]:
    """The records merged away whose survivor (at the end of a chain of merges) is in the
    archive, each with what it goes into in the archive and its fields, the nearer merge
    first. "Into" is the nearest record of the chain the archive holds: a link in the
    middle that these keys cannot open is passed over, so the archive never names a row it
    does not carry."""
    into = {str(pk): str(target) for pk, target in
            model.objects.filter(merged_into__isnull=False).values_list("pk", "merged_into")}

    def survivor(pk: str) -> str:
        seen = {pk}
        while pk in into and into[pk] not in seen:
            pk = into[pk]
            seen.add(pk)
        return pk

    def depth(pk: str) -> int:  # how many merges from the survivor: the nearest first
        steps = 0
        while pk in into and steps < len(into):
            pk, steps = into[pk], steps + 1
        return steps

    wanted = [pk for pk in into if survivor(pk) in exported]
    records = list(readable_by(model.objects.filter(pk__in=wanted), keyring)
                   .select_related("content_key"))
    carried = exported | {str(record.pk) for record in records}

    def nearest(pk: str) -> str:
        target = into[pk]
        while target not in carried:
            target = into[target]  # the chain ends at the survivor, which is carried
        return target

    return [(record, nearest(str(record.pk)), _opened(record, keyring, *json_fields))
            for record in sorted(records, key=lambda r: (depth(str(r.pk)), r.revision))]


class _Sink:
    """Where the ZIP is written when it is sent as it is made: the bytes wait here until the
    response takes them. Neither tell() nor seek(), so zipfile writes it front to back."""

    def __init__(self) -> None:
        self.pending = bytearray()

    def write(self, data: bytes) -> int:
        self.pending += data
        return len(data)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None

    def take(self) -> bytes:
        data, self.pending = bytes(self.pending), bytearray()
        return data


def archive_chunks(
    keyring: Keyring, by: User | None, *, lock: Lock, include_identity: bool = False,
    manifest_out: dict[str, Any] | None = None,
) -> Iterator[bytes]:
    """The complete archive, piece by piece as it is made (a web response sends each piece
    on): encrypted before it leaves, never whole in memory. `manifest_out` receives the
    manifest at the end."""
    tables, _report = exchange._collect(keyring, purpose=None, events=None,
                                        include_identity=include_identity)
    extra, with_files = _extra_rows(keyring, tables, by, include_identity=include_identity)
    tables.update(extra)
    archive_id = str(uuid.uuid4())
    key, locked = _lock_key(lock, archive_id)
    entries: dict[str, dict[str, Any]] = {}
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", allowZip64=True) as archive:
        header = {"format": FORMAT, "version": VERSION, "archive": archive_id, "lock": locked}
        archive.writestr(zipfile.ZipInfo(HEADER, date_time=(1980, 1, 1, 0, 0, 0)),
                         json.dumps(header, indent=1).encode("utf-8"))
        for table in TABLES:
            name = f"tables/{table}.jsonl"
            member = _Member(archive, name, key, archive_id)
            for row in tables[table]:
                member.write(json.dumps(row, ensure_ascii=False, sort_keys=True)
                             .encode("utf-8") + b"\n")
                if len(sink.pending) >= PIECE:
                    yield sink.take()
            entries[name] = {**member.close(), "rows": len(tables[table])}
        for item in with_files:
            name = f"files/{item.pk}"
            member = _Member(archive, name, key, archive_id)
            for piece in evidence.file_pieces(item, keyring):
                member.write(piece)
                if len(sink.pending) >= PIECE:
                    yield sink.take()
            entries[name] = member.close()
        manifest = {
            "format": FORMAT, "version": VERSION, "archive": archive_id,
            "identity_included": include_identity,
            "counts": {table: len(tables[table]) for table in TABLES},
            "files": len(with_files), "entries": entries,
        }
        member = _Member(archive, MANIFEST, key, archive_id)
        member.write(json.dumps(manifest, sort_keys=True, indent=1).encode("utf-8"))
        member.close()
    yield sink.take()
    if manifest_out is not None:
        manifest_out.update(manifest)


def export_archive(
    out: IO[bytes], keyring: Keyring, by: User | None, *, lock: Lock,
    include_identity: bool = False,
) -> dict[str, Any]:
    """Write the complete archive into `out` (a file or a stream: it is never sought) and
    return its manifest."""
    manifest: dict[str, Any] = {}
    for piece in archive_chunks(keyring, by, lock=lock, include_identity=include_identity,
                                manifest_out=manifest):
        out.write(piece)
    return manifest


# --- import: opening and checking --------------------------------------------------------------


def is_archive(source: IO[bytes]) -> bool:
    """Whether `source` is a ZIP holding a version-2 header (else it may be version 1)."""
    source.seek(0)
    try:
        with zipfile.ZipFile(source) as archive:
            return HEADER in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    finally:
        source.seek(0)


def read_key_file(text: str) -> bytes:
    """The secret key from a key file made by tools/kalkan_referral.py keygen."""
    lines = [line.strip() for line in text.splitlines()
             if line.strip() and not line.startswith("#")]
    try:
        secret = base64.b64decode(lines[0], validate=True) if len(lines) == 1 else b""
    except (binascii.Error, ValueError):
        secret = b""
    if len(secret) != 32:
        raise ValueError("not a Kalkan key file")
    return secret


@dataclass
class Opened:
    archive: zipfile.ZipFile
    archive_id: str
    key: bytes | None
    manifest: dict[str, Any]
    tables: dict[str, list[tuple[int, dict[str, Any]]]]


def _member_pieces(opened_zip: zipfile.ZipFile, name: str, key: bytes | None,
                   archive_id: str) -> Iterator[bytes]:
    with opened_zip.open(name) as source:
        if key is None:
            while piece := source.read(PIECE):
                yield piece
        else:
            yield from crypto.decrypt_stream(key, source, _aad(archive_id, name))  # type: ignore[arg-type]


def _unlock(header: dict[str, Any], archive_id: str, secret_key: bytes | None,
            passphrase: str | None) -> bytes | None:
    locked = header.get("lock") or {}
    kind = locked.get("kind")
    try:
        if kind == "none":
            return None
        if kind == "partner":
            if secret_key is None:
                raise ArchiveError(HEADER, _("the archive is sealed to a partner's key: give "
                                             "the secret key file"))
            return crypto.open_sealed(secret_key, base64.b64decode(locked["sealed_key"]))
        if kind == "passphrase":
            if not passphrase:
                raise ArchiveError(HEADER, _("the archive is locked with a passphrase: give it"))
            kek, _v = crypto.derive_from_passphrase(
                passphrase, base64.b64decode(locked["salt"]), int(locked["opslimit"]),
                int(locked["memlimit"]))
            return crypto.unwrap_key(kek, base64.b64decode(locked["wrapped_key"]),
                                     _aad(archive_id, HEADER))
    except (crypto.Tampered, nacl.exceptions.CryptoError):
        raise ArchiveError(HEADER, _("the key or passphrase does not open this archive")) \
            from None
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise ArchiveError(HEADER, _("the key description is damaged")) from None
    raise ArchiveError(HEADER, _("unknown kind of lock “%(kind)s”") % {"kind": kind})


# How far an import is: (stage, done, total), stage one of "opening" (members decrypted and
# checked), "checking" (rows and references), "storing" (rows), "files" (evidence files).
Progress = Callable[[str, int, int], None]


def _unreported(stage: str, done: int, total: int) -> None:
    return None


def open_archive(source: IO[bytes], *, secret_key: bytes | None = None,
                 passphrase: str | None = None, members: bool = True,
                 progress: Progress = _unreported) -> Opened:
    """Open and check the whole archive: key, manifest, every member's checksum and rows
    (with `members=False`, only the key and the manifest: a quick answer to "does this key
    open it?"). Raises ArchiveError naming the member, the row and the problem; stores
    nothing."""
    try:
        archive = zipfile.ZipFile(source)
        names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        raise ArchiveError(_("the file"), _("is not a ZIP archive, or it is truncated")) \
            from None
    if HEADER not in names:
        raise ArchiveError(HEADER, _("is missing: this is not a Kalkan archive"))
    try:
        header = json.loads(archive.read(HEADER))
    except (ValueError, zipfile.BadZipFile, OSError):
        raise ArchiveError(HEADER, _("is not readable")) from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ArchiveError(HEADER, _("is not a Kalkan archive"))
    version = header.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise ArchiveError(HEADER, _(
            "was made by a newer Kalkan (format version %(found)s; this one reads up to "
            "%(known)s): update Kalkan first") % {"found": version, "known": VERSION})
    archive_id = str(header.get("archive") or "")
    key = _unlock(header, archive_id, secret_key, passphrase)

    def whole(name: str) -> bytes:
        try:
            return b"".join(_member_pieces(archive, name, key, archive_id))
        except crypto.Tampered:
            raise ArchiveError(name, _("was changed or cut short (it does not decrypt)")) \
                from None
        except (zipfile.BadZipFile, OSError, EOFError, KeyError):
            raise ArchiveError(name, _("is damaged or missing in the ZIP")) from None

    if MANIFEST not in names:
        raise ArchiveError(MANIFEST, _("is missing"))
    try:
        manifest = json.loads(whole(MANIFEST))
    except ValueError:
        raise ArchiveError(MANIFEST, _("is not readable")) from None
    if manifest.get("archive") != archive_id:
        raise ArchiveError(MANIFEST, _("belongs to another archive"))
    entries: dict[str, dict[str, Any]] = manifest.get("entries") or {}
    for name in sorted(names - set(entries) - {HEADER, MANIFEST}):
        raise ArchiveError(name, _("is not in the manifest"))
    tables: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    if not members:
        return Opened(archive, archive_id, key, manifest, tables)
    for number, (name, entry) in enumerate(sorted(entries.items())):
        progress("opening", number, len(entries))
        if name not in names:
            raise ArchiveError(name, _("is in the manifest but not in the archive"))
        digest = hashlib.sha256()
        content = bytearray()
        try:
            for piece in _member_pieces(archive, name, key, archive_id):
                digest.update(piece)
                if name.startswith("tables/"):
                    content += piece
                    if len(content) > MAX_TABLE_BYTES:
                        raise ArchiveError(name, _("is larger than %(mb)s MB unpacked") % {
                            "mb": MAX_TABLE_BYTES // (1024 * 1024)})
        except crypto.Tampered:
            raise ArchiveError(name, _("was changed or cut short (it does not decrypt)")) \
                from None
        except (zipfile.BadZipFile, OSError, EOFError):
            raise ArchiveError(name, _("is damaged in the ZIP")) from None
        if digest.hexdigest() != entry.get("sha256"):
            raise ArchiveError(name, _("its checksum differs from the manifest's"))
        if name.startswith("tables/"):
            table = name.removeprefix("tables/").removesuffix(".jsonl")
            rows = []
            for number, line in enumerate(bytes(content).splitlines(), start=1):
                try:
                    row = json.loads(line)
                except ValueError:
                    raise ArchiveError(name, _("is not JSON"), number) from None
                if not isinstance(row, dict):
                    raise ArchiveError(name, _("is not a JSON object"), number)
                rows.append((number, row))
            tables[table] = rows
    return Opened(archive, archive_id, key, manifest, tables)


# --- import: creating --------------------------------------------------------------------------


@dataclass
class ArchiveImport:
    errors: list[str] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    ids: dict[str, dict[str, str]] = field(default_factory=dict)
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def _check_extra(opened: Opened, records: exchange.ImportResult) -> list[str]:
    """Every reference of the extra tables points at a row of the archive."""
    errors: list[str] = []
    ids = {table: {str(row.get("id")) for _n, row in opened.tables.get(table, [])}
           for table in TABLES}
    refs = {"evidence": {"events": "events", "acts": "acts", "persons": "persons",
                         "sources": "sources"},
            "custody": {"item": "evidence"},
            "law_stages": {"law": "laws"}, "law_deadlines": {"law": "laws"},
            "law_links": {"law": "laws", "event": "events", "act": "acts"}}
    for table, columns in refs.items():
        name = f"tables/{table}.jsonl"
        for number, row in opened.tables.get(table, []):
            for column, target in columns.items():
                value = row.get(column)
                for ref in value if isinstance(value, list) else [value]:
                    if ref is None and column == "act":
                        continue
                    if str(ref) not in ids[target]:
                        errors.append(str(ArchiveError(name, _(
                            "%(column)s %(id)s is not in %(file)s") % {
                            "column": column, "id": ref, "file": f"tables/{target}.jsonl"},
                            number)))
            if table == "custody" and row.get("action") not in Custody.Action.values:
                errors.append(str(ArchiveError(name, _("unknown custody action “%(action)s”")
                                               % {"action": row.get("action")}, number)))
    for table, survivors, texts, objects in (
            ("merged_events", "events", ("title", "description"), ("details",)),
            ("merged_persons", "persons", ("pseudonym",), ("profile", "identity"))):
        name = f"tables/{table}.jsonl"
        merged_into = {str(row.get("id")): str(row.get("into"))
                       for _n, row in opened.tables.get(table, [])}
        for number, row in opened.tables.get(table, []):
            into = str(row.get("into"))
            if into not in ids[survivors] | ids[table]:
                errors.append(str(ArchiveError(name, _(
                    "%(column)s %(id)s is not in %(file)s") % {
                    "column": "into", "id": into, "file": f"tables/{survivors}.jsonl"},
                    number)))
                continue
            seen = {str(row.get("id"))}
            while into in merged_into and into not in seen:
                seen.add(into)
                into = merged_into[into]
            if into in seen:
                errors.append(str(ArchiveError(name, _("the merges go round in a circle"),
                                               number)))
            if not (all(isinstance(row.get(k, ""), str) for k in texts)
                    and all(isinstance(row.get(k) or {}, dict) for k in objects)):
                errors.append(str(ArchiveError(name, _(
                    "is not a record merged into another (its fields are not text and "
                    "objects)"), number)))
    for number, row in opened.tables.get("evidence", []):
        if row.get("file") and row["file"] not in opened.manifest["entries"]:
            errors.append(str(ArchiveError("tables/evidence.jsonl", _(
                "its file %(file)s is not in the archive") % {"file": row["file"]}, number)))
    return errors


def _compartment_of(records: Sequence[SealedRecord]) -> Compartment | None:
    for record in records:
        if record.content_key.compartment_id is not None:
            return record.content_key.compartment
    return None


def import_archive(
    source: IO[bytes], keyring: Keyring, by: User | None, *, secret_key: bytes | None = None,
    passphrase: str | None = None, progress: Progress = _unreported,
) -> ArchiveImport:
    """Check all of the archive, then create all of it in one transaction, or nothing."""
    result = ArchiveImport()
    try:
        opened = open_archive(source, secret_key=secret_key, passphrase=passphrase,
                              progress=progress)
    except ArchiveError as refused:
        result.errors.append(str(refused))
        return result
    if ImportedArchive.objects.filter(archive=opened.archive_id).exists():
        result.errors.append(str(ArchiveError(MANIFEST, _(
            "this archive (%(id)s) was imported here before: importing it again would "
            "duplicate every record") % {"id": opened.archive_id})))
        return result

    progress("checking", 0, 1)
    read = exchange._Read()
    for table in exchange.TABLES:
        read.tables[table] = []
        for number, row in opened.tables.get(table, []):
            read.take(table, row, exchange.At(f"tables/{table}.jsonl", "row", number), "json")
    records = exchange.ImportResult(errors=list(read.errors))
    plan = exchange._check(read, "json", keyring, records)
    result.errors = [str(e) for e in records.errors] + _check_extra(opened, records)
    if result.errors:
        return result

    written: list[str] = []
    try:
        with transaction.atomic():
            if _plain_family(plan):
                ids = _bulk_create(read.tables, keyring, by, progress)
            else:  # restricted cases or intake reports: through the services, row by row
                progress("storing", 0, 1)
                exchange._create(read.tables, plan, keyring, by, records)
                ids = records.ids
            _create_extra(opened, ids, keyring, written, progress)
            ImportedArchive.objects.create(archive=opened.archive_id, by=by,
                                           at=timezone.now())
    except (ValueError, PermissionError) as refused:
        # Checked above, so not expected; the transaction has undone everything.
        for name in written:
            delete_file(name)
        result.errors.append(_("the import stopped and stored nothing: %(reason)s")
                             % {"reason": refused})
        return result
    except BaseException:
        for name in written:
            delete_file(name)
        raise
    result.ids = ids
    result.created = {table: len(ids.get(table, {})) for table in TABLES}
    result.files = len(written)
    return result


def _plain_family(plan: Any) -> bool:
    """Whether every record lands among the organisation's records (no restricted case, no
    intake report to link again): then they are sealed and inserted in bulk."""
    return (all(f is None for f in plan.event_family.values())
            and all(f is None for f in plan.person_family.values())
            and not any(plan.reports.values()))


def _bulk_create(tables: dict[str, exchange.Located], keyring: Keyring, by: User | None,
                 progress: Progress = _unreported) -> dict[str, dict[str, str]]:
    """The version-1 tables sealed and inserted a thousand rows at a time, with the same
    fields as kalkan.records.services and kalkan.records.consent write one by one."""
    ids: dict[str, dict[str, str]] = {}
    total = sum(len(rows) for rows in tables.values())
    stored = 0

    def insert(table: str, model: type[SealedRecord], rows: list[tuple[dict[str, str],
                                                                       dict[str, Any]]]) -> None:
        nonlocal stored
        progress("storing", stored, total)
        new = bulk_create_sealed(model, keyring, rows)
        stored += len(rows)
        ids[table] = {row["id"]: str(pk) for (_at, row), pk in zip(tables[table], new,
                                                                    strict=True)}

    def ref(table: str, old: str | None) -> str | None:
        return None if old is None else ids[table][old]

    def text(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)

    insert("persons", Person, [
        ({"pseudonym": row["pseudonym"], "profile": text(row["profile"]),
          "identity": text(row["identity"] or {})}, {}) for _at, row in tables["persons"]])
    insert("events", Event, [
        ({"title": row["title"], "description": row["description"],
          "details": text(row["details"])}, {"coded_by": by}) for _at, row in tables["events"]])
    positions: Counter[str] = Counter()
    act_rows = []
    for _at, row in tables["acts"]:
        positions[row["event"]] += 1
        act_rows.append(({"details": text(row["details"])}, {
            "event_id": ref("events", row["event"]), "victim_id": ref("persons", row["victim"]),
            "position": positions[row["event"]]}))
    insert("acts", Act, act_rows)
    insert("involvements", Involvement, [
        ({"details": text(row["details"])}, {"act_id": ref("acts", row["act"]),
                                             "perpetrator_id": ref("persons", row["perpetrator"])})
        for _at, row in tables["involvements"]])
    insert("sources", Information, [
        ({"details": text(row["details"])}, {"event_id": ref("events", row["event"]),
                                             "source_id": ref("persons", row["source"])})
        for _at, row in tables["sources"]])
    insert("interventions", Intervention, [
        ({"details": text(row["details"])}, {
            "event_id": ref("events", row["event"]), "victim_id": ref("persons", row["victim"]),
            "party_id": ref("persons", row["party"])}) for _at, row in tables["interventions"]])
    insert("links", ChainLink, [
        ({"details": text({"relation": row["details"]["relation"],
                           "notes": row["details"].get("notes") or ""})},
         {"from_event_id": ref("events", row["from_event"]),
          "to_event_id": ref("events", row["to_event"])}) for _at, row in tables["links"]])
    consents = []
    for _at, row in tables["consents"]:
        details: dict[str, Any] = {"purpose": row["purpose"], "given": row["given"],
                                   "on": row["on"].isoformat(), "how": row["how"],
                                   "partner": row["partner"]}
        if row["refused"]:
            details["refused"] = True
        consents.append(({"details": json.dumps(details, ensure_ascii=False)},
                         {"person_id": ref("persons", row["person"]), "by": by}))
    insert("consents", ConsentEntry, consents)
    return ids


def _create_extra(opened: Opened, ids: dict[str, dict[str, str]], keyring: Keyring,
                  written: list[str], progress: Progress = _unreported) -> None:
    rows = {table: [row for _n, row in opened.tables.get(table, [])] for table in EXTRA_TABLES}
    made: dict[str, dict[str, Any]] = {}

    def keep(table: str, old: str, record: Any) -> None:
        ids.setdefault(table, {})[old] = str(record.pk)
        made.setdefault(table, {})[old] = record

    # Only the events the evidence and the law links name, in one query.
    wanted = {e for row in rows["evidence"] for e in row["events"]}
    wanted |= {row["event"] for row in rows["law_links"]}
    found = Event.objects.select_related("content_key__compartment").in_bulk(
        [ids["events"][old] for old in wanted])
    events = {old: found[uuid.UUID(ids["events"][old])] for old in wanted}
    users = {u.username: u for u in User.objects.filter(
        username__in={row["by"] for row in rows["custody"] if row.get("by")})}
    for number, row in enumerate(rows["evidence"]):
        progress("files", number, len(rows["evidence"]))
        linked = [events[e] for e in row["events"]]
        item, key = new_sealed(EvidenceItem, keyring, _compartment_of(linked))
        if row.get("file"):
            stored = store_file(key, str(item.pk), item.content_key.sealed_in_epoch,
                                _member_pieces(opened.archive, row["file"], opened.key,
                                               opened.archive_id))
            written.append(stored.name)
            item.stored_file = stored.name
        write(item, key, meta=json.dumps(row["meta"], ensure_ascii=False))
        item.events.add(*linked)
        item.acts.add(*Act.objects.filter(pk__in=[ids["acts"][a] for a in row["acts"]]))
        item.persons.add(*Person.objects.filter(
            pk__in=[ids["persons"][p] for p in row["persons"]]))
        item.sources.add(*Information.objects.filter(
            pk__in=[ids["sources"][s] for s in row["sources"]]))
        keep("evidence", row["id"], item)
    entries = [Custody(item=made["evidence"][row["item"]], action=row["action"],
                       by=users.get(row.get("by") or ""), at=datetime.fromisoformat(row["at"]))
               for row in rows["custody"]]
    for entry, row in zip(Custody.objects.bulk_create(entries), rows["custody"], strict=True):
        keep("custody", row["id"], entry)

    for row in rows["laws"]:
        law, key = new_sealed(Law, keyring, None)
        write(law, key, title=row["title"], details=json.dumps(row["details"],
                                                              ensure_ascii=False))
        keep("laws", row["id"], law)
    for table, model in (("law_stages", LawStage), ("law_deadlines", LawDeadline)):
        for row in rows[table]:
            part, key = new_sealed(model, keyring, None, law=made["laws"][row["law"]])
            if table == "law_deadlines" and row.get("done_at"):
                setattr(part, "done_at", datetime.fromisoformat(row["done_at"]))  # noqa: B010
            write(part, key, details=json.dumps(row["details"], ensure_ascii=False))
            keep(table, row["id"], part)
    for row in rows["law_links"]:
        event = events[row["event"]]
        link, key = new_sealed(LawLink, keyring, event.content_key.compartment,
                               law=made["laws"][row["law"]], event=event,
                               act_id=ids["acts"][row["act"]] if row.get("act") else None)
        write(link, key, details=json.dumps(row["details"], ensure_ascii=False))
        keep("law_links", row["id"], link)
    for row in rows["local_terms"]:
        term = LocalTerm.objects.filter(vocabulary=row["vocabulary"], code=row["code"]).first()
        if term is None:  # the same code twice would be the same term: kept once
            term, key = new_sealed(LocalTerm, keyring, None, vocabulary=row["vocabulary"],
                                   code=row["code"], parent=row["parent"])
            write(term, key, labels=json.dumps(row["labels"], ensure_ascii=False))
            if not row.get("active", True):
                RetiredTerm.objects.get_or_create(vocabulary=row["vocabulary"],
                                                  code=row["code"])
        keep("local_terms", row["id"], term)

    _create_merged(rows, ids, keyring, keep)


def _create_merged(rows: dict[str, list[dict[str, Any]]], ids: dict[str, dict[str, str]],
                   keyring: Keyring, keep: Callable[[str, str, Any], None]) -> None:
    """The records merged into others, sealed beside their survivor (the same key: only
    records under one key are merged), then pointed at what they were merged into."""
    text = functools.partial(json.dumps, ensure_ascii=False, sort_keys=True)
    for table, model, survivors in (("merged_events", Event, "events"),
                                    ("merged_persons", Person, "persons")):
        into = {row["id"]: str(row["into"]) for row in rows[table]}

        def final(old: str, into: dict[str, str] = into, survivors: str = survivors) -> str:
            for _step in range(len(into) + 1):  # checked: every chain ends at a survivor
                if old in ids[survivors]:
                    return old
                old = into[old]
            raise ValueError("a chain of merges goes round in a circle")

        found = model.objects.select_related("content_key__compartment").in_bulk(
            {ids[survivors][final(row["id"])] for row in rows[table]})
        for row in rows[table]:
            survivor = found[uuid.UUID(ids[survivors][final(row["id"])])]
            compartment = survivor.content_key.compartment
            if isinstance(survivor, Event):
                record: SealedRecord
                record, key = new_sealed(Event, keyring, compartment,
                                         coded_by=survivor.coded_by)
                write(record, key, title=row.get("title") or "",
                      description=row.get("description") or "",
                      details=text(row.get("details") or {}))
            else:
                record, key = new_sealed(Person, keyring, compartment)
                write(record, key, pseudonym=row.get("pseudonym") or "",
                      profile=text(row.get("profile") or {}),
                      identity=text(row.get("identity") or {}))
            keep(table, row["id"], record)
        for row in rows[table]:
            target = ids[survivors].get(row["into"]) or ids[table][row["into"]]
            model.objects.filter(pk=ids[table][row["id"]]).update(merged_into_id=target)
