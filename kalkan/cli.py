"""The `kalkan` command: a thin wrapper over Django's management commands.

    kalkan init  --data-dir DIR [--admin NAME] [--non-interactive]
    kalkan serve --data-dir DIR [--host 127.0.0.1] [--port 8000]
    kalkan demo  [--data-dir DIR] [--host 127.0.0.1] [--port 8000] [--no-serve]
    kalkan audit verify --data-dir DIR
    kalkan <any Django management command> --data-dir DIR

KALKAN_DATA_DIR may replace --data-dir. A bad setting or a bad data directory stops the
command with one line on stderr and exit status 2; nothing is changed.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

USAGE = __doc__.split("\n\n")[1] if __doc__ else ""


def _pop_data_dir(args: list[str]) -> tuple[list[str], str | None]:
    rest: list[str] = []
    data_dir: str | None = None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--data-dir":
            if i + 1 >= len(args):
                raise SystemExit("kalkan: --data-dir needs a directory")
            data_dir = args[i + 1]
            i += 2
            continue
        if arg.startswith("--data-dir="):
            data_dir = arg.split("=", 1)[1]
        else:
            rest.append(arg)
        i += 1
    return rest, data_dir


def _run_django(args: list[str]) -> None:
    import django
    from django.core.management import ManagementUtility

    django.setup()
    from django.utils import translation

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
    args, data_dir = _pop_data_dir(list(sys.argv[1:] if argv is None else argv))
    if not args or args[0] in ("-h", "--help"):
        print("usage:\n" + USAGE)
        return 0
    command = args[0]
    # Whatever the instance writes (database, WAL, static files) is for its owner only.
    os.umask(0o077)
    if command == "demo" and not data_dir and not os.environ.get("KALKAN_DATA_DIR"):
        data_dir = tempfile.mkdtemp(prefix="kalkan-demo-")
    if data_dir:
        os.environ["KALKAN_DATA_DIR"] = str(Path(data_dir).expanduser().absolute())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kalkan.settings")

    from django.core.exceptions import ImproperlyConfigured

    from kalkan.core.instance import InstanceError, creating

    try:
        if command == "init":
            with creating(_target()):
                _run_django(args)
        elif command == "demo":
            # Build inside the all-or-nothing block, serve outside it: stopping the server
            # must not undo the instance a visitor may still want to look at.
            with creating(_target()):
                _run_django(["demo"])
            if "--no-serve" not in args:
                _run_django(["serve", "--demo", *args[1:]])
        else:
            _run_django(args)
    except (InstanceError, ImproperlyConfigured) as e:
        print(f"kalkan: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
