"""Vault figures on this machine, in one run (issue: Sealed storage).

    .venv/bin/python benchmarks/vault.py [--sizes 10000,100000]

Prints:
- median unlock time at login (Argon2id with the production parameters, plus opening the
  staff key and the organisation key wraps);
- for each size: time and peak memory to decrypt and index a working set of synthetic
  records of about 2 KB each, cold (from the records) and warm (from the encrypted snapshot
  that the cold build leaves, which is what a login normally does);
- file encryption throughput next to raw libsodium secretstream on the same data.

Each working-set measurement runs in a fresh process so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(data_dir: Path) -> None:
    os.environ["KALKAN_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "kalkan.test_settings"
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.conf import settings

    # The production Argon2id parameters, not the test suite's cheap ones.
    from kalkan import settings as production

    settings.VAULT_OPSLIMIT = production.VAULT_OPSLIMIT
    settings.VAULT_MEMLIMIT = production.VAULT_MEMLIMIT
    # What setup_test_environment would add: the test client's host name.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


WORDS = (
    "задержали милиция телефон кафе Бишкек Ош Алматы Астана шантаж деньги угрожали "
    "семья работа видео аккаунт приложение встреча избили отдел камера адвокат "
    "кармалган телефонун алып коюшту ұстады ақша қорқытты отбасы police station phone "
    "detained extortion beaten video outing lawyer threatened family dating app"
).split()


def synthetic_record(rng: random.Random) -> dict[str, str]:
    body = " ".join(rng.choice(WORDS) for _ in range(300))  # about 2 KB of UTF-8
    return {"title": " ".join(rng.choice(WORDS) for _ in range(6)), "body": body}


def prepare(data_dir: Path, size: int) -> None:
    """Make an instance with `size` sealed records (not timed)."""
    from django.core.management import call_command

    from kalkan.accounts.roles import Role
    from kalkan.accounts.services import enrol_staff
    from kalkan.vault.records import bulk_create_sealed
    from kalkan.vault.services import found_organisation
    from kalkan.vault.tests.sealed_notes.models import Note

    call_command("migrate", verbosity=0)
    founding = found_organisation()
    enrolment = enrol_staff("bench", Role.DOCUMENTER, actor=None, keyring=founding.keyring)
    rng = random.Random(size)
    rows = [synthetic_record(rng) for _ in range(size)]
    bulk_create_sealed(Note, founding.keyring, rows)
    (data_dir / "passphrase").write_text(enrolment.passphrase)
    # Synthetic data only: the build phases open the keys with the escrow secret, so that
    # Argon2's 256 MiB does not hide the working set's own peak memory.
    (data_dir / "escrow").write_bytes(founding.escrow_secret)


def measure_unlock(data_dir: Path) -> dict[str, float]:
    from kalkan.accounts.models import User
    from kalkan.vault.services import unlock

    user = User.objects.get(username="bench")
    passphrase = (data_dir / "passphrase").read_text()
    times = []
    for _ in range(5):
        start = time.perf_counter()
        keyring = unlock(user, passphrase)
        times.append(time.perf_counter() - start)
        assert keyring is not None
    return {"unlock_median_s": statistics.median(times)}


def measure_build(data_dir: Path) -> dict[str, float]:
    from kalkan.vault import workingset
    from kalkan.vault.services import open_with_escrow

    keyring = open_with_escrow((data_dir / "escrow").read_bytes())
    baseline = peak_rss_mb()
    had_snapshot = workingset._snapshot_path(keyring).exists()
    start = time.perf_counter()
    ws = workingset.build(keyring)
    elapsed = time.perf_counter() - start
    assert ws.count() > 0 and ws.search("адвокат")
    return {
        "seconds": elapsed,
        "peak_rss_mb": peak_rss_mb(),
        "baseline_rss_mb": baseline,
        "from_snapshot": float(had_snapshot),
        "records": float(ws.count()),
    }


def measure_files() -> dict[str, float]:
    import nacl.bindings as sodium

    from kalkan.vault import crypto

    class Discard:
        def write(self, data: bytes) -> int:
            return len(data)

    data = os.urandom(256 * 1024 * 1024)
    chunk = crypto.FILE_CHUNK
    key = crypto.random_key()
    pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)]

    def raw() -> None:
        state = sodium.crypto_secretstream_xchacha20poly1305_state()
        sodium.crypto_secretstream_xchacha20poly1305_init_push(state, key)
        tag = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
        for piece in pieces:
            sodium.crypto_secretstream_xchacha20poly1305_push(state, piece, None, tag)

    def kalkan() -> None:
        crypto.encrypt_stream(key, pieces, Discard(), crypto.aad("file", "bench", 1))

    results = {}
    for name, run in (("raw", raw), ("kalkan", kalkan), ("raw2", raw), ("kalkan2", kalkan)):
        start = time.perf_counter()
        run()
        results[name] = len(data) / (time.perf_counter() - start) / 1e6
    raw_mbs = max(results["raw"], results["raw2"])
    kalkan_mbs = max(results["kalkan"], results["kalkan2"])
    return {"raw_mb_s": raw_mbs, "kalkan_mb_s": kalkan_mbs, "ratio": kalkan_mbs / raw_mbs}


def child(phase: str, data_dir: Path, size: int) -> dict[str, float]:
    out = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--phase", phase, "--data-dir", str(data_dir),
         "--sizes", str(size)],
        capture_output=True, text=True, check=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--phase", default="")
    parser.add_argument("--data-dir", default="")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    if args.phase:
        data_dir = Path(args.data_dir)
        setup(data_dir)
        if args.phase == "prepare":
            prepare(data_dir, sizes[0])
            result: dict[str, float] = {}
        elif args.phase == "unlock":
            result = measure_unlock(data_dir)
        elif args.phase == "build":
            result = measure_build(data_dir)
        else:
            result = measure_files()
        print(json.dumps(result))
        return

    print(f"kalkan vault benchmark on {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="kalkan-bench-") as tmp:
        for size in sizes:
            data_dir = Path(tmp) / f"n{size}"
            data_dir.mkdir(mode=0o700)
            (data_dir / "secret_key").write_text("bench-" + os.urandom(32).hex())
            child("prepare", data_dir, size)
            if size == sizes[0]:
                unlock = child("unlock", data_dir, size)
                print(f"unlock at login (Argon2id 3 passes, 256 MiB), median of 5: "
                      f"{unlock['unlock_median_s']:.3f} s")
            cold = child("build", data_dir, size)
            warm = child("build", data_dir, size)
            for label, figures in (("cold, from the records", cold),
                                   ("warm, from the snapshot", warm)):
                print(
                    f"working set of {int(figures['records']):>7,} records (~2 KB) {label:<24}: "
                    f"{figures['seconds']:6.2f} s, peak RSS {figures['peak_rss_mb']:7.0f} MB "
                    f"(process before building {figures['baseline_rss_mb']:.0f} MB)"
                )
    setup_dir = Path(tempfile.mkdtemp(prefix="kalkan-bench-files-"))
    (setup_dir / "secret_key").write_text("bench-" + os.urandom(32).hex())
    files = child("files", setup_dir, 0)
    print(
        f"file encryption: {files['kalkan_mb_s']:.0f} MB/s; raw libsodium secretstream "
        f"{files['raw_mb_s']:.0f} MB/s on the same data; ratio {files['ratio']:.0%}"
    )


if __name__ == "__main__":
    main()
