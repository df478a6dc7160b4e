"""Dashboards: what was documented, drawn on the server (SVG, no JavaScript), with the same
filters as the search page, over the person's unlocked working set.

The page shows exact counts to staff; "as it would be published" counts only the acts whose
victims agreed to anonymised statistics and passes every number on the page (the charts, the
number of acts, the lists beside them) through the publication gate first, so an analyst sees
what a draft would be allowed to say. The exact view says how many acts the published one
leaves out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kalkan.accounts.decorators import capability_required
from kalkan.accounts.roles import Capability
from kalkan.analysis import charts, gate
from kalkan.analysis.laws import laws_for
from kalkan.analysis.statistics import (
    SEVERAL,
    ActColumns,
    ValueLabels,
    act_columns,
    columns_with_consent,
    left_out_note,
    legend_note,
    outside_the_working_set,
    stacked_with_hidden,
)
from kalkan.audit.services import record
from kalkan.records import search
from kalkan.vault import workingset
from kalkan.vault.keyring import Keyring
from kalkan.vault.session import keyring_required

CHARTS = ("over_time", "by_perpetrator", "by_region", "by_victim", "timeline")
# More categories than this in one chart are unreadable: the rest are drawn as "other".
MOST_CATEGORIES = 8


def _asked(request: HttpRequest) -> tuple[search.Asked, bool]:
    return search.asked(request.GET), request.GET.get("gated") == "1"


def _rows(working: workingset.WorkingSet, keyring: Keyring, asked: search.Asked, gated: bool,
          *, left_out: bool = False) -> tuple[ActColumns, int]:
    """The acts the page counts (published: only those with consent), and how many acts the
    published view leaves out for want of consent (asked for, or published)."""
    # The page and its five charts ask for the same acts: one pass over the facet columns
    # (and the consent ledger) per query while nothing changes.
    rows = working.derived(("dashboard", asked.params()),
                           lambda: act_columns(working, asked.query(), keyring))
    if not (gated or left_out):
        return rows, 0
    allowed, without = working.derived(("dashboard-consent", asked.params()),
                                       lambda: columns_with_consent(working, rows, keyring))
    return (allowed if gated else rows), without


@capability_required(Capability.BUILD_REPORTS)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    keyring = keyring_required(request)
    asked, gated = _asked(request)
    working = workingset.for_session(str(request.session.session_key), keyring)
    found = working.find(asked.query())
    rows, left_out = _rows(working, keyring, asked, gated, left_out=True)
    record("analysis.dashboard", actor_id=request.user.pk,
           details={"acts": found.total, "filters": len(asked.filters), "gated": gated})
    labels = search.Labels(keyring)
    params = asked.params()
    by = _breakdown(request)
    suffix = "&".join(filter(None, [params, "gated=1" if gated else "",
                                    f"by={by}" if by != "act_group" else ""]))
    total = gate.gate_series(["all"], [len(rows)]).total if gated else len(rows)
    return render(request, "analysis/dashboard.html", {
        "asked": asked,
        "found": found,
        "gated": gated,
        "total": total,
        "shown_total": gate.shown(total),
        "left_out": left_out,
        "left_out_note": left_out_note(left_out),
        "groups": (_published_groups(rows, asked, ValueLabels(keyring)) if gated
                   else search.facet_groups(found, asked, labels)),
        "chosen": [
            {"title": search.FACET_TITLES[name], "label": labels(name, value),
             "href": "?" + asked.params(remove=(name, value))}
            for name, values in asked.filters.items() for value in values
        ],
        "charts": [(name, f"chart/{name}.svg" + (f"?{suffix}" if suffix else ""))
                   for name in CHARTS],
        "toggle": "?" + "&".join(filter(None, [params, "" if gated else "gated=1",
                                               f"by={by}" if by != "act_group" else ""])),
        "breakdowns": [
            (code, title, code == by, "?" + "&".join(filter(None, [
                params, "gated=1" if gated else "", f"by={code}"])))
            for code, title in BREAKDOWNS.items()],
        "threshold": gate.threshold(),
    })


def _periods(rows: ActColumns) -> str:
    """Years, or months when the acts fall within two years (a year per bar says little)."""
    years = set(rows.column("year")) - {""}
    return "month" if 0 < len(years) <= 2 else "year"


OTHER = "…"


def TOO_FEW() -> str:  # noqa: N802 (a translated constant)
    return _("Too few cases per category to show this safely.")


def _top(counts: dict[str, int], other: str) -> dict[str, int]:
    ordered = sorted(counts.items(), key=lambda item: -item[1])
    top = dict(ordered[:MOST_CATEGORIES])
    rest = sum(count for _value, count in ordered[MOST_CATEGORIES:])
    if rest:
        top[other] = top.get(other, 0) + rest
    return top


def _published_series(rows: ActColumns, dimension: str) -> gate.GatedSeries | None:
    """The acts per value of one dimension (the commonest and "other") as published: one
    computation for the chart and for the list beside it, so that the two cannot differ in
    what they hide. None when the series may not stand beside the published total."""
    counts = _top({key[0]: n for key, n in rows.counts(dimension).items()}, OTHER)
    published = gate.gate_series(list(counts), list(counts.values()))
    # The over-time chart publishes the total: these small counts would follow.
    return published if gate.beside_a_published_total(published, len(rows)) else None


# The lists beside the published charts: the dimensions a chart publishes, with its facet.
PUBLISHED_LISTS = {"perpetrator_group": "perpetrator_type", "region": "region",
                   "gender_identity": "gender_identity"}


def _published_groups(rows: ActColumns, asked: search.Asked,
                      labels: ValueLabels) -> list[dict[str, object]]:
    """The lists beside the charts "as it would be published": the very series the charts
    publish, with the same numbers hidden. Other facets would be further tables of the same
    acts, gated apart from the charts (and a value listed at all says that some act has it),
    so they are left to the exact view."""
    groups: list[dict[str, object]] = []
    for dimension, facet in PUBLISHED_LISTS.items():
        published = _published_series(rows, dimension) if rows else None
        if published is None:
            continue
        chosen = set(asked.filters.get(facet, []))
        items = []
        for value, count in zip(published.categories, published.counts, strict=True):
            linkable = value not in (OTHER, "", SEVERAL)
            items.append({
                "label": _("Other") if value == OTHER else labels(dimension, value),
                "count": gate.shown(count),
                "chosen": value in chosen,
                "href": ("?" + asked.params(**({"remove": (facet, value)} if value in chosen
                                               else {"add": (facet, value)})))
                if linkable else "",
            })
        groups.append({"name": facet, "title": search.FACET_TITLES[facet], "items": items,
                       "note": legend_note(published.note)})
    return groups


def _series_chart(
    rows: ActColumns, dimension: str, title: str, gated: bool, labels: ValueLabels
) -> bytes:
    counts = _top({key[0]: n for key, n in rows.counts(dimension).items()}, OTHER)
    categories = list(counts)
    values: list[int | None] = [counts[c] for c in categories]
    note = ""
    if gated and categories:
        published = _published_series(rows, dimension)
        if published is None:
            return charts.svg_of(charts.horizontal_bars, [], [], title, no_data=TOO_FEW())
        values, note = list(published.counts), published.note
    names = [_("Other") if c == OTHER else labels(dimension, c) for c in categories]
    return charts.svg_of(charts.horizontal_bars, names, values, title,
                         suppressed_note=legend_note(note),
                         no_data=_("No acts match these filters."))


@dataclass
class _TimeTable:
    """Acts per period and top-level type of act: the over-time chart draws it, the timeline
    its column totals. Gated once, so that the two charts cannot undo each other's hiding."""

    periods: list[str]
    groups: list[str]
    cells: list[list[int | None]]  # [group][period]
    totals: list[int | None]  # per period
    note: str


