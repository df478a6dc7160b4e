"""Record ids as they come back from forms: a malformed one is simply no id (a clear "not
found" or "choose one"), never an exception deep in a query."""

from __future__ import annotations

import uuid


def parse_id(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def parse_ids(values: list[str]) -> list[uuid.UUID] | None:
    """All the ids, or None when any of them is malformed."""
    ids = [parse_id(v) for v in values]
    return None if any(i is None for i in ids) else [i for i in ids if i is not None]
