"""Reading and writing sealed records and their fields: the one path to the database.

    with transaction.atomic():
        note = new_sealed(Note, keyring)           # or keyring=None at intake
        write(note, keyring, title="…", body="…")   # encrypts, pads, binds each field
    read(note, keyring) -> {"title": "…", "body": "…"}

Each field is encrypted under the record's own content key with associated data binding
the model, record id, field name, the epoch it was first sealed in, and the model's schema
version. Every content key row carries a MAC (kalkan.vault.authentic), checked before use.
"""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connections, models, router, transaction
from django.db.models import QuerySet
from django.db.models.deletion import Collector
from django.utils import timezone

from kalkan.vault import authentic, crypto
from kalkan.vault.keyring import Keyring
from kalkan.vault.models import (
    Compartment,
    ContentKey,
    OrgEpoch,
    Removed,
    Revision,
    SealedRecord,
)
from kalkan.vault.services import (
    compartment_public_key,
    current_epoch,
    epoch_public_key,
    sealing_epoch,
)

R = TypeVar("R", bound=SealedRecord)


def _epoch_wrap_key(org_secret: bytes) -> bytes:
    return hashlib.blake2b(org_secret, digest_size=32, person=b"kalkan-ckwrap").digest()


def _compartment_wrap_key(compartment_secret: bytes) -> bytes:
    return hashlib.blake2b(
        compartment_secret, digest_size=32, person=b"kalkan-cmwrap"
    ).digest()


def _key_aad(key_id: object, epoch: int) -> bytes:
    return crypto.aad("content-key", str(key_id), epoch)


def _compartment_key_aad(key_id: object, compartment_id: object) -> bytes:
    return crypto.aad("content-key", str(key_id), "compartment", str(compartment_id))


def new_content_key(
    keyring: Keyring | None, compartment: Compartment | None = None, *, save: bool = True
) -> tuple[ContentKey, bytes]:
    """A fresh content key, wrapped to the current epoch (or, for a restricted case, to its
    compartment): symmetrically when the writer holds that secret, else sealed to its public
    key (intake, nobody unlocked). `save=False` leaves the row for the caller to save in the
    same transaction as its record (an upload's key, made when its first byte arrives), so
    a crash never leaves a key row without a record."""
    epoch = sealing_epoch()
    key = crypto.random_key()
    row = ContentKey(epoch=epoch, sealed_in_epoch=epoch.number)
    if compartment is None:
        _wrap(row, key, epoch, keyring)
    else:
        _wrap_in_compartment(row, key, compartment, keyring)
    if save:
        row.save()
    return row, key


# The columns a (re-)wrap changes, MAC included.
_WRAP_COLUMNS = ["epoch", "wrapped", "by_intake", "compartment", "mac"]


def _wrap_in_compartment(
    row: ContentKey, key: bytes, compartment: Compartment, keyring: Keyring | None
) -> None:
    secret = keyring.compartment_secrets.get(str(compartment.id)) if keyring else None
    associated = _compartment_key_aad(row.id, compartment.id)
    if secret is not None:
        row.wrapped = crypto.wrap_key(_compartment_wrap_key(secret), key, associated)
        row.by_intake = False
    else:
        row.wrapped = crypto.seal_to(compartment_public_key(compartment), associated + key)
        row.by_intake = True
    row.compartment = compartment
    authentic.stamp(row)


def _wrap(row: ContentKey, key: bytes, epoch: OrgEpoch, keyring: Keyring | None) -> None:
    secret = keyring.org_secrets.get(epoch.number) if keyring else None
    if secret is not None:
        row.wrapped = crypto.wrap_key(_epoch_wrap_key(secret), key, _key_aad(row.id, epoch.number))
        row.by_intake = False
    else:
        row.wrapped = crypto.seal_to(epoch_public_key(epoch), _key_aad(row.id, epoch.number) + key)
        row.by_intake = True
    row.epoch = epoch
    row.compartment = None
    authentic.stamp(row)


