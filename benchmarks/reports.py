"""How long a full UPR draft takes from 100,000 acts (issue: Analysis and advocacy).

    .venv/bin/python benchmarks/reports.py [--acts 100000 --consent 0.02 --seed 0]
                                           [--data-dir DIR]   # keep and reuse the instance

Makes a new instance (as benchmarks/records.py does: SQLite, the production Argon2id
parameters, `--acts` fictional acts from kalkan.records.generator) and records consent to a
UN submission for a share of the victims; none of that is timed. Then unlocks, builds the
working set (timed apart: it is what every login does) and measures, in one process:

- prepare: the act rows of the selection (Kyrgyzstan, the five years up to the newest),
  the gated tables, the k-anonymous choice of case summaries over every act in scope, the
  narratives' redaction proposals;
- document: the draft (charts drawn), with every proposal accepted as a reviewer would;
- DOCX and PDF: the files, in memory;

and prints the figures with the process's peak RSS. Then what a person waits for on a
draft's own pages (issue: Speed where people wait), through the Django test client with a
real unlocked session of an analyst: the first view (it prepares), then the page again, a
review posted and each download, `--repeat` times while nothing the draft depends on
changed. Nothing here asserts anything.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.records import prepare  # noqa: E402 (after the path is set)
from benchmarks.vault import peak_rss_mb, setup  # noqa: E402


def open_instance(args: argparse.Namespace, tmp: Path, what: str) -> Path:
    """The instance of `--data-dir` (made there if new, migrated if kept from an older
    version), or a new one in `tmp`, with `--acts` generated acts; Django set up on it."""
    data_dir = Path(args.data_dir) if args.data_dir else tmp / "instance"
    fresh = not (data_dir / "passphrase").exists()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not (data_dir / "secret_key").exists():
        (data_dir / "secret_key").write_text("bench-" + os.urandom(32).hex())
    setup(data_dir)
    print(f"kalkan {what} benchmark on {os.cpu_count()} cores, Python "
          f"{sys.version.split()[0]}, SQLite; {args.acts:,} acts (seed {args.seed})")
    if fresh:
        made = prepare(data_dir, args.acts, args.seed)
        print(f"generated {made['acts']:,.0f} acts in {made['generate_s']:.0f} s "
              "(not measured)")
    else:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)  # an instance kept from an older version
    return data_dir


def add_consent(data_dir: Path, share: float, seed: int, purpose: str = "un_submission") -> int:
    from datetime import date

    from kalkan.accounts.models import User
    from kalkan.records import consent
    from kalkan.records.models import Act, Person
    from kalkan.vault.services import unlock

    user = User.objects.get(username="bench")
    keyring = unlock(user, (data_dir / "passphrase").read_text())
    assert keyring is not None
    victims = sorted({str(pk) for pk in Act.objects.values_list("victim_id", flat=True)})
    chosen = random.Random(seed).sample(victims, int(len(victims) * share))
    for person in Person.objects.filter(pk__in=chosen).select_related("content_key"):
        consent.record(person, purpose, given=True, on=date(2026, 1, 15),
                       how="benchmark", keyring=keyring, by=user)
    return len(chosen)


def analyst(data_dir: Path) -> Any:
    """An analyst enrolled in the benchmark's instance (once; the passphrase kept beside it)."""
    from kalkan.accounts.models import User
    from kalkan.accounts.roles import Role
    from kalkan.accounts.services import enrol_staff
    from kalkan.core.testing import Character
    from kalkan.vault.services import unlock

    path = data_dir / "analyst"
    if not path.exists():
        bench = User.objects.get(username="bench")
        keyring = unlock(bench, (data_dir / "passphrase").read_text())
        assert keyring is not None
        enrolment = enrol_staff("analyst.bench", Role.ANALYST, actor=None, keyring=keyring)
        path.write_text(enrolment.passphrase)
    return Character(User.objects.get(username="analyst.bench"), path.read_text())


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    got = call()
    return time.perf_counter() - began, got


def draft_pages(data_dir: Path, asked: dict[str, str], repeat: int) -> dict[str, list[float]]:
    """Seconds per request on a draft's pages, as a browser sends them: the draft made, its
    first view, then (each `repeat` times) the page again, a review posted (every summary as
    proposed) and a download in each format."""
    from django.test import Client

    from kalkan.core.testing import log_in

    client = log_in(Client(), analyst(data_dir))
    client.get("/en/staff/drafts/")  # the working set is built here (not measured)
    made = client.post("/en/staff/drafts/", {**asked, "summaries": "20"})
    assert made.status_code == 302, made.status_code
    page_url = made["Location"]
    seconds: dict[str, list[float]] = {}

    def request(label: str, call: Callable[[], Any]) -> Any:
        took, response = timed(call)
        assert response.status_code in (200, 302), (label, response.status_code)
        seconds.setdefault(label, []).append(took)
        return response

    page = request("first view (prepares)", lambda: client.get(page_url))
    fingerprints = dict(re.findall(r'name="(fp-[^"]+)" value="([^"]+)"', page.content.decode()))
    for _ in range(repeat):
        request("view again", lambda: client.get(page_url))
        request("review posted", lambda: client.post(page_url + "review/", fingerprints))
        for kind in ("docx", "pdf", "md"):
            request(f"download {kind.upper()}",
                    lambda kind=kind: client.post(page_url + "download/", {"format": kind}))
    return seconds