# What the over-time chart breaks the acts down by (?by=...), and its title.
BREAKDOWNS = {
    "act_group": gettext_lazy("Acts over time, by type of act"),
    "perpetrator_group": gettext_lazy("Acts over time, by perpetrator"),
    "region": gettext_lazy("Acts over time, by region"),
    "gender_identity": gettext_lazy("Acts over time, by the victim's gender identity"),
}


def _breakdown(request: HttpRequest) -> str:
    wanted = request.GET.get("by", "")
    return wanted if wanted in BREAKDOWNS else "act_group"


def _time_table(rows: ActColumns, gated: bool, by: str = "act_group") -> _TimeTable:
    known = [(value, period) for value, period
             in zip(rows.column(by), rows.column(_periods(rows)), strict=True) if period]
    periods = sorted({period for _value, period in known})
    counts = Counter(value for value, _period in known)
    # At most eight categories (and "other"): more colours than that cannot be told apart.
    top = {value for value, _n in counts.most_common(MOST_CATEGORIES)}
    counted = Counter((value if value in top else OTHER, period) for value, period in known)
    groups = sorted({value for value, _period in counted})
    table = [[counted[g, p] for p in periods] for g in groups]
    if gated and periods and groups:
        published = gate.gate_table(groups, periods, table)
        return _TimeTable(periods, groups, published.cells,
                          list(published.column_series().counts), published.note)
    totals: list[int | None] = [sum(column) for column in zip(*table, strict=True)]
    return _TimeTable(periods, groups, [list(row) for row in table], totals, "")