def open_content_key(row: ContentKey, keyring: Keyring) -> bytes:
    """The record's key; PermissionError when the keyring lacks the epoch's secret, or the
    record belongs to a restricted compartment the person is not a member of; Untrusted
    when the row (its wrap, epoch, compartment or `by_intake` flag) is not the vault's."""
    # Before the upgrade (no MAC yet) a row is read as before, opening it being the only
    # check; the upgrade then gives it its MAC, and from then on a row without one is refused.
    authentic.check(row, verifiable=True)
    if row.compartment_id is not None:
        secret = keyring.compartment_secret(row.compartment_id)
        associated = _compartment_key_aad(row.id, row.compartment_id)
        if not row.by_intake:
            return crypto.unwrap_key(_compartment_wrap_key(secret), bytes(row.wrapped), associated)
    else:
        secret = keyring.org_secret(row.epoch_id)
        associated = _key_aad(row.id, row.epoch_id)
        if not row.by_intake:
            return crypto.unwrap_key(_epoch_wrap_key(secret), bytes(row.wrapped), associated)
    plain = crypto.open_sealed(secret, bytes(row.wrapped))
    if not plain.startswith(associated):
        raise crypto.Tampered("content key moved")
    return plain[len(associated) :]


def rewrap_content_keys(keyring: Keyring, *, batch: int = 2000) -> int:
    """Move every content key to the current epoch as a symmetric wrap: keys only, never
    content. Run after someone is removed (and after intake); returns how many moved."""
    epoch = sealing_epoch() if current_epoch() is not None else None
    if epoch is None or epoch.number not in keyring.org_secrets:
        return 0
    moved = 0
    # Keys of restricted compartments move only with their compartment (move_keys).
    stale = (
        ContentKey.objects.filter(compartment__isnull=True)
        .exclude(epoch=epoch, by_intake=False)
        .order_by("id")
    )
    last = None
    while True:
        rows = list((stale if last is None else stale.filter(id__gt=last))[:batch])
        if not rows:
            return moved
        last = rows[-1].id
        with transaction.atomic():
            for row in rows:
                try:
                    key = open_content_key(row, keyring)
                except crypto.Tampered as problem:
                    # Re-wrapping it would launder a planted key into a genuine-looking
                    # one: it stays as it is, never opened (and the removal goes through).
                    authentic.report(authentic.as_untrusted(problem, row),
                                     actor_id=keyring.user_id)
                    continue
                _wrap(row, key, epoch, keyring)
                row.save(update_fields=_WRAP_COLUMNS)
                moved += 1


def move_keys(
    rows: Iterable[ContentKey], keyring: Keyring, compartment: Compartment | None
) -> int:
    """Re-wrap content keys (keys only, never content) into a compartment, or back to the
    current epoch (compartment None). The caller bumps the records' revisions so that
    working sets drop or pick them up. Returns how many moved."""
    epoch = sealing_epoch()
    moved = 0
    with transaction.atomic():
        for row in rows:
            if row.compartment_id == (compartment.id if compartment else None) and not (
                row.by_intake
            ):
                continue
            key = open_content_key(row, keyring)
            if compartment is None:
                _wrap(row, key, epoch, keyring)
            else:
                _wrap_in_compartment(row, key, compartment, keyring)
            row.save(update_fields=_WRAP_COLUMNS)
            moved += 1
    return moved


def readable_by(queryset: QuerySet[R], keyring: Keyring | None) -> QuerySet[R]:
    """Only the records whose keys this keyring can open: never a restricted compartment's
    records for a non-member (nor their number). The keys would not open anyway; filtering
    here keeps them out of lists and counts too. Written as "not among the few keys of other
    compartments" so the database starts from the records, not from every key."""
    held = list(keyring.compartment_secrets) if keyring else []
    hidden = ContentKey.objects.filter(compartment__isnull=False).exclude(
        compartment_id__in=held
    )
    return queryset.exclude(content_key_id__in=hidden.values("pk"))


def bump_revisions(model: type[SealedRecord], ids: Iterable[Any]) -> None:
    """Give records new revision numbers (their keys moved): working sets re-read them."""
    for record_id in ids:
        with transaction.atomic():  # the number and the row commit together (next_revision)
            model._default_manager.filter(pk=record_id).update(revision=next_revision())


