"""Estimating the undocumented, under /<lang>/staff/estimates/: upload or paste a counts file
(one 0/1 column per list and a column n, as `kalkan linkage match` writes it), see the
overlaps and every method's estimate with its interval, and add the estimate to a draft.

The counts are held in memory only (they are counts of people, not people, but a file never
lands on disk here either). What is added to a draft is what Kalkan computed: the page
carries it signed, so a draft cannot be handed figures the page did not show.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from kalkan.accounts.decorators import acting_user, capability_required
from kalkan.accounts.roles import Capability
from kalkan.analysis import charts, estimation, estimation_jobs
from kalkan.analysis.estimate_texts import METHOD_LABELS, refusal
from kalkan.analysis.models import ReportDraft
from kalkan.audit.services import record
from kalkan.core.ids import parse_id
from kalkan.records.exchange_views import MemoryOnlyUpload, memory_upload
from kalkan.vault.records import open_content_key, read, readable_by, write
from kalkan.vault.session import keyring_required

MOST_BYTES = 1_000_000
SALT = "kalkan.analysis.estimate"


class CountsForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Counts file (CSV)"), required=False)
    text = forms.CharField(
        label=gettext_lazy("Or paste the counts"), required=False, max_length=MOST_BYTES,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 40, "spellcheck": "false"}),
        help_text=gettext_lazy("One 0/1 column per list and a column n: how many people are on "
                               "exactly that combination of lists. Leave out the row with no "
                               "list."))
    strata = forms.CharField(
        label=gettext_lazy("Estimate each value of this column apart (optional)"),
        required=False, max_length=100,
        help_text=gettext_lazy("For example region or period: the lists may reach people "
                               "differently in each."))


@capability_required(Capability.BUILD_REPORTS)
@require_http_methods(["GET", "POST"])
@memory_upload(MOST_BYTES)
def page(request: HttpRequest, handler: MemoryOnlyUpload) -> HttpResponse:
    keyring = keyring_required(request)
    if request.method != "POST":
        return _render(request, CountsForm(), keyring)
    form = CountsForm(request.POST, request.FILES)
    if handler.too_large:
        return _render(request, form, keyring, problem=_(
            "The file is larger than 1 MB: a counts file is a few lines."), status=400)
    if not form.is_valid():
        return _render(request, form, keyring, status=400)
    upload = form.cleaned_data["file"]
    try:
        text = upload.read().decode("utf-8") if upload else form.cleaned_data["text"]
    except UnicodeDecodeError:
        return _render(request, form, keyring, problem=_("The file is not UTF-8 text."),
                       status=400)
    if not text.strip():
        return _render(request, form, keyring, problem=_("Choose a file or paste the counts."),
                       status=400)
    strata = form.cleaned_data["strata"].strip() or None
    try:
        tables = estimation.read_counts(text, strata)
        if strata is None:
            estimation.check_estimable(tables[""])
        else:
            estimation.check_strata(tables)
    except estimation.CountsError as e:
        return _render(request, form, keyring, problem=refusal(e), status=400)
    job = estimation_jobs.start(tables, strata, acting_user(request).pk)
    if job is None:
        return _render(request, form, keyring, status=429, problem=_(
            "Two of your estimates are still running: wait for them to finish (their pages "
            "show them), then estimate again."))
    record("analysis.estimate", actor_id=request.user.pk,
           details={"lists": len(next(iter(tables.values())).lists), "strata": len(tables)})
    return redirect("estimates:job", job_id=job.id)


@capability_required(Capability.BUILD_REPORTS)
@require_http_methods(["GET"])
def job_page(request: HttpRequest, job_id: str) -> HttpResponse:
    """How far the estimate is (the page refreshes itself), then the estimate."""
    keyring = keyring_required(request)
    job = estimation_jobs.of(job_id, acting_user(request).pk)
    if job is None:
        messages.error(request, _("This estimate is no longer on the server (it was "
                                  "restarted, or the estimate is old): estimate again."))
        return redirect("estimates:page")
    if not job.finished.is_set():
        seconds = int((timezone.now() - job.started).total_seconds())
        return render(request, "analysis/estimate_job.html", {
            "seconds": seconds, "tables": len(job.tables), "refresh": request.path})
    form = CountsForm()
    if job.failed:
        return _render(request, form, keyring, status=503, problem=_(
            "The estimate stopped because of an error on the server. Try again; if it "
            "happens again, tell the administrator."))
    if job.refused is not None:
        return _render(request, form, keyring, problem=refusal(job.refused), status=400)
    assert job.found is not None  # noqa: S101 (finished, neither failed nor refused)
    return _render(request, form, keyring, result=_result(job.tables, job.found))


def _result(tables: dict[str, estimation.CaptureTable],
            found: estimation.Estimate | estimation.Stratified) -> dict[str, Any]:
    parts = (found.strata if isinstance(found, estimation.Stratified) else {"": found})
    shown = []
    for name, part in parts.items():
        table = tables[name]
        shown.append({
            "name": name,
            "documented": part.documented,
            "lists": table.list_totals(),
            "estimate": part,
            "chosen": part.chosen,
            "rows": _method_rows(part.methods),
            "models": part.methods["loglinear-aic"].models,
            "overlaps": charts.overlaps(
                table.lists, table.patterns, list(table.counts),
                _("Who is on which lists") + (f": {name}" if name else "")).svg.decode(),
            "intervals": charts.intervals(
                [str(METHOD_LABELS[m]) for m in part.methods],
                [r.estimate for r in part.methods.values()],
                [r.lower for r in part.methods.values()],
                [r.upper for r in part.methods.values()],
                part.documented, _("documented: %(count)d") % {"count": part.documented},
                _("Estimates and their intervals (95 %)")).svg.decode(),
        })
    total = None
    if isinstance(found, estimation.Stratified):
        total = {"rows": _method_rows(found.total),
                 "documented": sum(p.documented for p in found.strata.values())}
    return {"parts": shown, "total": total,
            "signed": signing.dumps(summary(found), salt=SALT, compress=True)}


def _method_rows(results: dict[str, estimation.MethodResult]) -> list[dict[str, Any]]:
    return [{"code": code, "label": METHOD_LABELS[code], "estimate": round(r.estimate),
             "lower": round(r.lower), "upper": round(r.upper),
             "rhat": r.diagnostics.get("rhat"), "ess": r.diagnostics.get("ess"),
             "graph": _graph_text(r.diagnostics.get("best_graph")),
             "graph_weight": r.diagnostics.get("best_weight"),
             "cut_off": r.diagnostics.get("cut_off")}
            for code, r in results.items()]


def _graph_text(graph: str | None) -> str | None:
    """dga's graph as the page says it: its joined lists, or that none depend."""
    if graph is None or "×" in graph:
        return graph
    return _("none: no two lists depend on each other")


