"""Drafts for UN mechanisms, under /<lang>/staff/drafts/: choose the mechanism, country,
period and filters; read the gated tables; review every proposed redaction of every case
summary; download the draft as DOCX, PDF or Markdown.

Drafts are built from what the organisation's keys open: restricted cases never enter them,
whoever builds the draft. Nothing is written to disk: the file is made in memory and sent.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kalkan.accounts.decorators import acting_user, capability_required
from kalkan.accounts.roles import Capability
from kalkan.analysis import (
    builder,
    documents,
    estimate_texts,
    gate,
    publication,
    register,
    review_hints,
)
from kalkan.analysis.laws import COUNTRIES, country_name
from kalkan.analysis.mechanisms import mechanisms
from kalkan.analysis.models import ReportDraft
from kalkan.analysis.statistics import ValueLabels, left_out_note, outside_the_working_set
from kalkan.audit.services import record
from kalkan.core.ids import parse_id
from kalkan.core.pages import page_of
from kalkan.records import local_terms
from kalkan.records.forms import FIRST_YEAR
from kalkan.records.vocabularies import vocabulary
from kalkan.vault import workingset
from kalkan.vault.keyring import Keyring
from kalkan.vault.records import open_content_key, read, readable_by, write
from kalkan.vault.session import keyring_required

LANGUAGE_NAMES = dict(settings.LANGUAGES)  # each language in its own words
MAX_TRANSLATION = 20_000  # as long as the longest story the public form takes
FORMATS = {
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "pdf": ("application/pdf", "pdf"),
    "md": ("text/markdown; charset=utf-8", "md"),
}
# A selection for publication leaves as these instead (kalkan.analysis.publication).
PUBLICATION_FORMATS = {
    "uwazi": ("application/zip", "zip"),
    "json": ("application/json", "json"),
}


def check_period(form: forms.Form, data: dict[str, Any]) -> dict[str, Any]:
    """Years `year_from` to `year_to` within what records can hold, in order."""
    start, end = data.get("year_from"), data.get("year_to")
    year = timezone.localdate().year
    for name, value in (("year_from", start), ("year_to", end)):
        if value is not None and not FIRST_YEAR <= value <= year:
            form.add_error(name, _("Choose a year from %(first)d to %(last)d.") % {
                "first": FIRST_YEAR, "last": year})
    if start and end and start > end:
        form.add_error("year_to", _("The period ends before it starts."))
    return data


class AskForm(forms.Form):
    mechanism = forms.ChoiceField(label=gettext_lazy("For which mechanism"))
    country = forms.ChoiceField(label=gettext_lazy("Country"))
    year_from = forms.IntegerField(label=gettext_lazy("From the year"))
    year_to = forms.IntegerField(label=gettext_lazy("To the year"))
    language = forms.ChoiceField(label=gettext_lazy("Language of the draft"),
                                 choices=list(LANGUAGE_NAMES.items()))
    act_groups = forms.MultipleChoiceField(
        label=gettext_lazy("Only these types of act (none ticked: all)"), required=False,
        widget=forms.CheckboxSelectMultiple)
    defenders_only = forms.BooleanField(
        label=gettext_lazy("Only acts against human rights defenders"), required=False)
    summaries = forms.IntegerField(
        label=gettext_lazy("At most this many case summaries"), min_value=0, max_value=100,
        initial=20, help_text=gettext_lazy(
            "The newest of each type of act in turn; each one must be reviewed."))

    def __init__(self, *args: Any, keyring: Keyring | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["mechanism"]).choices = [
            (code, m.label()) for code, m in mechanisms().items()] + [
            (builder.PUBLICATION, builder.publication_as_mechanism().label())]
        cast(forms.ChoiceField, self.fields["country"]).choices = [
            (code, country_name(code)) for code in COUNTRIES]
        act_types = local_terms.current("act_types", keyring)
        cast(forms.ChoiceField, self.fields["act_groups"]).choices = [
            (term.code, term.label()) for term in act_types if not term.parent
            and not term.inactive]
        year = timezone.localdate().year
        if not self.is_bound:
            self.initial.update({"year_from": year - 4, "year_to": year, "language": "en"})

    def clean(self) -> dict[str, Any]:
        return check_period(self, super().clean() or {})

    def asked(self) -> builder.Asked:
        data = self.cleaned_data
        return builder.Asked(
            mechanism=data["mechanism"], country=data["country"], year_from=data["year_from"],
            year_to=data["year_to"], language=data["language"],
            act_groups=tuple(data["act_groups"]),
            defenders_only=bool(data["defenders_only"]) or data["mechanism"] == "sr_hrd",
            summaries=data["summaries"])


def _log(request: HttpRequest, action: str, draft: Any, **details: Any) -> None:
    record(f"analysis.{action}", actor_id=request.user.pk, object_id=str(draft), details=details)


def _opened(draft: ReportDraft, keyring: Keyring) -> tuple[builder.Asked, builder.Review]:
    asked, review, _saved = _opened_with_text(draft, keyring)
    return asked, review


def _opened_with_text(draft: ReportDraft, keyring: Keyring
                      ) -> tuple[builder.Asked, builder.Review, str]:
    """The draft's selection and review, and the review as saved (what a kept file of the
    draft is keyed by)."""
    fields = read(draft, open_content_key(draft.content_key, keyring), ("request", "review"))
    review = json.loads(fields["review"] or "{}")
    return (builder.Asked.from_json(json.loads(fields["request"])),
            builder.Review(review.get("summaries", {}), review.get("estimate")),
            fields["review"] or "")


def _draft(request: HttpRequest, pk: str) -> tuple[ReportDraft, Keyring]:
    keyring = keyring_required(request)
    draft = get_object_or_404(
        readable_by(ReportDraft.objects.select_related("content_key"), keyring),
        pk=parse_id(pk))
    return draft, keyring


def _prepared_and_checked(
    request: HttpRequest, asked: builder.Asked, keyring: Keyring
) -> tuple[builder.Prepared, list[tuple[str, bool, register.Disclosure]]]:
    """The draft as prepared and as the register allows it. Preparing reads every act in
    scope and runs the redaction model over the summaries (seconds at 100,000 acts), so it
    is kept beside the working set: viewing, reviewing and downloading again reuse it until
    the records (the working set's generation), the laws, local terms or the register of
    published tables change. A review changes only the draft, which is applied afterwards.
    The preparation does not depend on the register, only its check does (milliseconds): a
    download, which registers the draft's tables, does not make the next view prepare again."""
    # The organisation's keys only: a restricted case stays out of every draft.
    organisation = keyring.without_compartments()
    working = _working(request, keyring)
    prepared = working.derived(
        ("draft", asked, outside_the_working_set(published=False)),
        lambda: builder.prepare(working, asked, organisation))
    return working.derived(("draft-checked", asked, outside_the_working_set()),
                           lambda: _drawn_ahead(_checked(prepared, organisation)))


def _drawn_ahead(checked: tuple[builder.Prepared, list[tuple[str, bool, register.Disclosure]]]
                 ) -> tuple[builder.Prepared, list[tuple[str, bool, register.Disclosure]]]:
    builder.draw_figures(checked[0])  # the first download does not wait for the charts
    return checked


def _working(request: HttpRequest, keyring: Keyring) -> workingset.WorkingSet:
    return workingset.for_session(str(request.session.session_key),
                                  keyring.without_compartments())


def _checked(prepared: builder.Prepared, keyring: Keyring
             ) -> tuple[builder.Prepared, list[tuple[str, bool, register.Disclosure]]]:
    """The draft as the register allows it (kalkan.analysis.register): tables that, read
    with those released before, would give a hidden count away get more numbers hidden or
    are left out; with each one's caption, whether it was left out, and the reason."""
    released = register.registered(keyring.without_compartments(), prepared.asked.country)
    audit = register.audit(builder.released(prepared), released)
    captions = {t.table: t.caption for t in prepared.tables}
    changes = [(captions[table], True, problem) for table, problem in audit.refused.items()]
    changes += [(captions[table], False, problem)
                for table, (_better, problem) in audit.coarsened.items()]
    return builder.audited(prepared, audit), changes


@capability_required(Capability.BUILD_REPORTS)
@require_http_methods(["GET", "POST"])
def draft_list(request: HttpRequest) -> HttpResponse:
    keyring = keyring_required(request)
    form = AskForm(request.POST if request.method == "POST" else None, keyring=keyring)
    if form.is_bound and form.is_valid():
        draft = builder.new_draft(keyring, acting_user(request), form.asked())
        _log(request, "draft_created", draft.pk)
        return redirect("drafts:draft", pk=draft.pk)
    rows = []
    page = page_of(request, readable_by(
        ReportDraft.objects.select_related("content_key", "created_by"), keyring
    ).order_by("-created_on", "-revision", "pk"))
    for draft in page:  # only the shown page's drafts are opened
        asked, _review = _opened(draft, keyring)
        rows.append({"draft": draft, "asked": asked, "mechanism": asked.chosen_mechanism.label(),
                     "country": country_name(asked.country)})
    return render(request, "analysis/drafts.html", {"form": form, "rows": rows, "page": page},
                  status=400 if form.is_bound else 200)


def _summary_rows(prepared: builder.Prepared, review: builder.Review) -> list[dict[str, Any]]:
    rows = []
    for number, summary in enumerate(prepared.summaries, 1):
        decisions = review.decisions(summary)
        why = review_hints.reasons(summary.narrative, summary.proposals)
        written_in = review.language(summary)
        rows.append({
            "language": written_in,
            "differs": bool(summary.narrative) and written_in != prepared.asked.language,
            "translation": review.translation(summary),
            "translation_preview": review.translated_text(summary, prepared.asked.language),
            "summary": summary,
            "number": number,
            "facts": builder.facts(summary, prepared.asked.language),
            "reviewed": review.reviewed(summary),
            "left_out": review.left_out(summary),
            "extra": "\n".join(review.typed_words(summary)),
            # The words the tool saw and let stand, to tick (ticked ones stay listed).
            "unhidden": [{"word": word, "ticked": word in review.ticked_words(summary)}
                         for word in review_hints.unhidden(
                             summary.narrative, summary.proposals,
                             already=review.typed_words(summary))],
            "preview": review.text(summary) if summary.narrative else "",
            "items": [
                {"index": i, "finding": finding, "proposed": proposed,
                 "kept": chosen is None, "text": chosen if chosen is not None else proposed,
                 "kind": builder.KIND_LABELS.get(finding.kind, finding.kind),
                 "why": why[i]}
                for i, ((finding, proposed), (_f, chosen))
                in enumerate(zip(summary.proposals, decisions[:len(summary.proposals)],
                                 strict=True))
            ],
        })
    return rows


@capability_required(Capability.BUILD_REPORTS)
@require_GET
def draft_page(request: HttpRequest, pk: str) -> HttpResponse:
    draft, keyring = _draft(request, pk)
    asked, review = _opened(draft, keyring)
    prepared, refusals = _prepared_and_checked(request, asked, keyring)
    _log(request, "draft_viewed", draft.pk)
    pending = sum(1 for s in prepared.summaries if not review.reviewed(s))
    labels = ValueLabels(keyring)
    return render(request, "analysis/draft.html", {
        "draft": draft,
        "asked": asked,
        "mechanism": asked.chosen_mechanism.label(),
        "country": country_name(asked.country),
        "language": LANGUAGE_NAMES[asked.language],
        "prepared": prepared,
        "left_out": left_out_note(prepared.without_statistics_consent),
        "rows": _summary_rows(prepared, review),
        "pending": pending,
        "threshold": gate.threshold(),
        # Languages named in the reader's language (the vocabulary's labels).
        "languages": [(code, vocabulary("language").label(code))
                      for code in builder.NARRATIVE_LANGUAGES],
        "draft_language": vocabulary("language").label(asked.language),
        "formats": [("uwazi", _("ZIP for Uwazi's CSV import")),
                    ("json", _("JSON for the press"))] if asked.for_publication
        else [("docx", "DOCX (Word)"), ("pdf", "PDF"), ("md", "Markdown")],
        "refusals": [(caption, register.reason(problem, labels))
                     for caption, left_out, problem in refusals if left_out],
        "coarsenings": [(caption, register.reason(problem, labels))
                        for caption, left_out, problem in refusals if not left_out],
        "attribute_flags": [flag.text() for flag in prepared.attribute_flags],
        "estimate": _estimate_preview(review, asked.language),
    })


def _estimate_preview(review: builder.Review, language: str) -> list[str]:
    """The paragraphs of the draft's section on the undocumented, as it will read."""
    if not review.estimate:
        return []
    with translation.override(language):
        return [block.text for block in estimate_texts.draft_section(review.estimate)
                if isinstance(block, documents.Paragraph)]


@capability_required(Capability.BUILD_REPORTS)
@require_POST
def review(request: HttpRequest, pk: str) -> HttpResponseBase:
    """Every summary on the page is reviewed at once: for each proposed redaction the
    reviewer kept the placeholder, typed another text, or kept the original words."""
    draft, keyring = _draft(request, pk)
    asked, old = _opened(draft, keyring)
    prepared, _changes = _prepared_and_checked(request, asked, keyring)
    summaries: dict[str, dict[str, Any]] = {}
    too_long = [summary for summary in prepared.summaries
                if len(request.POST.get(f"translation-{summary.id}", "")) > MAX_TRANSLATION]
    if too_long:
        messages.error(request, _(
            "A translation is longer than %(limit)d characters. Shorten it; nothing was "
            "saved.") % {"limit": MAX_TRANSLATION})
        return redirect("drafts:draft", pk=draft.pk)
    for summary in prepared.summaries:
        if request.POST.get(f"fp-{summary.id}") != summary.fingerprint:
            messages.error(request, _(
                "The records changed while you were reviewing. Review the summaries again."))
            return redirect("drafts:draft", pk=draft.pk)
        replacements: list[str | None] = []
        for i, (_finding, proposed) in enumerate(summary.proposals):
            if request.POST.get(f"keep-{summary.id}-{i}") == "1":
                replacements.append(None)
            else:
                typed = request.POST.get(f"text-{summary.id}-{i}", "").strip()[:200]
                replacements.append(typed or proposed)
        extra = [line.strip()[:100] for line in
                 request.POST.get(f"extra-{summary.id}", "").splitlines() if line.strip()]
        # Ticked in the list of words the tool let stand: only words of that list count.
        offered = set(review_hints.unhidden(summary.narrative, summary.proposals, most=None))
        ticked = [word for word in request.POST.getlist(f"hide-{summary.id}")
                  if word in offered]
        written_in = request.POST.get(f"lang-{summary.id}", "")
        summaries[summary.id] = {
            "fingerprint": summary.fingerprint, "replacements": replacements,
            "extra": extra[:30], "ticked": ticked[:review_hints.MOST_UNHIDDEN],
            "leave_out": request.POST.get(f"out-{summary.id}") == "1",
            # Sealed with the rest of the review: a translation is the reviewer's words.
            "language": written_in if written_in in builder.NARRATIVE_LANGUAGES else "",
            "translation": request.POST.get(f"translation-{summary.id}", "").strip(),
        }
    key = open_content_key(draft.content_key, keyring)
    write(draft, key, review=json.dumps(
        {"summaries": summaries, "reviewed_by": acting_user(request).username,
         "reviewed_on": timezone.localdate().isoformat(),
         # The estimate added from the estimation page stays with the draft.
         **({"estimate": old.estimate} if old.estimate else {})}, ensure_ascii=False))
    _log(request, "draft_reviewed", draft.pk, summaries=len(summaries))
    messages.success(request, _("The review is saved."))
    return redirect("drafts:draft", pk=draft.pk)


@capability_required(Capability.BUILD_REPORTS)
@require_POST
def download(request: HttpRequest, pk: str) -> HttpResponseBase:
    draft, keyring = _draft(request, pk)
    asked, saved, saved_text = _opened_with_text(draft, keyring)
    if asked.for_publication:
        return _download_publication(request, draft, keyring, asked, saved)
    kind = request.POST.get("format", "")
    if kind not in FORMATS:
        messages.error(request, _("Choose DOCX, PDF or Markdown."))
        return redirect("drafts:draft", pk=draft.pk)
    appendix = request.POST.get("appendix") == "1"
    prepared, refusals = _prepared_and_checked(request, asked, keyring)
    # The same file again while nothing it is made of changed (the draft's review, what
    # the register let through, the records, the day it is dated): drawing the charts and
    # laying out the file is most of a download. Kept in memory beside the working set, as
    # the records themselves are; never on disk.
    today = timezone.localdate()
    made_of = (
        "draft-file", draft.pk, hashlib.sha256(saved_text.encode()).hexdigest(), kind,
        appendix, today, outside_the_working_set(published=False),
        hashlib.sha256("".join(t.as_json() for t in builder.released(prepared)).encode())
        .hexdigest())
    try:
        body = _working(request, keyring).derived(
            made_of, lambda: _file(builder.document(prepared, saved, appendix=appendix,
                                                    today=today), kind))
    except ValueError:
        messages.error(request, _("Review every case summary before downloading the draft."))
        return redirect("drafts:draft", pk=draft.pk)
    key = open_content_key(draft.content_key, keyring)
    with transaction.atomic():  # the provenance and the register, or neither
        write(draft, key, provenance=json.dumps(builder.provenance(prepared, saved)))
        # What leaves is remembered, so that no later draft can be subtracted from it.
        register.remember(keyring.without_compartments(), draft, builder.released(prepared),
                          today.isoformat())
    _log(request, "draft_downloaded", draft.pk, format=kind, appendix=appendix,
         tables_changed=len(refusals))
    content_type, extension = FORMATS[kind]
    response = HttpResponse(body, content_type=content_type)
    name = f"{asked.mechanism}-{asked.country}-{asked.year_from}-{asked.year_to}"
    response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    return response


def _download_publication(request: HttpRequest, draft: ReportDraft, keyring: Keyring,
                          asked: builder.Asked, saved: builder.Review) -> HttpResponseBase:
    """The reviewed case summaries of a selection for publication, for Uwazi or the press.
    No table leaves this way (only the summaries, which the gate made k-anonymous), so the
    register of published tables is not involved; which acts were published is kept with
    the draft, as a draft's provenance is."""
    kind = request.POST.get("format", "")
    if kind not in PUBLICATION_FORMATS:
        messages.error(request, _("Choose the ZIP for Uwazi or the JSON for the press."))
        return redirect("drafts:draft", pk=draft.pk)
    prepared, _changes = _prepared_and_checked(request, asked, keyring)
    today = timezone.localdate()
    make = publication.uwazi_zip if kind == "uwazi" else publication.press_json
    try:
        body = make(prepared, saved, today)
    except ValueError:
        messages.error(request, _("Review every case summary before downloading the draft."))
        return redirect("drafts:draft", pk=draft.pk)
    key = open_content_key(draft.content_key, keyring)
    write(draft, key,
          provenance=json.dumps(builder.provenance(replace(prepared, tables=[]), saved)))
    _log(request, "publication_downloaded", draft.pk, format=kind,
         cases=sum(1 for s in prepared.summaries if not saved.left_out(s)))
    content_type, extension = PUBLICATION_FORMATS[kind]
    response = HttpResponse(body, content_type=content_type)
    name = f"publication-{asked.country}-{asked.year_from}-{asked.year_to}"
    response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    return response


def _file(document: documents.Draft, kind: str) -> bytes:
    if kind == "docx":
        return documents.to_docx(document)
    if kind == "pdf":
        return documents.to_pdf(document)
    return documents.to_markdown(document).encode("utf-8")