def remove_sealed(records: Iterable[SealedRecord]) -> list[str]:
    """Delete records for good, with everything that cascades from them (an act's
    involvements, an event's acts...): each sealed row and its content key go, so nothing
    they said can be opened again, even from a backup of the database taken later. Their ids
    go into Removed, for working sets to forget them (workingset.forget_removed).
    Returns the ids of every sealed record removed."""
    roots = list(records)
    if not roots:
        return []
    with transaction.atomic():
        collector = Collector(using=router.db_for_write(type(roots[0])))
        for model in dict.fromkeys(type(row) for row in roots):
            collector.collect([row for row in roots if type(row) is model])
        sealed: list[SealedRecord] = [
            row for rows in collector.data.values() for row in rows
            if isinstance(row, SealedRecord)
        ]
        # Rows Django would delete by a query alone (nothing cascades from them) are not
        # fetched by the collector: fetch the sealed ones, for their keys.
        for queryset in collector.fast_deletes:
            fast = getattr(queryset, "model", None)
            if fast is not None and issubclass(fast, SealedRecord):
                sealed += [row for row in queryset if isinstance(row, SealedRecord)]
        keys = {row.content_key_id for row in sealed}
        ids = [str(row.pk) for row in sealed]  # deleting sets the rows' ids to None
        Removed.objects.bulk_create([Removed(record_id=pk) for pk in ids],
                                    ignore_conflicts=True)
        collector.delete()
        ContentKey.objects.filter(pk__in=keys).delete()
    return ids


