"""`kalkan backup restore FILE --data-dir NEWDIR (--user NAME | --escrow)`: rebuild an
instance from an archive on a new machine (after a raid, a dead disk).

It runs before any instance exists: the archive is opened with an administrator's username
and passphrase or the escrow words, read through once to authenticate every byte (a damaged
or changed archive is refused here, with nothing created), then the new data directory gets
the archive's secret key and pin file, and the database (SQLite in the directory, or
DATABASE_URL / --database-url, which must be empty) is migrated, loaded and migrated to this
version. A failure on the way leaves neither the directory nor any table behind.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kalkan.core.instance import InstanceError

if TYPE_CHECKING:
    from kalkan.vault.archive import Header


def _ask(prompt: str, *, secret: bool) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(prompt) if secret else input(prompt)
    return sys.stdin.readline().strip()


def ask_for_key(user: str | None, *, escrow: bool) -> Callable[[Header], bytes]:
    """Ask for the escrow words or `user`'s passphrase (typed, or one line of stdin); what
    finds the archive key with them."""
    from kalkan.vault import archive
    from kalkan.vault.escrow_words import BadEscrowWords, from_words

    if escrow:
        typed = _ask("Type the escrow words, separated by spaces, then Enter: ", secret=True)
        try:
            escrow_secret = from_words(typed)
        except BadEscrowWords as e:
            raise InstanceError(f"these escrow words are not right: {e}") from None
        return lambda header: archive.key_from_escrow(header, escrow_secret)
    passphrase = _ask(f"Passphrase of {user}: ", secret=True)
    return lambda header: archive.key_from_admin(header, str(user), passphrase)


def run(args: list[str], data_dir: str | None) -> None:
    from kalkan.core import backup
    from kalkan.core.instance import creating

    parser = argparse.ArgumentParser(prog="kalkan backup restore")
    parser.add_argument("archive", type=Path)
    parser.add_argument("--user", help="an administrator's username (asks the passphrase)")
    parser.add_argument("--escrow", action="store_true", help="open with the escrow words")
    parser.add_argument("--database-url", help="an empty PostgreSQL database to restore into")
    options = parser.parse_args(args)
    if not data_dir:
        raise InstanceError("where should the restored instance live? pass --data-dir NEWDIR")
    if bool(options.user) == options.escrow:
        raise InstanceError(
            "say how to open the archive: --user NAME (an administrator's passphrase) or "
            "--escrow (the escrow words)"
        )
    path = options.archive.expanduser().absolute()
    opened = backup.open_archive(path, ask_for_key(options.user, escrow=options.escrow))
    contents = backup.verify(opened)
    if options.database_url:
        os.environ["DATABASE_URL"] = options.database_url
    with creating(Path(data_dir)) as target:
        for name, data in contents.data_files.items():
            fd = os.open(target / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
        import django

        django.setup()
        from django.utils import translation

        translation.activate("en")
        loaded = backup.restore_here(opened, contents)
    print(
        f"Restored {loaded.tables} tables, {loaded.rows} rows and {loaded.files} files "
        f"(archive made {contents.manifest.get('made')}) into {target}."
    )
    if options.database_url:
        print("Put DATABASE_URL in the service's environment file before `kalkan serve`.")
