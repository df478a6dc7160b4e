"""Typed readers for settings that come from the environment.

Every reader raises ImproperlyConfigured with one line naming the variable and what was wrong,
so a bad value stops start-up with an explanation instead of a traceback (see kalkan.cli).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envstr(name: str, default: str = "") -> str:
    """A string, or the contents of the file named by NAME_FILE (for Docker/systemd secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as e:
            raise ImproperlyConfigured(
                f"{name}_FILE={file_name}: cannot read it ({e.strerror})"
            ) from None
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r}: expected one of true/false, yes/no, on/off, 1/0")


def envint(name: str, default: int, *, minimum: int, maximum: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a whole number") from None
    if not minimum <= value <= maximum:
        raise ImproperlyConfigured(f"{name}={value}: must be between {minimum} and {maximum}")
    return value


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def read_env_file(path: Path) -> dict[str, str]:
    """The NAME=value lines of a service environment file, as systemd's EnvironmentFile reads
    deploy/kalkan.env.example: blank lines and lines starting with '#' are skipped, a leading
    `export ` is allowed, and a value in matching single or double quotes loses its quotes."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ImproperlyConfigured(f"{path}: cannot read the environment file ({e.strerror})") \
            from None
    except UnicodeDecodeError:
        raise ImproperlyConfigured(f"{path}: the environment file is not UTF-8 text") from None
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        name, equals, value = line.removeprefix("export ").partition("=")
        name, value = name.strip(), value.strip()
        if not equals or not _NAME.fullmatch(name):
            raise ImproperlyConfigured(f"{path}, line {number}: expected NAME=value")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values


def load_env_file(path: Path) -> None:
    """Puts the file's settings into the environment before the settings load; a variable
    already set in the real environment wins, so one run can override the file."""
    for name, value in read_env_file(path).items():
        os.environ.setdefault(name, value)