def next_revision(count: int = 1) -> int:
    """The next revision number (with `count`, the last of that many numbers taken at once).
    Call it inside the transaction that saves the record: the
    counter's row stays locked until that transaction ends, so revisions become visible in
    the order they were taken, and a committed counter of N means every record of revision
    N or less is committed (or rolled back). Working sets catch up to that bound
    (kalkan.vault.workingset.catch_up); a number taken in one transaction and saved in
    another could commit below a bound already passed, and be skipped."""
    # One statement (SQLite >= 3.35 and PostgreSQL return the updated row), and no savepoint
    # of its own: a single UPDATE is atomic, and every sealed write takes a number, so the
    # three queries and two savepoints this was were a tenth of a public report's time.
    connection = connections[router.db_for_write(Revision)]
    quote = connection.ops.quote_name
    table, last = quote(Revision._meta.db_table), quote("last")
    # Names only; the id and the count are parameters.
    sql = f"UPDATE {table} SET {last} = {last} + %s WHERE id = %s RETURNING {last}"  # noqa: S608
    with transaction.atomic(using=connection.alias, savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute(sql, [count, 1])
            row = cursor.fetchone()
            if row is None:  # a new database: the counter's row is made once
                Revision.objects.get_or_create(pk=1)
                cursor.execute(sql, [count, 1])
                row = cursor.fetchone()
        return int(row[0])


def field_aad(record: SealedRecord, field: str) -> bytes:
    """Bound to the record, the field, the first epoch and the schema; for keys made since
    fields_version 2 also to the model, so a field cannot be moved across tables. The
    version is covered by the content key's MAC: a writer cannot lower it."""
    return _field_aad(type(record), str(record.id), record.content_key, field)


def _field_aad(model: type[SealedRecord], record_id: str, content_key: ContentKey,
               field: str) -> bytes:
    label = (model._meta.concrete_model or model)._meta.label_lower
    return crypto.field_aad(
        record_id, field, content_key.sealed_in_epoch, model.SCHEMA_VERSION,
        label if content_key.fields_version >= 2 else None,
    )


def new_sealed(
    model: type[R],
    keyring: Keyring | None,
    compartment: Compartment | None = None,
    **plain: object,
) -> tuple[R, bytes]:
    """An unsaved record of `model` with its own content key (saved) and today's date;
    in `compartment` for the records of a restricted case."""
    row, key = new_content_key(keyring, compartment)
    record = model(content_key=row, created_on=timezone.now().date(), **plain)
    return record, key


def write(record: SealedRecord, key: bytes, **fields: str) -> None:
    """Encrypt and save the given fields (and the record)."""
    for name, value in fields.items():
        if name not in record.SEALED_FIELDS:
            raise ValueError(f"{type(record).__name__}.{name} is not a sealed field")
        setattr(record, name, crypto.encrypt(key, value.encode("utf-8"), field_aad(record, name)))
    with transaction.atomic():  # the number and the row commit together (next_revision)
        record.revision = next_revision()
        record.save()


def committed_revision() -> int:
    """The highest revision whose record is committed, and every lower one with it (see
    next_revision): what a working set can catch up to without skipping anything."""
    last = Revision.objects.filter(pk=1).values_list("last", flat=True).first()
    return int(last or 0)


def read(
    record: SealedRecord, key: bytes, fields: tuple[str, ...] | None = None
) -> dict[str, str]:
    """Decrypt the record's sealed fields (or only `fields`)."""
    out = {}
    for name in fields if fields is not None else record.SEALED_FIELDS:
        blob = getattr(record, name)
        if blob:
            out[name] = crypto.decrypt(key, bytes(blob), field_aad(record, name)).decode("utf-8")
        else:
            out[name] = ""
    return out


# The content key's columns, read beside a record's as values (read_values).
_KEY_FIELDS = [f for f in ContentKey._meta.concrete_fields]
_KEY_ATTNAMES = tuple(f.attname for f in _KEY_FIELDS)


class _KeyValues:
    """A content key row as values, for open_content_key and its MAC check (both read only
    these attributes): a model object for each of a build's records costs more than the
    rest of reading it."""

    __slots__ = _KEY_ATTNAMES
    _meta = ContentKey._meta

    def __init__(self, values: tuple[Any, ...]) -> None:
        for name, value in zip(_KEY_ATTNAMES, values, strict=True):
            setattr(self, name, value)

    @property
    def pk(self) -> Any:
        return self.id  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Refused:
    """A record read_values could not open: `problem` is None when the keyring lacks its
    key (another epoch, a restricted case), else why it is not trusted."""

    id: Any
    problem: authentic.Untrusted | None


def read_values(
    queryset: QuerySet[R],
    keyring: Keyring,
    fields: tuple[str, ...],
    extra: tuple[str, ...] = (),
    *,
    chunk: int = 2000,
) -> Iterator[tuple[Any, int, tuple[Any, ...], dict[str, str]] | Refused]:
    """Many records read as values, not model objects (a working-set build reads every
    record): (id, revision, the `extra` columns, the decrypted fields) for each, oldest
    revision first, or Refused. The same checks as open_content_key and read: the key
    row's MAC, its wrap, and every field's associated data."""
    model = queryset.model
    columns = ["id", "revision", *(f"content_key__{f.name}" for f in _KEY_FIELDS),
               *fields, *extra]
    keys = len(_KEY_FIELDS)
    rows = queryset.order_by("revision").values_list(*columns)
    for row in rows.iterator(chunk_size=chunk):
        record_id, revision = row[0], row[1]
        key_row = _KeyValues(row[2 : 2 + keys])
        try:
            key = open_content_key(key_row, keyring)  # type: ignore[arg-type]
        except PermissionError:
            yield Refused(record_id, None)
            continue
        except authentic.Untrusted as problem:
            yield Refused(record_id, problem)
            continue
        except crypto.Tampered as problem:
            yield Refused(record_id, authentic.as_untrusted(problem, key_row))  # type: ignore[arg-type]
            continue
        opened: dict[str, str] = {}
        try:
            for name, blob in zip(fields, row[2 + keys : 2 + keys + len(fields)], strict=True):
                opened[name] = crypto.decrypt(
                    key, bytes(blob),
                    _field_aad(model, str(record_id), key_row, name),  # type: ignore[arg-type]
                ).decode("utf-8") if blob else ""
        except crypto.Tampered as problem:
            yield Refused(record_id, authentic.as_untrusted(problem, model(id=record_id)))
            continue
        yield record_id, revision, row[2 + keys + len(fields) :], opened


def _insert_statement(model: type[Any]) -> tuple[list[Any], str, Any]:
    fields = [f for f in model._meta.concrete_fields if f.column]
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    # Table and column names from the model, quoted; every value is a parameter.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)))
    return fields, sql, connection


def _insert_values(model: type[Any], rows: list[dict[str, Any]]) -> None:
    """INSERT rows given as column values by attribute name (`event_id`, not `event`); a
    column left out takes the field's default. No model instance is made: at 100,000 records
    making them was a fifth of an archive import."""
    fields, sql, connection = _insert_statement(model)
    columns = [(f.attname, _preparer(f, connection), f) for f in fields]
    prepared = []
    for values in rows:
        prepared.append(tuple(
            prepare(values[name]) if name in values else f.get_db_prep_save(f.get_default(),
                                                                             connection)
            for name, prepare, f in columns))
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)


_WHOLE_NUMBERS = frozenset({
    "IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField",
    "PositiveBigIntegerField", "PositiveSmallIntegerField", "AutoField", "BigAutoField",
    "SmallAutoField", "BooleanField"})