def summary(found: estimation.Estimate | estimation.Stratified) -> dict[str, Any]:
    """What a draft keeps of an estimate: figures and the overlaps, no draws."""
    data = found.as_json()
    for part in [data, *data.get("strata", {}).values()]:
        for method in part.get("methods", {}).values():
            method.pop("models", None)
    return data


def _drafts(keyring: Any) -> list[tuple[str, str]]:
    """The drafts an estimate can go into, newest first, as the drafts page names them."""
    from kalkan.analysis.draft_views import _opened
    from kalkan.analysis.laws import country_name

    out = []
    for draft in readable_by(ReportDraft.objects.select_related("content_key"), keyring
                             ).order_by("-created_on", "-revision", "pk")[:50]:
        asked, _review = _opened(draft, keyring)
        out.append((str(draft.pk), f"{asked.chosen_mechanism.label()}: "
                    f"{country_name(asked.country)}, {asked.year_from}–{asked.year_to} "
                    f"({draft.created_on.isoformat()})"))
    return out


def _render(request: HttpRequest, form: CountsForm, keyring: Any, *, problem: str = "",
            result: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    return render(request, "analysis/estimate.html", {
        "form": form, "problem": problem, "result": result,
        "drafts": _drafts(keyring) if result else [],
    }, status=status)


@capability_required(Capability.BUILD_REPORTS)
@require_POST
def attach(request: HttpRequest) -> HttpResponseBase:
    """Adds the estimate the page showed to a draft (replacing any earlier one)."""
    keyring = keyring_required(request)
    try:
        data = signing.loads(request.POST.get("estimate", ""), salt=SALT)
    except signing.BadSignature:
        data = None
    pk = parse_id(request.POST.get("draft", ""))
    if data is None or pk is None:
        messages.error(request, _("Compute the estimate again and choose a draft."))
        return redirect("estimates:page")
    draft = get_object_or_404(
        readable_by(ReportDraft.objects.select_related("content_key"), keyring), pk=pk)
    key = open_content_key(draft.content_key, keyring)
    review = json.loads(read(draft, key, ("review",))["review"] or "{}")
    review["estimate"] = data
    write(draft, key, review=json.dumps(review))
    record("analysis.estimate_attached", actor_id=request.user.pk, object_id=str(draft.pk))
    messages.success(request, _("The estimate is in the draft."))
    return redirect("drafts:draft", pk=str(draft.pk))
