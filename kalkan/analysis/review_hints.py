"""What the review screen tells a reviewer about the redaction tool's doubts.

A reviewer who trusts a tool that finds nine names in ten misses the tenth. So the review
screen says, for each proposal, *why* it was found (``why``: "given-name list", "cue word
'по кличке'", "phone pattern", "another mention of a name found here", …), and lists the
capitalised and quoted words the tool did *not* hide (``unhidden``), for the reviewer to
tick: a ticked word is hidden in every mention, like a word typed in "also hide these words".

This reads the recognisers' word lists and patterns (kalkan.analysis.redaction) but does not
change what they find: ``redaction.find`` stays the one answer to "what is personal data".
The reasons are the recognisers' own evidence, re-read after the fact: when several apply
(a name in the list *and* after "участковый") all are given; when none of the lists or cues
explain a name, it was the language model's guess, which is the least sure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.utils.translation import gettext as _

from kalkan.analysis import redaction
from kalkan.analysis.redaction import Decision, Finding

# Most words worth a reviewer's look in one story; more is a list nobody reads.
MOST_UNHIDDEN = 30
_QUOTED = re.compile(r"«([^»\n]{1,60})»|“([^”\n]{1,60})”|\"([^\"\n]{1,60})\"")
_SENTENCE_GAP = re.compile(r"(?:^|[.!?…:;\n])[\s\"«(\-–—]*$")


def _quote(word: str) -> str:
    return f"“{word}”"


def _word_before(text: str, start: int) -> tuple[str, int]:
    """The word right before `start` (only spaces between) and where it starts."""
    match = re.search(r"([^\W\d_]+)[ \u00a0]+$", text[:start])
    return (match.group(1), match.start(1)) if match else ("", start)


def _person_reasons(text: str, finding: Finding, others: Sequence[Finding]) -> list[str]:
    lex = redaction._lexicon()
    lookup = redaction._lookup
    reasons: list[str] = []
    before, where = _word_before(text, finding.start)
    if before and lookup(before) in redaction._NICKNAME_CUES:
        earlier, _at = _word_before(text, where)
        cue = f"{earlier} {before}" if earlier and len(earlier) <= 3 else before
        reasons.append(_("cue word %(cue)s") % {"cue": _quote(cue)})
    elif before and lookup(before) in redaction._TITLES:
        reasons.append(_("title or cue word %(cue)s") % {"cue": _quote(before)})
    after = re.match(r"[ \u00a0]+([^\W\d_]+)", text[finding.end:])
    if after and lookup(after.group(1)) in redaction._NAMED_AFTER:
        reasons.append(_("cue word %(cue)s") % {"cue": _quote(after.group(1))})
    for word in redaction._WORD.findall(finding.text):
        low = lookup(word)
        if len(word) < 2:
            continue
        latin = not redaction._is_cyrillic(low)
        key = redaction.skeleton(redaction._latin_base(low)) if latin else low
        if redaction._is_connector(low):
            found = _("patronymic word %(word)s") % {"word": _quote(word)}
        elif low in lex.surnames or key in lex.surnames:
            found = _("family-name list")
        elif redaction._surname_base(low, strong_only=True) is not None:
            found = _("family-name ending")
        elif redaction._first_lemma(low, lex) is not None:
            found = _("given-name list")
        elif redaction._GIVEN_ENDING.match(low):
            found = _("ending of a Central Asian given name")
        elif redaction._surname_base(low) is not None:
            found = _("family-name ending")
        else:
            continue
        if found not in reasons:
            reasons.append(found)
    keys = redaction.name_keys(finding.text)
    longer = [other for other in others if other.kind == "person" and other != finding
              and len(other.text) > len(finding.text)
              and redaction.same_person(keys, redaction.name_keys(other.text))]
    if longer:
        reasons.append(_("another mention of a name found here (%(name)s)") % {
            "name": longer[0].text})
    if not reasons:
        reasons.append(_("the language model read it as a name (least sure)")
                       if redaction._CYRILLIC.search(text)
                       else _("written like a name, beside other names (least sure)"))
    return reasons


def why(text: str, finding: Finding, others: Sequence[Finding] = ()) -> str:
    """Why the tool proposes hiding `finding`, in the active language."""
    kind = finding.kind
    if kind == "person":
        return "; ".join(_person_reasons(text, finding, others))
    if kind == "phone":
        return _("phone pattern")
    if kind == "email":
        return _("e-mail pattern")
    if kind == "handle":
        if finding.text.startswith("@") or "/" in finding.text:
            return _("@handle or profile link")
        return _("nickname given as such (“под ником”, “деген ат”)")
    if kind == "id_number":
        window = text[max(0, finding.start - 40):finding.start]
        if redaction._ID_CONTEXT.search(window + finding.text):
            return _("number after a word such as “паспорт” or “ИИН”")
        return _("passport or ID number pattern")
    if kind == "plate":
        return _("vehicle plate pattern")
    if kind == "address":
        return _("street or microdistrict with a house number")
    if kind == "birth_date":
        return _("date beside “born” (родился, туулган, туған) or right after a name")
    if kind == "place":
        return _("place named more precisely than the summary shows it")
    return _("found by the tool")


def reasons(text: str, proposals: Sequence[Decision]) -> list[str]:
    """`why` for each proposal, in order."""
    findings = [finding for finding, _replacement in proposals]
    return [why(text, finding, findings) for finding in findings]


def unhidden(text: str, proposals: Sequence[Decision], already: Sequence[str] = (),
             most: int | None = MOST_UNHIDDEN) -> list[str]:
    """Capitalised words and quoted words that no proposal covers: what the tool saw and
    let stand, the words most worth a second look. Common words (the stop list), the
    abbreviations of institutions (МВД, LGBT), words at the start of a sentence that the
    stop list knows, and words the reviewer already hides are left out."""
    if not text:
        return []
    lex = redaction._lexicon()
    taken = [(f.start, f.end) for f, _r in proposals]
    hidden = {word.casefold() for word in already}
    out: list[str] = []
    seen: set[str] = set()

    def add(word: str, start: int, end: int) -> None:
        key = word.casefold()
        if key in seen or key in hidden or any(a < end and start < b for a, b in taken):
            return
        seen.add(key)
        out.append(word)

    for match in _QUOTED.finditer(text):
        group = next(g for g in range(1, 4) if match.group(g))
        add(match.group(group).strip(), match.start(group), match.end(group))
    for match in redaction._WORD.finditer(text):
        word = match.group()
        if len(word) < 2 or not word[0].isupper():
            continue
        if word.isupper() and len(word) <= 5:
            continue  # МВД, ГКНБ, LGBT, ОВД
        low = redaction._lookup(word)
        if low in lex.stop or low.replace("’", "'") in lex.stop:
            continue
        if redaction._is_place(low, lex):
            continue  # a place the summary shows anyway: others are proposed as [place]
        if _SENTENCE_GAP.search(text[:match.start()]) and redaction._NOT_NAME_END.search(low):
            continue  # "Задержанный", "Пришли" at the start of a sentence
        add(word, match.start(), match.end())
    return out[:most]
