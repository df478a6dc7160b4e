"""The `kalkan` command: a thin wrapper over Django's management commands.

    kalkan init  --data-dir DIR [--admin NAME] [--non-interactive]
    kalkan serve --data-dir DIR [--host 127.0.0.1] [--port 8000]
    kalkan demo  [--data-dir DIR] [--host 127.0.0.1] [--port 8000] [--no-serve]
    kalkan audit verify --data-dir DIR
    kalkan backup create --data-dir DIR --output FILE_OR_DIR [--keep N] [--offsite DIR]
    kalkan backup offsite --data-dir DIR FILE_OR_DIR --output FILE_OR_DIR [--keep N]
    kalkan backup drill --data-dir DIR FILE_OR_DIR [--user NAME | --escrow]
    kalkan backup restore FILE --data-dir NEWDIR (--user NAME | --escrow) [--database-url URL]
    kalkan estimate --counts FILE.csv [--method M] [--strata COLUMN] [--json]
    kalkan linkage secret|match ...  the linkage unit (docs/analysis.md; no instance needed)
    kalkan <any Django management command> --data-dir DIR

KALKAN_DATA_DIR may replace --data-dir. Every command also takes --env-file PATH (or
KALKAN_ENV_FILE=PATH): the service's environment file (deploy/kalkan.env.example), read
before the settings load; a variable set in the real environment, and --data-dir, win over
the file. A bad setting, a bad data directory or a missing or unreachable database stops the
command with one line on stderr and exit status 2; nothing is changed or created.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

USAGE = __doc__.split("\n\n")[1] if __doc__ else ""


# Django commands that never open the database: they run without one.
NO_DATABASE = {"help", "version", "check", "compilemessages", "makemessages", "collectstatic",
               "diffsettings"}


def _pop_option(args: list[str], option: str, what: str) -> tuple[list[str], str | None]:
    rest: list[str] = []
    value: str | None = None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == option:
            if i + 1 >= len(args):
                raise SystemExit(f"kalkan: {option} needs {what}")
            value = args[i + 1]
            i += 2
            continue
        if arg.startswith(f"{option}="):
            value = arg.split("=", 1)[1]
        else:
            rest.append(arg)
        i += 1
    return rest, value


def _check_database() -> None:
    """Stops with one line when the database is not there. SQLite would make an empty file on
    the first connection (and every command would then fail against it), so its file is
    looked for before anything connects; PostgreSQL is asked to answer."""
    from django.db import DatabaseError, connections

    from kalkan.core.instance import InstanceError

    database = connections["default"]
    if database.vendor == "sqlite":
        name = Path(database.settings_dict["NAME"])
        if not name.is_file():
            raise InstanceError(
                f"no database at {name}: check --data-dir (or KALKAN_DATA_DIR) and DATABASE_URL"
            )
        return
    try:
        database.ensure_connection()
    except DatabaseError as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise InstanceError(f"cannot reach the database in DATABASE_URL: {first}") from None
    # The command opens its own connections where it needs them (serve: in its threads).
    database.close()


def _run_django(args: list[str], *, database_needed: bool = True) -> None:
    import django
    from django.core.management import ManagementUtility

    django.setup()
    from django.utils import translation

    if database_needed and args and args[0] not in NO_DATABASE and not args[0].startswith("-"):
        _check_database()
    # The terminal speaks English; the web speaks the visitor's language.
    translation.activate("en")
    ManagementUtility(["kalkan", *args]).execute()


def _target() -> Path:
    from kalkan.core.instance import InstanceError

    target = os.environ.get("KALKAN_DATA_DIR")
    if not target:
        raise InstanceError("where should the instance live? pass --data-dir DIR")
    return Path(target)


def main(argv: list[str] | None = None) -> int:
    args, data_dir = _pop_option(list(sys.argv[1:] if argv is None else argv), "--data-dir",
                                 "a directory")
    args, env_file = _pop_option(args, "--env-file", "a file")
    if not args or args[0] in ("-h", "--help"):
        print("usage:\n" + USAGE)
        return 0
    command = args[0]
    if command == "estimate":
        # Pure computation on a counts file: no instance, no database, no settings.
        from kalkan.analysis.estimation_cli import main as estimate

        return estimate(args[1:])
    if args[:2] in (["linkage", "match"], ["linkage", "secret"]):
        # The linkage unit reads export files and writes counts: no instance either.
        from kalkan.analysis.linkage_cli import main as unit

        return unit(args[1:])
    # Whatever the instance writes (database, WAL, static files) is for its owner only.
    os.umask(0o077)

    from django.core.exceptions import ImproperlyConfigured
    from django.db import DatabaseError

    from kalkan.core.backup import BackupError
    from kalkan.core.env import load_env_file
    from kalkan.core.instance import InstanceError, creating

    try:
        env_file = env_file or os.environ.get("KALKAN_ENV_FILE")
        if env_file:
            load_env_file(Path(env_file).expanduser())
        if command == "demo" and not data_dir and not os.environ.get("KALKAN_DATA_DIR"):
            data_dir = tempfile.mkdtemp(prefix="kalkan-demo-")
        if data_dir:
            os.environ["KALKAN_DATA_DIR"] = str(Path(data_dir).expanduser().absolute())
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalkan.settings")
        if args[:2] == ["backup", "restore"]:
            # The instance does not exist yet: the archive makes it (no database check).
            from kalkan.core.restore import run

            run(args[2:], os.environ.get("KALKAN_DATA_DIR"))
        elif command == "init":
            with creating(_target()):
                _run_django(args, database_needed=False)
        elif command == "demo":
            # Build inside the all-or-nothing block, serve outside it: stopping the server
            # must not undo the instance a visitor may still want to look at.
            with creating(_target()):
                _run_django(["demo"], database_needed=False)
            if "--no-serve" not in args:
                _run_django(["serve", "--demo", *args[1:]])
        else:
            _run_django(args)
    except (InstanceError, ImproperlyConfigured, BackupError) as e:
        print(f"kalkan: {e}", file=sys.stderr)
        return 2
    except DatabaseError as e:
        # The database went away or refused mid-command: one line, not a traceback.
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        print(f"kalkan: database error: {first}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
