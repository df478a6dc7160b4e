"""Settings for the test suite: a throw-away data directory, then the real settings unchanged.

The suite runs against SQLite by default and against PostgreSQL when DATABASE_URL is set (see
scripts/with_postgres.py, which starts a throw-away cluster).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

if "KALKAN_DATA_DIR" not in os.environ or not (
    Path(os.environ["KALKAN_DATA_DIR"]) / "secret_key"
).exists():
    _dir = Path(tempfile.mkdtemp(prefix="kalkan-test-"))
    (_dir / "secret_key").write_text("test-only-" + os.urandom(32).hex(), encoding="ascii")
    os.environ["KALKAN_DATA_DIR"] = str(_dir)

from kalkan.settings import *  # noqa: E402

# `kalkan serve` collects static files here; the tests serve them from the package instead.
STATIC_ROOT.mkdir(exist_ok=True)

# Cheap Argon2id for the hundreds of logins in the suite; the tuned values are the defaults in
# settings.py and are measured by benchmarks/vault.py.
VAULT_OPSLIMIT = 1
VAULT_MEMLIMIT = 8 * 1024 * 1024
RECEIPT_OPSLIMIT = 1
RECEIPT_MEMLIMIT = 8 * 1024 * 1024
RECEIPT_FAILURE_DELAY = 0.01
# Refused logins are padded to this floor; tests check that the padding happens (with a spy),
# never how long it took.
LOGIN_REFUSAL_SECONDS = 0
# The global intake limits are per minute for the whole server; the suite posts more than
# that, so tests about the global limit set their own.
INTAKE_LIMITS = {
    action: {**limits, "global": (100_000, 60)} for action, limits in INTAKE_LIMITS.items()
}
# No background sweeper thread in tests: they call workingset.sweep() themselves.
VAULT_SWEEP_SECONDS = 0
# Built in the request in tests (the test database is one transaction); the tests of the
# background build turn it on.
WORKING_SET_IN_BACKGROUND = False
# The same for archive imports (a test turns it on to see the thread run one).
IMPORT_IN_BACKGROUND = False
# And estimates (a test turns it on to see the worker process compute one).
ESTIMATE_IN_BACKGROUND = False

# SQLite tests use a database file in the data directory, so that the canary test can search
# every byte Kalkan wrote to disk (database, WAL, files).
if "sqlite" in str(DATABASES["default"]["ENGINE"]):
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}

# A sealed model for the vault's own tests.
INSTALLED_APPS = [*INSTALLED_APPS, "kalkan.vault.tests.sealed_notes"]
