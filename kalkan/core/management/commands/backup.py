"""`kalkan backup create|offsite|drill|rotate`: encrypted archives of the running instance.

    kalkan backup create --output FILE_OR_DIR [--keep N] [--offsite DIR]
    kalkan backup offsite FILE_OR_DIR --output FILE_OR_DIR [--keep N]
    kalkan backup drill FILE_OR_DIR [--user NAME | --escrow]
    kalkan backup rotate DIR --keep N
    kalkan backup restore FILE --data-dir NEWDIR (--user NAME | --escrow) [--database-url URL]

`create` needs no passphrase (the systemd timer runs it); the archive opens with an
administrator's passphrase, the escrow words, or (for the drill) this instance's own
secret key. `offsite` (or `create --offsite`) writes the copy that may leave the server:
without the instance's slot, so it opens only with a passphrase or the escrow words (and
is drilled with `--user NAME` or `--escrow`). `restore` runs before any instance exists
(kalkan.core.restore). Prints times and counts, never contents (docs/operations.md,
"Backups").
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kalkan.core import backup


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="write an archive of this instance")
        create.add_argument("--output", required=True, type=Path,
                            help="the archive, or a directory to write a dated one into")
        create.add_argument("--keep", type=int, help="keep only the N newest archives there")
        create.add_argument("--offsite", type=Path, metavar="DIR",
                            help="also write the off-site copy (no instance slot) there")
        offsite = actions.add_parser(
            "offsite", help="copy an archive without the instance's slot (to leave the server)"
        )
        offsite.add_argument("archive", type=Path, help="an archive, or a directory: its newest")
        offsite.add_argument("--output", required=True, type=Path,
                             help="the copy, or a directory to write it into (same name)")
        offsite.add_argument("--keep", type=int, help="keep only the N newest copies there")
        drill = actions.add_parser("drill", help="restore into a scratch database and compare")
        drill.add_argument("archive", type=Path, help="an archive, or a directory: its newest")
        opener = drill.add_mutually_exclusive_group()
        opener.add_argument("--user", help="open with this administrator's passphrase (asked)")
        opener.add_argument("--escrow", action="store_true",
                            help="open with the escrow words (asked)")
        rotate = actions.add_parser("rotate", help="keep only the N newest archives")
        rotate.add_argument("directory", type=Path)
        rotate.add_argument("--keep", type=int, required=True)
        actions.add_parser("restore", help="run as `kalkan backup restore FILE --data-dir NEW`")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except backup.BackupError as e:
            raise CommandError(str(e)) from None

    def _create(self, options: dict[str, Any]) -> None:
        made = backup.create(options["output"], options["keep"], options["offsite"])
        self.stdout.write(
            f"Backup written: {made.path} ({made.size} bytes; {made.tables} tables, "
            f"{made.rows} rows, {made.files} files; {made.seconds:.1f} s)"
        )
        for path in made.removed:
            self.stdout.write(f"Rotated out: {path.name}")
        if made.offsite is not None:
            self._offsite_written(made.offsite)

    def _offsite_written(self, copy: backup.Offsite) -> None:
        self.stdout.write(
            f"Off-site copy written: {copy.path} ({copy.size} bytes; no instance slot: opens "
            f"with the passphrase of one of {copy.slots.count('admin')} administrators"
            + (" or the escrow words" if "escrow" in copy.slots else "") + ")"
        )
        for path in copy.removed:
            self.stdout.write(f"Rotated out: {path.name}")

    def _offsite(self, options: dict[str, Any]) -> None:
        self._offsite_written(
            backup.offsite(options["archive"], options["output"], options["keep"])
        )

    def _rotate(self, options: dict[str, Any]) -> None:
        for path in backup.rotate(options["directory"], options["keep"]):
            self.stdout.write(f"Rotated out: {path.name}")

    def _restore(self, options: dict[str, Any]) -> None:
        raise CommandError("restore runs as `kalkan backup restore FILE --data-dir NEWDIR`")

    def _drill(self, options: dict[str, Any]) -> None:
        path = backup.newest(options["archive"])
        find_key = None
        if options["user"] or options["escrow"]:
            from kalkan.core.restore import ask_for_key

            find_key = ask_for_key(options["user"], escrow=options["escrow"])
        result = backup.drill(path, find_key)
        self.stdout.write(f"Drill of {path.name} (made {result.made}):")
        for table in result.tables:
            notes = [
                f"{table.added} added since the backup" if table.added else "",
                f"{table.updated} updated since the backup" if table.updated else "",
                f"{table.removed} removed since the backup" if table.removed else "",
                f"{table.differ} DIFFER" if table.differ else "",
                f"{table.missing} MISSING from the live database" if table.missing else "",
            ]
            shown = "; ".join(n for n in notes if n)
            self.stdout.write(f"  {table.label}: {table.same} same" + (f"; {shown}" if shown
                                                                         else ""))
        self.stdout.write(
            f"  files: {result.files_same} of {result.files} same"
            + (f"; {result.files_added} added since the backup" if result.files_added else "")
            + (f"; {result.files_removed} removed since the backup" if result.files_removed
               else "")
            + (f"; {result.files_differ} DIFFER" if result.files_differ else "")
            + (f"; {result.files_missing} MISSING" if result.files_missing else "")
        )
        self.stdout.write(
            f"Compared {len(result.tables)} tables, {result.rows} rows and {result.files} "
            f"files in {result.seconds:.1f} s: "
            + ("the archive restores and matches the live instance." if result.ok
               else f"{result.problems} DIFFERENCES.")
        )
        if not result.ok:
            raise CommandError(f"the drill found {result.problems} differences (listed above)")
