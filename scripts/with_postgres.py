"""Run a command against a throw-away PostgreSQL cluster started from Debian's binaries.

    python scripts/with_postgres.py pytest kalkan

initdb makes a cluster in a temporary directory, the server listens on 127.0.0.1 on a free
port, DATABASE_URL points the command at it, and the cluster is stopped and deleted
afterwards, whatever the command's outcome. PostgreSQL refuses to run as root, so as root
the cluster runs as the `postgres` system user (created by Debian's package).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path


def pg_bin() -> Path:
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
    )
    if versions:
        return Path(versions[-1])
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise SystemExit("with_postgres: no PostgreSQL server binaries (Debian: postgresql)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(command: list[str]) -> int:
    if not command:
        raise SystemExit(__doc__)
    bindir = pg_bin()
    root = Path(tempfile.mkdtemp(prefix="kalkan-pg-"))
    data = root / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres", group="postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()

    def pg(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, stdout=subprocess.DEVNULL)  # noqa: S603

    try:
        pg(str(bindir / "initdb"), "-D", str(data), "-U", "kalkan", "--auth=trust",
           "-E", "UTF8", "--locale=C.UTF-8")
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={root} "
            "-c fsync=off -c full_page_writes=off"
        )
        pg(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"),
           "-w", "start")
        pg(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "kalkan",
           "kalkan")
        env = dict(
            os.environ,
            DATABASE_URL=f"postgres://kalkan@127.0.0.1:{port}/kalkan",
            # The canary test searches the cluster's files (WAL included) as well as a dump.
            KALKAN_TEST_PG_DATA=str(data),
            KALKAN_TEST_PG_BIN=str(bindir),
        )
        print(f"with_postgres: PostgreSQL {bindir.parent.name} on 127.0.0.1:{port}", flush=True)
        return subprocess.run(command, env=env, check=False).returncode  # noqa: S603
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(  # noqa: S603
                [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                check=False, stdout=subprocess.DEVNULL,
            )
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
