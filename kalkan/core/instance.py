"""The on-disk instance: a data directory (0700) holding the secret key (0600) and the database.

`kalkan init` and `kalkan demo` create one; every other command needs one. Creating is
all-or-nothing: if any later step fails, what this module made is removed again, so a failed
`init` leaves the disk as it found it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name, not a secret)
DEMO_MARKER_FILE = "DEMO"


class InstanceError(Exception):
    """A problem with the data directory, explained in one line for the person at the terminal."""


def read_secret_key(data_dir: Path) -> str:
    path = data_dir / SECRET_KEY_FILE
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise ImproperlyConfigured(
            f"{data_dir} holds no Kalkan instance: run `kalkan init --data-dir {data_dir}` first"
        ) from None
    except OSError as e:
        raise ImproperlyConfigured(f"{path}: cannot read the secret key ({e.strerror})") from None
    if len(key) < 50:
        raise ImproperlyConfigured(f"{path}: the secret key is too short; the file is damaged")
    return key


def is_instance(data_dir: Path) -> bool:
    return (data_dir / SECRET_KEY_FILE).exists()


@contextlib.contextmanager
def creating(data_dir: Path) -> Iterator[Path]:
    """Make a new instance directory with its secret key; undo everything if the block fails."""
    data_dir = data_dir.expanduser().absolute()
    if is_instance(data_dir):
        raise InstanceError(
            f"{data_dir} already holds a Kalkan instance; refusing to overwrite it "
            "(choose another --data-dir)"
        )
    made_dir = not data_dir.exists()
    if not made_dir:
        if not data_dir.is_dir():
            raise InstanceError(f"{data_dir} exists and is not a directory")
        if any(data_dir.iterdir()):
            raise InstanceError(f"{data_dir} is not empty; choose a new or empty directory")
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(data_dir, 0o700)
        key_path = data_dir / SECRET_KEY_FILE
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_urlsafe(64))
    except PermissionError:
        _undo(data_dir, made_dir)
        raise InstanceError(f"cannot write to {data_dir}: permission denied") from None
    except OSError as e:
        _undo(data_dir, made_dir)
        raise InstanceError(f"cannot create {data_dir}: {e.strerror}") from None
    try:
        yield data_dir
    except BaseException:
        _undo(data_dir, made_dir)
        raise


def _undo(data_dir: Path, made_dir: bool) -> None:
    if made_dir:
        shutil.rmtree(data_dir, ignore_errors=True)
    elif data_dir.is_dir():
        # The directory was empty before we started: empty it again.
        for child in data_dir.iterdir():
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