def _over_time(time: _TimeTable, labels: ValueLabels, by: str) -> bytes:
    series = stacked_with_hidden(
        {(_("Other") if g == OTHER else labels(by, g)): time.cells[i]
         for i, g in enumerate(time.groups)},
        time.totals, _("Not shown in detail (small numbers)"))
    return charts.svg_of(charts.bars_over_time, time.periods, series, str(BREAKDOWNS[by]),
                         suppressed_note=legend_note(time.note),
                         no_data=_("No acts with a known date match these filters."))


def _timeline(time: _TimeTable, asked: search.Asked, keyring: Keyring) -> bytes:
    # The very table the over-time chart draws (same breakdown): gated twice, two tables
    # with one margin could each reveal what the other hides.
    countries: list[str | None] = [*asked.filters.get("country", [])] or [None]
    milestones = [
        (when, f"{law.title}: {label}", stage)
        for country in countries
        for law in laws_for(country, keyring)
        for when, stage, label in law.stages
    ]
    return charts.svg_of(charts.timeline, time.periods, time.totals, milestones,
                         _("Acts over time, with the stages of laws"),
                         suppressed_note=legend_note(time.note),
                         no_data=_("No acts with a known date match these filters."))


@capability_required(Capability.BUILD_REPORTS)
@require_GET
def chart(request: HttpRequest, name: str) -> HttpResponse:
    if name not in CHARTS:
        raise Http404
    asked, gated = _asked(request)
    keyring = keyring_required(request)
    working = workingset.for_session(str(request.session.session_key), keyring)
    # Drawn once per query, language and state of the records (a page shown again, or to a
    # colleague with the same keys, costs nothing).
    key = ("chart", name, request.GET.urlencode(), get_language(), outside_the_working_set())
    return HttpResponse(
        working.derived(key, lambda: _drawn(request, working, keyring, name, asked, gated)),
        content_type="image/svg+xml")


def _drawn(request: HttpRequest, working: workingset.WorkingSet, keyring: Keyring, name: str,
           asked: search.Asked, gated: bool) -> bytes:
    rows, _left_out = _rows(working, keyring, asked, gated)
    labels = ValueLabels(keyring)
    if name in ("over_time", "timeline"):
        by = _breakdown(request)
        # One table for both charts of the page (and the same gating of it).
        time = working.derived(("dashboard-time", asked.params(), gated, by),
                               lambda: _time_table(rows, gated, by))
        drawn = (_over_time(time, labels, by) if name == "over_time"
                 else _timeline(time, asked, keyring))
    else:
        dimension, title = {
            "by_perpetrator": ("perpetrator_group", _("Acts by perpetrator")),
            "by_region": ("region", _("Acts by region")),
            "by_victim": ("gender_identity", _("Acts by the victim's gender identity")),
        }[name]
        drawn = _series_chart(rows, dimension, title, gated, labels)
    return drawn
