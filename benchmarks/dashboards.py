"""How long a whole dashboard page takes (the page and its five charts), exact and "as it would
be published" (issue: Speed where people wait).

    .venv/bin/python benchmarks/dashboards.py [--acts 100000 --consent 0.3 --seed 0]
                                              [--data-dir DIR]   # keep and reuse the instance

Makes a new instance as benchmarks/records.py does (`--acts` fictional acts), records consent
to anonymised statistics for a share of the victims and enrols an analyst; none of that is
timed. Then, in one process with the Django test client and a real unlocked session, loads
the dashboard page and its five charts as a browser would (the page, then each <img>):
first after the working set changed, then again with nothing changed, for no filter and for
one country, exact and published. Prints each whole-page time beside the facet counts of the
same query (the limit beside it: what the working set answers in one call).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.reports import (  # noqa: E402 (after the path is set)
    add_consent,
    analyst,
    open_instance,
)
from benchmarks.vault import peak_rss_mb  # noqa: E402

STATISTICS = "statistics"  # kalkan.records.consent.STATISTICS (Django is set up later)


def whole_page(client: Any, query: str) -> float:
    """Seconds for the page and every chart it draws, one after the other as a browser
    fetches them on a slow link."""
    start = time.perf_counter()
    page = client.get(f"/en/staff/dashboards/{query}")
    assert page.status_code == 200, page.status_code
    charts = re.findall(r'src="(chart/[^"]+)"', page.content.decode())
    assert len(charts) == 5, charts
    for chart in charts:
        drawn = client.get("/en/staff/dashboards/" + chart.replace("&amp;", "&"))
        assert drawn.status_code == 200 and drawn.content.startswith(b"<svg"), chart
    return time.perf_counter() - start


def facet_counts(client: Any, country: str) -> float:
    from kalkan.records.search import ACT_FACETS
    from kalkan.vault import workingset

    working = next(iter(workingset._sets.values()))
    filters = {"country": [country]} if country else {}
    start = time.perf_counter()
    working.find(workingset.Query(kind="act", filters=filters, facets=ACT_FACETS, limit=0))
    return time.perf_counter() - start


def touch(data_dir: Path) -> None:
    """A change to the documentation: consent statements of a few victims, so the next page
    cannot reuse anything computed from the records before it."""
    add_consent(data_dir, 0.0001, int(time.time()), purpose=STATISTICS)


def new_act(data_dir: Path) -> None:
    """A change every chart shows: one more act, in Kyrgyzstan, last year, by the police."""
    from kalkan.accounts.models import User
    from kalkan.records import services
    from kalkan.vault.services import unlock

    user = User.objects.get(username="bench")
    keyring = unlock(user, (data_dir / "passphrase").read_text())
    assert keyring is not None
    year = time.localtime().tm_year - 1
    event = services.new_event(keyring, user, title="Detained at a bus stop (benchmark)",
                               details={"start": {"year": year},
                                        "place": {"code": "kg.chuy", "detail": ""}})
    victim = services.new_person(keyring, pseudonym="Benchmark victim",
                                 profile={"kind": "individual"})
    services.add_act(event, keyring, victim=victim,
                     details={"type": "arbitrary_detention", "perpetrators": ["police"]})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--acts", type=int, default=100_000)
    parser.add_argument("--consent", type=float, default=0.3,
                        help="share of victims who agreed to anonymised statistics")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-dir", default="", help="reuse (or keep) this instance")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kalkan-bench-dashboards-") as tmp:
        data_dir = open_instance(args, Path(tmp), "dashboard")
        # One marker per purpose: reports.py may share the instance (--data-dir).
        consented = data_dir / f"consented-{STATISTICS}"
        if not consented.exists():
            consented.write_text(str(add_consent(data_dir, args.consent, args.seed,
                                                 purpose=STATISTICS)))
        print(f"{int(consented.read_text()):,} victims agreed to anonymised statistics "
              "(not measured)")
        character = analyst(data_dir)

        from django.test import Client

        from kalkan.core.testing import log_in

        client = log_in(Client(), character)
        client.get("/en/staff/dashboards/")  # the working set is built here (not measured)
        print("\nwhole dashboard page (page + 5 charts), min / median of "
              f"{args.repeat}: after new consent statements (the charts of exact counts do "
              "not change), after a new act (every chart changes), with nothing changed; "
              "the facet counts of the same query beside it")
        for label, query, country in (
            ("all acts, exact", "", ""),
            ("all acts, published", "?gated=1", ""),
            ("Kyrgyzstan, exact", "?country=kg", "kg"),
            ("Kyrgyzstan, published", "?country=kg&gated=1", "kg"),
        ):
            consented, added, unchanged = [], [], []
            for _ in range(args.repeat):
                touch(data_dir)
                consented.append(whole_page(client, query))
                new_act(data_dir)
                added.append(whole_page(client, query))
                unchanged.append(whole_page(client, query))
            facets = min(facet_counts(client, country) for _ in range(args.repeat))
            print(f"  {label:<22} new consent {min(consented):5.2f} / "
                  f"{statistics.median(consented):5.2f} s; new act {min(added):5.2f} / "
                  f"{statistics.median(added):5.2f} s; nothing changed "
                  f"{min(unchanged):5.2f} / {statistics.median(unchanged):5.2f} s; "
                  f"facet counts {facets * 1000:3.0f} ms")
        print(f"peak RSS {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