def _preparer(field: Any, connection: Any) -> Any:
    """How a value of this column goes to the database. Ids (UUIDs, and foreign keys to
    them) are most of a sealed record's plain columns; Django's general path for them was a
    tenth of an import, so they are converted here as Django does: a UUID on PostgreSQL, 32
    hex digits elsewhere. Sealed fields likewise."""
    target = field.target_field if field.is_relation else field
    if isinstance(target, models.UUIDField):
        native = connection.features.has_native_uuid_field

        def uuid_value(value: Any) -> Any:
            if value is None:
                return None
            if not isinstance(value, uuid.UUID):
                value = uuid.UUID(str(value))
            return value if native else value.hex
        return uuid_value
    if target.get_internal_type() in _WHOLE_NUMBERS:
        # Revisions, epochs, positions, flags: an int (or bool) goes as it is, as Django
        # would send it; anything else takes Django's path, with its checks.
        return lambda value: value if type(value) in (int, bool) else field.get_db_prep_save(
            value, connection)
    if isinstance(field, models.BinaryField):  # the sealed fields: as BinaryField does
        binary = connection.Database.Binary
        return lambda value: None if value is None else binary(value)
    return lambda value: field.get_db_prep_save(value, connection)


def _by_attname(model: type[Any], plain: dict[str, Any]) -> dict[str, Any]:
    """Plain fields by attribute name: a related object given by field name becomes its id."""
    out = {}
    for name, value in plain.items():
        field = model._meta.get_field(name)
        if field.is_relation and field.attname != name:
            out[field.attname] = None if value is None else value.pk
        else:
            out[name] = value
    return out


@dataclass(frozen=True)
class _NewKey:
    """A content key row about to be inserted, as the MAC and the fields' associated data
    read it (the same attributes as a ContentKey)."""

    pk: uuid.UUID
    epoch_id: int
    sealed_in_epoch: int
    wrapped: bytes
    by_intake: bool = False
    compartment_id: None = None
    fields_version: int = 2

    def columns(self, mac: bytes) -> dict[str, Any]:
        return {"id": self.pk, "epoch_id": self.epoch_id,
                "sealed_in_epoch": self.sealed_in_epoch, "wrapped": self.wrapped,
                "by_intake": self.by_intake, "compartment_id": self.compartment_id,
                "fields_version": self.fields_version, "mac": mac}


def bulk_create_sealed(
    model: type[R],
    keyring: Keyring,
    rows: Iterable[dict[str, str] | tuple[dict[str, str], dict[str, Any]]],
    *,
    batch: int = 1000,
) -> list[Any]:
    """Seal and insert many records at once (imports, demo data, benchmarks): the same
    keys and fields as `new_sealed` + `write`, in a few statements per batch. A row is the
    sealed fields, or (sealed fields, plain fields such as foreign keys and states).
    Returns the new records' ids."""
    epoch = sealing_epoch() if current_epoch() is not None else None
    if epoch is None or epoch.number not in keyring.org_secrets:
        raise PermissionError("bulk sealing needs the current epoch's key")
    wrap_key = _epoch_wrap_key(keyring.org_secrets[epoch.number])
    today = timezone.now().date()
    label = ContentKey._meta.label_lower
    ids: list[Any] = []
    source = iter(rows)
    while chunk := list(itertools.islice(source, batch)):
        with transaction.atomic():
            first = next_revision(len(chunk)) - len(chunk) + 1
            keys, records = [], []
            for offset, row in enumerate(chunk):
                sealed, plain = row if isinstance(row, tuple) else (row, {})
                key = crypto.random_key()
                key_id = uuid.uuid4()
                new_key = _NewKey(key_id, epoch.pk, epoch.number, crypto.wrap_key(
                    wrap_key, key, _key_aad(key_id, epoch.number)))
                keys.append(new_key.columns(authentic.mac_of(label, new_key)))
                record_id = uuid.uuid4()
                values = {"created_on": today, **_by_attname(model, plain), "id": record_id,
                          "content_key_id": key_id, "revision": first + offset}
                for name, value in sealed.items():
                    if name not in model.SEALED_FIELDS:
                        raise ValueError(f"{model.__name__}.{name} is not a sealed field")
                    values[name] = crypto.encrypt(key, value.encode("utf-8"), _field_aad(
                        model, str(record_id), new_key, name))  # type: ignore[arg-type]
                records.append(values)
            _insert_values(ContentKey, keys)
            _insert_values(model, records)
        ids.extend(values["id"] for values in records)
    return ids