def measure(data_dir: Path) -> dict[str, float]:
    from kalkan.accounts.models import User
    from kalkan.analysis import builder, documents
    from kalkan.vault import workingset
    from kalkan.vault.services import unlock

    figures: dict[str, float] = {}
    user = User.objects.get(username="bench")
    began = time.perf_counter()
    keyring = unlock(user, (data_dir / "passphrase").read_text())
    assert keyring is not None
    working = workingset.build(keyring)
    figures["ready_s"] = time.perf_counter() - began
    newest = max(int(y) for y, _n in working.find(workingset.Query(
        kind="act", facets=("year",), limit=0)).facets["year"])
    asked = builder.Asked(mechanism="upr", country="kg", year_from=newest - 4,
                          year_to=newest, language="ru")

    began = time.perf_counter()
    prepared = builder.prepare(working, asked, keyring)
    figures["prepare_s"] = time.perf_counter() - began
    review = builder.Review({
        s.id: {"fingerprint": s.fingerprint,
               "replacements": [replacement for _f, replacement in s.proposals]}
        for s in prepared.summaries})

    began = time.perf_counter()
    draft = builder.document(prepared, review)
    figures["document_s"] = time.perf_counter() - began
    began = time.perf_counter()
    docx = documents.to_docx(draft)
    figures["docx_s"] = time.perf_counter() - began
    began = time.perf_counter()
    pdf = documents.to_pdf(draft)
    figures["pdf_s"] = time.perf_counter() - began
    figures.update({
        "year_from": float(asked.year_from), "year_to": float(asked.year_to),
        "acts_in_scope": float(prepared.acts),
        "summaries": float(len(prepared.summaries)),
        "held_back": float(prepared.held_back),
        "without_consent": float(prepared.without_consent),
        "docx_kb": len(docx) / 1024,
        "pdf_kb": len(pdf) / 1024,
        "peak_rss_mb": peak_rss_mb(),
    })
    figures["draft_total_s"] = sum(figures[k] for k in ("prepare_s", "document_s", "docx_s",
                                                        "pdf_s"))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--acts", type=int, default=100_000)
    parser.add_argument("--consent", type=float, default=0.02,
                        help="share of victims who agreed to a UN submission")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default="", help="reuse (or keep) this instance")
    parser.add_argument("--repeat", type=int, default=3, help="repeats of the draft pages")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kalkan-bench-reports-") as tmp:
        data_dir = open_instance(args, Path(tmp), "draft")
        # One marker per purpose: dashboards.py may share the instance (--data-dir).
        consented = data_dir / "consented-un_submission"
        if not consented.exists():
            consented.write_text(str(add_consent(data_dir, args.consent, args.seed)))
        print(f"{int(consented.read_text()):,} victims agreed to a UN submission "
              "(not measured)")
        got = measure(data_dir)
        pages = draft_pages(data_dir, {
            "mechanism": "upr", "country": "kg", "year_from": str(int(got["year_from"])),
            "year_to": str(int(got["year_to"])), "language": "ru"}, args.repeat)
    print(f"\nunlock -> working set ready: {got['ready_s']:.1f} s (every login; not the draft)")
    print(f"UPR draft, Kyrgyzstan, five years: {got['acts_in_scope']:,.0f} acts in scope, "
          f"{got['summaries']:.0f} case summaries ({got['held_back']:.0f} held back by "
          f"k-anonymity, {got['without_consent']:,.0f} acts without consent)")
    for label, key in (("prepare (rows, gate, summaries, redaction)", "prepare_s"),
                       ("document (with charts)", "document_s"), ("DOCX", "docx_s"),
                       ("PDF", "pdf_s"), ("total", "draft_total_s")):
        print(f"  {label:<44} {got[key]:6.2f} s")
    print(f"  files: DOCX {got['docx_kb']:.0f} KB, PDF {got['pdf_kb']:.0f} KB; "
          f"peak RSS {got['peak_rss_mb']:.0f} MB")
    print(f"\ndraft pages through the web (the same selection; min / median / max of "
          f"{args.repeat} while nothing the draft depends on changed)")
    for label, times in pages.items():
        print(f"  {label:<44} {min(times):6.2f} / {statistics.median(times):6.2f} / "
              f"{max(times):6.2f} s")
    print(f"peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
