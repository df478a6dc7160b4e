"""What the estimation page and a draft say about an estimate, in the reader's language.

kalkan.analysis.estimation is pure computation with English messages for the command line;
the web and the drafts say the same here, translated, and name each method's assumptions in
plain words.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kalkan.analysis import estimation, gate
from kalkan.analysis.documents import Block, Heading, Paragraph, Table

METHOD_LABELS = {
    "lcmcr": gettext_lazy("Latent classes (LCMCR)"),
    "dga": gettext_lazy("Decomposable graphs, averaged (dga)"),
    "loglinear-aic": gettext_lazy("Log-linear models, averaged (AIC)"),
    "loglinear-bic": gettext_lazy("Log-linear models, averaged (BIC)"),
    "independence": gettext_lazy("Independent lists"),
}


def assumptions(method: str) -> str:
    """The method's identifying assumption, in words a reader of a submission follows."""
    common = _("It assumes that the lists cover the same people over the same period, that "
               "nobody enters or leaves that population meanwhile, and that people were "
               "matched correctly across the lists.")
    if method == "lcmcr":
        own = _("People differ in how likely each list is to record them. The method sorts "
                "people into groups that the lists reach differently, and assumes that within "
                "a group the lists record people independently of each other. People whom "
                "every list is unlikely to record are undercounted: where such a group is "
                "large, the estimate is too low and its interval too narrow.")
    elif method == "dga":
        own = _("Lists may depend on each other in any pattern of a decomposable graph: "
                "pairs, chains, or groups of lists that depend jointly (one refers people "
                "to another, or both reach the same people). The estimate averages every "
                "such graph, each weighted by how well it explains the overlaps.")
    elif method.startswith("loglinear"):
        own = _("Two lists may depend on each other (one refers people to the other), as "
                "far as the overlaps show it; no three lists depend on each other jointly. "
                "The estimate is the average of many such models, each weighted by how well "
                "it fits.")
    else:
        own = _("Every person is equally likely to be recorded, and each list records "
                "people independently of the others. Both are rarely true: this estimate is "
                "usually too low.")
    return f"{own} {common}"


def refusal(error: estimation.CountsError) -> str:
    """A CountsError in the reader's language."""
    p = error.params
    messages: dict[str, str] = {
        "empty": _("The file is empty."),
        "not_csv": _("The file is not CSV."),
        "no_n": _("Row 1: the header has no column n (the number of people on each "
                  "combination of lists)."),
        "no_strata": _("Row 1: the header has no column %(column)s."),
        "bad_header": _("Row 1: every column needs a name of its own."),
        "dga_lists": _("Decomposable graphs take 3 to %(most)s lists (the file has "
                       "%(count)s): choose another method."),
        "few_lists": _("At least 3 lists are needed (the file has %(count)s): with two, the "
                       "estimate rests on assuming the lists independent, which nothing can "
                       "check."),
        "too_many_rows": _("The file has too many rows for a table of lists."),
        "row_width": _("Row %(row)s: %(found)s cells, the header has %(expected)s."),
        "not_binary": _("Row %(row)s: list %(list)s must be 0 or 1."),
        "all_zero": _("Row %(row)s: the combination with no list is what is estimated; leave "
                      "it out of the file."),
        "no_stratum": _("Row %(row)s: column %(column)s is empty."),
        "repeated": _("Row %(row)s repeats the combination of lists of row %(first)s."),
        "no_rows": _("The file has a header but no counts."),
        "bad_count": _("Row %(row)s: n must be a whole number."),
        "negative": _("Row %(row)s: n is negative."),
        "too_large": _("Row %(row)s: n is too large."),
        "empty_list": _("List %(list)s has nobody on it: leave it out."),
        "no_overlap": _("No person is on more than one list: without overlaps there is "
                        "nothing to estimate from."),
        "list_without_overlap": _("List %(list)s shares nobody with any other list: its "
                                  "overlap with the others cannot be estimated."),
        "no_model": _("No model can be fitted to this table."),
    }
    text = messages.get(error.code, str(error))
    try:
        text = text % {k: v for k, v in p.items() if k != "reason"} if p else text
    except (KeyError, TypeError, ValueError):
        text = str(error)
    if "stratum" in p:
        text = _("Stratum %(stratum)s: %(reason)s") % {"stratum": p["stratum"], "reason": text}
    return text


