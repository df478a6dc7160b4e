"""`kalkan linkage`: link several organisations' lists of victims without sharing who they
are, for multiple systems estimation (docs/analysis.md, "Linking lists").

    kalkan linkage secret --output FILE          make the coalition's secret (once, by one
                                                 member; shared by hand with the others)
    kalkan linkage export --scope "country=kg&act_type=detention&year=2024&year=2025"
                          --secret-file F --output FILE --as USERNAME
                                                 this organisation's encoded list
    kalkan linkage match FILE... --secret-file F [--output counts.csv] [--threshold 0.8]
                                                 the linkage unit: the capture-history table

`export` asks the passphrase of USERNAME (an administrator, analyst or documentation
officer) on the terminal or reads it as one line from standard input. `match` needs no
instance: tools/kalkan_linkage.py does the same without Kalkan.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import QueryDict

from kalkan.accounts.roles import Capability
from kalkan.analysis import linkage
from kalkan.analysis.linkage_cli import add_match_arguments
from kalkan.vault import terminal


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        secret = sub.add_parser("secret", help="make a new coalition secret")
        secret.add_argument("--output", required=True, type=Path)
        export = sub.add_parser("export", help="this organisation's encoded list")
        export.add_argument("--scope", default="",
                            help="filters as on the search page: act_type=..&country=..&year=..")
        export.add_argument("--secret-file", required=True, type=Path)
        export.add_argument("--output", required=True, type=Path)
        export.add_argument("--as", dest="acting", required=True,
                            help="an administrator, analyst or documentation officer")
        add_match_arguments(sub.add_parser("match", help="link export files: the counts table"))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "secret":
                made = linkage.write_secret_file(options["output"])
                self.stdout.write(f"secret written to {options['output']}; fingerprint "
                                  f"{made.fingerprint}")
            elif options["action"] == "export":
                self._export(options)
            else:
                table, said = linkage.match_files(options["files"], options["secret_file"],
                                                  options["threshold"])
                self._table(table, options["output"])
                self.stderr.write(said)
        except linkage.LinkageError as e:
            raise CommandError(str(e)) from None

    def _export(self, options: dict[str, Any]) -> None:
        from kalkan.analysis.linkage_export import export, scope_of
        from kalkan.vault import workingset

        scope = scope_of(QueryDict(options["scope"]))
        secret = linkage.Secret.from_file(options["secret_file"])
        if options["output"].exists():
            raise linkage.LinkageError(f"{options['output']} exists already: choose another "
                                       "file")
        user, keyring = terminal.unlock(options["acting"], Capability.BUILD_REPORTS,
                                        "may not make statistics")
        made = export(workingset.build(keyring), keyring, scope, secret, actor_id=user.pk)
        linkage.write_new(options["output"], made.data)
        self.stdout.write(
            f"{options['output']}: {made.victims} victims (scope {made.scope}; secret "
            f"{secret.fingerprint}). Left out: {made.without_consent} without statistics "
            f"consent, {made.without_name} with no known name, {made.collectives} "
            "collectives.")

    def _table(self, table: str, output: Path | None) -> None:
        if output is None:
            sys.stdout.write(table)
        else:
            linkage.write_new(output, table.encode("ascii"))