def disagreement(data: dict[str, Any]) -> str:
    low, high = data["spread"]
    text = _("The methods disagree too much on these lists to give one number: their "
             "estimates run from %(low)s to %(high)s.") % {"low": low, "high": high}
    if data.get("refused_code") == "not_converged":
        text += " " + _("The sampler's chains have not converged.")
    if data.get("refused_code") == "disagree_sparse":
        text += " " + _("Most combinations of lists hold nobody: the table is too sparse.")
    return text


def draft_section(data: dict[str, Any]) -> list[Block]:
    """The draft's section on the undocumented, from what the estimation page computed
    (estimation_views.summary). Every count in it passes the publication gate; an estimate
    from fewer documented people than the gate shows is not given at all."""
    blocks: list[Block] = [Heading(_("Estimating the undocumented"), 1)]
    documented = gate.gate_series(["documented"], [int(data["documented"])])
    if documented.total is None:
        return [*blocks, Paragraph(_(
            "Too few people are documented on these lists to publish an estimate."))]
    method = str(data.get("method") or estimation.DEFAULT_METHOD)
    strata: dict[str, Any] = data.get("strata") or {}
    first: dict[str, Any] = next(iter(strata.values()), {})
    lists: list[str] = data.get("lists") or first.get("lists") or []
    blocks.append(Paragraph(_(
        "Several organisations' lists were linked without any of them sharing the identities "
        "of the people on them. %(documented)s people are on at least one of the %(lists)s "
        "lists.") % {"documented": documented.total, "lists": len(lists)}))
    if data.get("estimate") is not None:
        blocks.append(Paragraph(_(
            "Estimated number of victims, documented or not: %(estimate)s (95 %% interval "
            "%(lower)s to %(upper)s), by %(method)s. About %(undocumented)s of them are on "
            "no list.") % {
                "estimate": data["estimate"], "lower": data["lower"], "upper": data["upper"],
                "method": METHOD_LABELS.get(method, method),
                "undocumented": max(0, int(data["estimate"]) - documented.total)}))
        blocks.append(Paragraph(assumptions(method)))
    else:
        if "spread" in data:
            blocks.append(Paragraph(disagreement(data)))
        else:
            blocks.append(Paragraph(_("The methods disagree too much in at least one stratum "
                                      "to give one number.")))
    rows = [[str(METHOD_LABELS.get(code, code)), str(r["estimate"]),
             f"{r['lower']}–{r['upper']}"] for code, r in data.get("methods", {}).items()]
    if rows:
        blocks.append(Table(_("Estimates of the total by method"),
                            [_("Method"), _("Estimate"), _("Interval (95 %)")], rows))
    if data.get("strata"):
        strata_rows = []
        for name, part in data["strata"].items():
            shown = gate.gate_series(["documented"], [int(part["documented"])]).total
            estimate = (f"{part['estimate']} ({part['lower']}–{part['upper']})"
                        if part.get("estimate") is not None and shown is not None else "—")
            strata_rows.append([name, gate.shown(shown), estimate])
        blocks.append(Table(_("Estimates by stratum"),
                            [_("Stratum"), _("Documented"), _("Estimate and its interval (95 %)")],
                            strata_rows))
    blocks.append(Paragraph(_(
        "Every estimate of this kind rests on assumptions the lists cannot check, and methods "
        "that fit the same overlaps equally well can give different totals: the table shows "
        "how far apart they are."), "note"))
    return blocks
