"""Automatic redaction of personal data in narratives written in Russian, Kyrgyz, Kazakh or
English (or a mix of them).

What is found (``Finding.kind``):

- ``person``: personal names. Natasha's Russian NER model (PER) runs on the text after a
  one-to-one fold of the Kazakh and Kyrgyz letters (ә→а, қ→к, ү→у, …: the model was trained
  on Russian and misses names holding those letters; the fold keeps every offset valid), and
  a recogniser of its own adds what the model cannot see: names in Latin letters, names in
  Kyrgyz and Kazakh sentences, names with case endings. It knows given names from Natasha's
  list (also transliterated to Latin) and data/redaction_names.txt, family names by their
  endings (-ов/-ова/-ев/-ин/-уулу/-кызы/-қызы/-ұлы, -ov/-ova/-uulu/-kyzy/-uly, …), the
  endings of Central Asian given names (-бек, -гүл, -жан, …), titles ("участковый Сыдыков",
  "Officer Kim"), and every later mention of a name it has found ("Тилкан Ермеков" makes
  "Тилканды" a name). Words in data/redaction_stopwords.txt, places from the gazetteer and
  the capitalised words before "РОВД", "district", "crisis centre" and the like are not
  names. A narrative typed all in lower case is read with the same lists, more cautiously:
  a given name the lists know and that is not an everyday word (data/redaction_names.txt,
  [common]). Diminutives are read back to their names ("Ленке", "вовчика", "Аселек").
  And the sentence's grammar names people no list knows (``_cues``): a word after
  "зовите меня", "по кличке", "known only as", "Preferred name:", "аты", before "деп
  атайды" or ", 29 жашта", a chat speaker on two lines, the vocative opening a quoted
  message; after a kinship word, greeting or before an honorific ("подруги …", "my uncle
  …", "… байке") if the word can be a given name or a short form of one.
- ``phone``: Kyrgyz (+996, 0 555 …), Kazakh and Russian (+7, 8 7xx/9xx …), Uzbek (+998) and
  Tajik (+992) numbers, with spaces, dashes or brackets, and a number of any other country
  written with its country code ("+49 1523 …", "0090 532 …": the ``phonenumbers`` package
  knows every country's codes and lengths).
- ``email``; ``handle``: @handles, t.me/…, instagram.com/…, vk.com/… and other profile
  links, and nicknames given as such ("под ником «sunny_boy»", "«nurik» деген ат менен").
- ``id_number``: passports (KG AN/AC/ID + 7 digits, KZ N + 8 digits, RU series and number),
  the Kazakh IIN (12 digits: a plausible birth date and the official check digit, see
  ``iin_is_valid``), the Kyrgyz PIN (14 digits), and any number written after "паспорт",
  "ИИН", "ЖСН", "ПИН", "удостоверение личности", "ID" and the like.
- ``plate``: vehicle plates (KG "01 123 ABC", "B 1234 AB"; KZ "123 ABC 02"; RU "А123ВС 77").
- ``address``: a street, avenue or microdistrict with a house number (ул. Токтогула, д. 45,
  кв. 12; Токтогул көчөсү, 45-үй; Абай даңғылы 10; 12 Chui Avenue), or "дом 5, кв. 7";
  Kazakh and Kyrgyz forms ("Сайран ш/а, 14-үй, 9-пәтер", "Ак-Өргө ж/м, 5-көчө, 12",
  "12-мкр, 8-үй, 33-батир"), a microdistrict with building and flat ("Аламедин-1, 34-17"),
  and a street name with a number but no street word ("Ахунбаева 97, кв 3"), not when the
  number is an age, a sum or a date.
- ``birth_date``: a date (or a year) next to "родился", "д.р.", "г.р.", "туулган", "туған",
  "born", …, or a full date right after a person's name. Other dates stay: when something
  happened is the evidence.

API::

    find(text, language=None) -> list[Finding]      # sorted, never overlapping
    propose(text, language=None) -> list[Decision]  # each finding with its placeholder
    apply(text, decisions) -> str                   # decisions: [(Finding, str | None)]
    apply(text, findings, pseudonyms=None) -> str   # findings: [Finding], placeholders
    redact(text, language=None) -> str              # find + apply, all accepted
    Pseudonyms(language=None).replacement(finding) -> str
    iin_is_valid(number) -> bool
    warm_up()                                       # load the model now, not on first use

A review screen calls ``propose`` and shows each finding with its placeholder; the reviewer
accepts it, edits the replacement text, or rejects it (replacement None: the original
stays), and ``apply(text, decisions)`` builds the redacted text. ``language`` is the
narrative's language (ru, ky, kk, en; guessed from the letters when None): the model's
spans are trusted less in Kyrgyz and Kazakh sentences, and the placeholders come in that
language ("Person A", "[phone]", … are English msgids for Django's gettext). Within one
``Pseudonyms`` (one document) each person keeps one letter across spellings and case
endings: "Азамат Токтогулов", "Азамат", "Токтогулову", "Азаматтын" and "Azamat Toktogulov"
are all "Person A"; two people who share only a given name get two letters.

What it misses (see benchmarks/redaction.py for figures): a given name or nickname that no
list knows and no cue introduces, written alone and never with a family name (in Latin
letters especially, where the Russian model cannot help, and with a Turkic ending:
"Dinamen"); short names that are also words in lower-case text ("данаға"); formats of
numbers it was not told about.
Every redaction is for a person to review before anything leaves the system.

The model and the lists load once per process, on first use, under a lock; after that
``find`` is safe to call from several threads. Nothing here writes or logs any text, and no
word of a narrative is kept once a call returns. For the throughput measured by the
benchmark, run the process with OPENBLAS_NUM_THREADS=1: the model's matrices are small, and
on a busy machine OpenBLAS's threads cost it more than they save.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeAlias

from django.utils import translation
from django.utils.translation import gettext

from kalkan.records.names import skeleton

KINDS = ("person", "phone", "email", "handle", "id_number", "plate", "address", "birth_date")


@dataclass(frozen=True)
class Finding:
    """Personal data at text[start:end]."""

    start: int
    end: int
    kind: str
    text: str


# A reviewer's decision on a finding: the text to put in its place, or None to keep it.
Decision: TypeAlias = tuple[Finding, str | None]

_DATA = Path(__file__).with_name("data")

# --- letters --------------------------------------------------------------------------------

# One character for one character, so that offsets in the folded text are offsets in the
# original: Natasha's model and the Russian name list know only the Russian alphabet.
_FOLD = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкноуухиАГКНОУУХИ")
_LOOKUP_FOLD = str.maketrans("әғқңөұүһіёӘҒҚҢӨҰҮҺІЁ", "агкноуухиеАГКНОУУХИЕ")
# Kazakh in the Latin alphabet of 2021 ("Baqytjannyń", "Ǵalym"), Turkish and Uzbek letters:
# their base letters, for case endings to be stripped.
_LATIN_FOLD = str.maketrans({"á": "a", "ǵ": "g", "ı": "y", "ń": "n", "ó": "o", "ú": "u",
                             "ý": "u", "ş": "sh", "ç": "ch", "ö": "o", "ü": "u", "ğ": "g",
                             "ñ": "n", "ä": "a"})
_CYRILLIC = re.compile(r"[А-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]")
_KAZAKH_ONLY = re.compile(r"[ӘәҒғҚқҰұҺһІі]")
_KYRGYZ = re.compile(r"[ӨөҮүҢң]")

_UP = "A-ZА-ЯЁӘҒҚҢӨҰҮҺІ"
_LETTER = r"[^\W\d_]"
_WORD = re.compile(rf"{_LETTER}+(?:['’\-]{_LETTER}+)*")


def _lookup(word: str) -> str:
    return word.lower().translate(_LOOKUP_FOLD)


def _is_cyrillic(word: str) -> bool:
    return bool(_CYRILLIC.match(word))


def _guess_language(text: str) -> str:
    if _KAZAKH_ONLY.search(text):
        return "kk"
    if _KYRGYZ.search(text):
        return "ky"
    return "ru" if _CYRILLIC.search(text) else "en"


# Short words that nearly every sentence of a language holds and the others do not.
_FUNCTION_WORDS = {
    "ru": frozenset({"и", "в", "во", "не", "на", "с", "со", "что", "его", "её", "ее", "по", "за",
                     "из", "у", "к", "от", "о", "об", "а", "но", "как", "это", "был", "была",
                     "были", "меня", "мне", "он", "она", "они", "без", "для", "при", "до",
                     "после", "через", "когда", "где", "их", "уже", "только"}),
    "ky": frozenset({"жана", "менен", "деп", "жок", "бир", "бул", "үчүн", "эмес", "болуп",
                     "анын", "мени", "биз", "алар", "ал", "мурун", "кийин", "кетти", "болгон",
                     "дагы"}),
    "kk": frozenset({"және", "мен", "деп", "жоқ", "бір", "бұл", "үшін", "емес", "болып", "оның",
                     "мені", "біз", "олар", "ол", "бұрын", "кейін", "кетті", "болған", "тағы"}),
}


def language_of(text: str) -> str:
    """The language a narrative is mostly written in (ru, ky, kk or en), by its words: a
    Russian story naming "Жаңаөзен" stays Russian, an English one quoting "Сыдыков" stays
    English. Drafts say so when a case summary is not in the draft's language."""
    words = [word.lower() for word in _WORD.findall(text)]
    cyrillic = [word for word in words if _CYRILLIC.search(word)]
    if not cyrillic or len(cyrillic) < len(words) - len(cyrillic):
        return "en"
    score = {language: sum(1 for word in cyrillic if word in known)
             for language, known in _FUNCTION_WORDS.items()}
    # A letter Russian lacks counts for the language that has it.
    score["kk"] += sum(1 for word in cyrillic if _KAZAKH_ONLY.search(word))
    score["ky"] += sum(1 for word in cyrillic
                       if _KYRGYZ.search(word) and not _KAZAKH_ONLY.search(word))
    best = max(("ru", "ky", "kk"), key=lambda language: score[language])
    return best if score[best] > score["ru"] else "ru"


# --- models and word lists (loaded once per process) ----------------------------------------


@dataclass(frozen=True)
class _Lexicon:
    first: frozenset[str]  # given names, Cyrillic (folded, lower case)
    first_latin: frozenset[str]  # given names, as skeletons (kalkan.records.names)
    ambiguous: frozenset[str]  # given names that are also words: Cyrillic and skeletons
    surnames: frozenset[str]  # Cyrillic (folded) and skeletons
    common: frozenset[str]  # names that are everyday words when written in lower case
    stop: frozenset[str]  # folded lower case, Cyrillic and Latin
    places: frozenset[str]  # folded lower case, Cyrillic and Latin
    # The first three to five letters of given names (Cyrillic and skeletons) that begin two
    # names or more: "бек" (Бекзат, Бекжан), "сейт", "bol": the stems of short forms.
    stems: frozenset[str]
    # Given names that are also English words ("Will", "Grace"), as skeletons.
    ambiguous_latin: frozenset[str] = frozenset()


_LOCK = threading.Lock()
_LEXICON: _Lexicon | None = None
_NER: Any = None


def _words_of(path: Path) -> Iterable[tuple[str, str]]:
    """(section, word) for every word of a data file."""
    section = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        for word in line.split():
            yield section, _lookup(word)


def _place_words() -> set[str]:
    import csv

    from kalkan.records import gazetteer

    words: set[str] = set()
    with (Path(gazetteer.__file__).with_name("data") / "places.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for language in ("en", "ru", "ky", "kk"):
                for word in _WORD.findall(row[language]):
                    if word[:1].isupper() and len(word) >= 2:
                        words.add(_lookup(word))
    return words


def _load_lexicon() -> _Lexicon:
    from natasha.data import FIRST, MAYBE_FIRST

    def dictionary(path: str) -> set[str]:
        with open(path, encoding="utf-8") as f:
            return {_lookup(line.split("#", 1)[0].strip()) for line in f} - {""}

    first = dictionary(FIRST)
    # Natasha's list holds stems and fragments of two or three letters ("саш", "ка"); a name
    # that short is only believed beside another name.
    ambiguous = dictionary(MAYBE_FIRST) | {name for name in first if len(name) <= 3}
    own: dict[str, set[str]] = {"first": set(), "surname": set(), "ambiguous": set(),
                                "common": set()}
    for section, word in _words_of(_DATA / "redaction_names.txt"):
        own[section].add(word.replace("'", ""))
    # Our own list knows better than Natasha's "maybe" list: Султан is a name here.
    ambiguous = (ambiguous - own["first"]) | own["ambiguous"] | _month_forms()
    first = (first | {w for w in own["first"] if _is_cyrillic(w)})
    latin_first = {w for w in own["first"] if not _is_cyrillic(w)}
    stop = {word for _, word in _words_of(_DATA / "redaction_stopwords.txt")}
    first -= stop | ambiguous
    first_latin = {skeleton(name) for name in first | latin_first} - {""}
    latin_ambiguous = {skeleton(w) for w in ambiguous if not _is_cyrillic(w)}
    first_latin -= {skeleton(word) for word in stop if word.isascii()} | latin_ambiguous
    # A Cyrillic "maybe" name in Latin letters is ambiguous only where no sure name is
    # spelled the same ("юля" and "Юлия" are both "iulia").
    ambiguous_keys = ambiguous | latin_ambiguous | (
        {skeleton(w) for w in ambiguous if _is_cyrillic(w)} - first_latin)
    surnames = own["surname"]
    return _Lexicon(
        first=frozenset(first),
        first_latin=frozenset(first_latin),
        ambiguous=frozenset(ambiguous_keys),
        surnames=frozenset(surnames | {skeleton(word) for word in surnames}),
        common=frozenset(own["common"] | {skeleton(word) for word in own["common"]}),
        stop=frozenset(stop),
        places=frozenset(_place_words() | {p for _, p in _words_of(_DATA / "redaction_places.txt")}
                         | {skeleton(p) for _, p in _words_of(_DATA / "redaction_places.txt")}),
        stems=frozenset(_name_stems(first, first_latin)),
        ambiguous_latin=frozenset(latin_ambiguous),
    )


def _name_stems(first: set[str], first_latin: set[str]) -> set[str]:
    from collections import Counter

    counts: Counter[str] = Counter()
    for name in first | first_latin:
        for n in range(3, min(6, len(name) - 1)):
            counts[name[:n]] += 1
    return {stem for stem, count in counts.items() if count >= 2}


_MONTHS_WRITTEN = (
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря "
    "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь "
    "қаңтар ақпан наурыз сәуір мамыр маусым шілде тамыз қыркүйек қазан қараша желтоқсан "
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec")
_MONTH_WORDS = frozenset(_lookup(month) for month in _MONTHS_WRITTEN.split())


def _month_forms() -> set[str]:
    """Months in the cases a narrative uses them ("марта", "мартында", "наурызда"): Марта
    and Май are names too, so these are only names beside another name."""
    stems = ("январ", "феврал", "март", "апрел", "май", "мая", "июн", "июл", "август", "сентябр",
             "октябр", "ноябр", "декабр", "каңтар", "акпан", "наурыз", "сауир", "мамыр",
             "маусым", "шилде", "тамыз", "кыркуйек", "казан", "караша", "желтоксан")
    endings = ("", "ь", "я", "а", "е", "ю", "у", "ом", "ем", "ында", "инде", "унда", "уында",
               "ынан", "та", "те", "да", "де", "ты", "ти", "тын", "тин", "ка", "ке", "га", "ге")
    return {_lookup(stem + ending) for stem in stems for ending in endings}


def _lexicon() -> _Lexicon:
    global _LEXICON
    if _LEXICON is None:
        with _LOCK:
            if _LEXICON is None:
                _LEXICON = _load_lexicon()
    return _LEXICON


def _ner() -> Any:
    global _NER
    if _NER is None:
        with _LOCK:
            if _NER is None:
                # Only the embeddings and the NER head: Natasha's morphology needs pymorphy2,
                # which does not run on Python 3.11, and is not needed to find spans.
                from natasha import NewsEmbedding, NewsNERTagger

                _NER = NewsNERTagger(NewsEmbedding())
    return _NER


def warm_up() -> None:
    """Load the model and the word lists now rather than on the first narrative."""
    _lexicon()
    _ner()


# --- regular recognisers --------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    kind: str


_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
                    r"\.[A-Za-z]{2,}")
_PROFILE = re.compile(
    r"(?<![\w/])(?:https?://)?(?:www\.|m\.)?"
    r"(?:t\.me|telegram\.me|instagram\.com|instagr\.am|vk\.com|facebook\.com|fb\.com|"
    r"tiktok\.com|twitter\.com|x\.com|ok\.ru|threads\.net|youtube\.com|linkedin\.com/in)"
    r"/[A-Za-z0-9_.@\-/?=%]*[A-Za-z0-9_]",
    re.IGNORECASE,
)
_AT_HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,30}[A-Za-z0-9_])?")
# A nickname introduced as such: "под ником sunny_boy", "в Hornet: nurik_95", "ник аты Ali_k".
_NICK = re.compile(
    r"(?:\bник(?:ом|нейм(?:ом)?|у)?|\bникнейм\w*|\bлогин(?:ом)?|\busername|\bnickname|\bnick"
    r"|\bпрофил\w*|\bаккаунт\w*|\baccount|\bprofile|\bлақап\s+аты\w*|\bник\s+аты\w*"
    r"|\b(?:hornet|grindr|tinder|telegram\w*|instagram\w*|телеграм\w*|инстаграм\w*|tiktok\w*)"
    r"\s*(?:[-–—:]|\(|,))"
    r"\s*(?:[-–—:]\s*)?[«\"“']?(?=[A-Za-z0-9_.]*[A-Za-z])([A-Za-z0-9_.]{3,32}[A-Za-z0-9_])",
    re.IGNORECASE,
)

# A login written bare: letters and digits joined by an underscore ("steppe_boy_88",
# "dark_prince_996"): no word of any of the four languages is written so.
_UNDERSCORED = re.compile(r"(?<![\w@./:-])[A-Za-z][A-Za-z0-9]*(?:_+[A-Za-z0-9]+)+(?![\w@])")

_NOT_NICKNAMES = frozenset({"the", "and", "with", "from", "was", "his", "her", "that", "this",
                            "account", "profile", "app", "chat"})
# A nickname in quotes: one that looks like a login ("«sunny_boy»", "«nurik95»"), or any
# Latin word that Kyrgyz or Kazakh calls a name ("«lolakg» деген ат менен").
_QUOTED_HANDLE = re.compile(r"[«\"“']([A-Za-z][A-Za-z0-9]*[_.][A-Za-z0-9_.]*[A-Za-z0-9]"
                            r"|[A-Za-z][A-Za-z_.]*\d+)[»\"”']"
                            r"|[«\"“']([A-Za-z0-9_.]{3,32})[»\"”']\s+деген")

_PHONE_CANDIDATE = re.compile(r"(?<![\w+])\+?\s?\(?\d[\d\s\-()\u00a0]{6,22}\d(?![\w])")
_PHONE_GROUP = re.compile(r"\+?\(?\d+\)?")

_KG_PASSPORT = re.compile(r"(?<!\w)(?:AN|AC|ID|АН|АС|an|ac|id|ан|ас)\s?№?\s?\d{7}(?!\w)")
_KZ_PASSPORT = re.compile(r"(?<!\w)[NНnн]\s?\d{8}(?!\w)")
_RU_PASSPORT = re.compile(r"(?<![\w+])\d{2}\s?\d{2}\s(?:№\s?)?\d{6}(?![\w])")
_DIGITS_12_14 = re.compile(r"(?<![\w+])\d{12}(?:\d{2})?(?![\w])")
_ID_CONTEXT = re.compile(
    r"(?:паспорт\w*|ИИН|ЖСН|ПИН|ИНН|IIN|PIN|ID|passport|удостоверени\w*|жеке\s+куәлі\w*"
    r"|төлқұжат\w*|ID[- ]?card|ID-карт\w*|айди"
    # any identity document: "куәлік", "күбөлүк", "вид на жительство", "residence permit",
    # "driving licence", "ВНЖ", "СНИЛС", whatever the number's format
    r"|куәлі\w*|күбөлүг\w*|күбөлүк\w*|вод\.\s+удостоверени\w*|вид\w*\s+на\s+жительство|ВНЖ"
    r"|СНИЛС|residence\s+permit|licen[cs]e|permit|SSN|national\s+insurance)"
    r"(?:\s+(?:серии|серия|номер|номери|нөмірі|личности|куәлігі|no\.?|number|card|№))?"
    r"\s*[:№#(]?\s*(?:№\s*)?"
    r"([A-ZА-Я]{0,3}[\s-]?\d[\d -]{4,16}\d)(?![\w])",
    re.IGNORECASE,
)

_PLATE_LETTER = "ABEKMHOPCTYXАВЕКМНОРСТУХ"
_PLATE_SOURCES = [
    r"(?<![\w])\d{2}\s?(?:KG\s?)?\d{3}\s?[A-Z]{3}(?![\w])",  # KG, 2014 on
    r"(?<![\w])\d{3}\s?[A-Z]{2,3}\s?\d{2}(?![\w])",  # KZ

    rf"(?<![\w])[{_PLATE_LETTER}]\s?\d{{4}}\s?[{_PLATE_LETTER}]{{2}}(?![\w])",  # KG, older
    rf"(?<![\w])[{_PLATE_LETTER}]\s?\d{{3}}\s?[{_PLATE_LETTER}]{{2}}\s?\d{{2,3}}(?![\w])",  # RU
    r"(?<![\w])[A-Z]\s?\d{3}\s?[A-Z]{2,3}\s?\d{2}(?![\w])",  # KZ, before 2012
]
_NOT_PLATE = re.compile(r"USD|EUR|KGS|KZT|RUB|SOM|GBP|CNY|TRY|UZS|TJS", re.IGNORECASE)
# A Kazakh plate with its letters typed in Cyrillic look-alikes ("719ВНА10"): capitals only,
# and not a unit or a word in capitals ("100 СОМ 20").
_CYRILLIC_PLATE = re.compile(r"(?<![\w])\d{3}\s?([АВЕКМНОРСТУХ]{2,3})\s?\d{2}(?![\w])")
_NOT_CYRILLIC_PLATE = frozenset({"СОМ", "КМ", "СМ", "НА", "НЕ", "ОТ", "ТО", "МЕН", "СЕН", "ЕМУ",
                                 "ВСЕ", "КТО", "ХА", "ОХ", "АХ", "ТЕХ", "ТЕМ", "НАС", "ВАС"})

# Street types are matched in any case, names only with a capital letter.
_STREET_BEFORE = (
    r"(?i:ул\.|ул(?=\s)|улиц[аеуы]|пр\.|пр-т|пр-кт|просп\.|проспект[аеу]?|пер\.|переул(?:ок|ке|ка)"
    r"|б-р|бул\.|бульвар[аеу]?|мкр\.?|мкрн\.?|микрорайон[аеу]?|м-н|ж/м|жилмассив[аеу]?"
    r"|жк|шоссе|тракт|street|st\.|avenue|ave\.|microdistrict"
    # typed in Latin letters: "ul. Mira 33", "prospekt Manasa 12"
    r"|ul\.|ulitsa|ulica|prosp\.|prospekt)"
)
_STREET_AFTER = (
    r"(?i:көчөсү\w*|көч\.|көшесі\w*|көш\.|даңғылы\w*|проспектиси\w*|проспекті\w*"
    r"|кичи\s+району\w*|кичирайону\w*|шағын\s+аудан\w*|м-ны|бульвары\w*|тыкыры\w*"
    r"|тұйығы\w*|к-сі|к-си|к-сү"
    # Kyrgyz and Kazakh in Latin letters: "Kenesary koshesi 40", "Manas prospektisi 12"
    r"|ko[sc]hes[iі]\w*|k[óö]shes[iі]\w*|kocho?su\w*|k[öó]ch[öó]s[üu]\w*|dang?g?h?yly\w*"
    r"|dańǵyly\w*|prospektis[iі]\w*)"
)
_NAME_WORD = rf"[{_UP}][\w'’.-]*"
# After a street type: up to three words ("Байтик Баатыра", "Джал-29", "8 Марта").
_STREET_NAME = (
    rf"(?:\d{{1,2}}-?(?:й|я|го|ой)?\s)?(?:{_NAME_WORD}|\d{{1,2}}-?[{_UP}][\w-]*)"
    rf"(?:\s(?:{_NAME_WORD}|би|батыр\w*|баатыр\w*|ата|хан\w*|датка\w*|жырау|ақын|акын)){{0,2}}"
)
# Before a Kyrgyz or Kazakh street type: one word, or two in the usual compounds ("Жибек
# Жолу", "Төле би"), so that a name just before an address stays a name.
_STREET_NAME_BEFORE_TYPE = (
    rf"[{_UP}][\w'’-]*(?:\s(?:[Жж]олу|[Жж]олы|[Бб]и|[Бб]аатыр\w*|[Бб]атыр\w*|[Аа]та"
    rf"|[Хх]ан\w*|[Дд]атка|[Жж]ырау|[Аа]қын|[Аа]кын))?"
)
_HOUSE = (
    r"(?:,?\s*(?i:д\.|дом|house|h\.|үй|No\.?|№|bldg\.?|building)?\s*\d{1,4}(?:[а-яa-z](?!\w))?"
    r"(?:/\d{1,4})?(?:-?\s?(?i:үй|й|ui|úi|uy|üy)(?!\w))?)"
)
_FLAT = (
    r"(?:,?\s*(?i:кв\.|кв(?=\s)|квартир[аеуы]|кв-ра|apt\.?|apartment|flat|батир\w*|пәтер\w*"
    r"|бөлмө|комн\.?|kv\.|kv(?=\s)|kvartira|pater\w*|páter\w*|batir\w*)\s*\d{1,4}"
    r"|,?\s*\d{1,4}-?\s?(?i:батир|пәтер|квартира|кв\.?|pater|páter|batir|kvartira|kv\.?)\w*"
    r"|-\d{1,4}(?!\d))?"
)
_ENGLISH_STREET = (r"(?:(?i:street|st\.|avenue|ave\.|road|rd\.|lane|boulevard|blvd\.|prospect)"
                   r"|St(?![A-Za-z])|Ave(?![A-Za-z]))(?![a-z])")
# Before an English street word: capitalised words, and the titles of the people streets are
# named after as people write them ("Tauke khan avenue", "Kabanbay batyr Avenue").
_ENGLISH_STREET_NAME = (r"(?:[A-Z][a-z'-]+\s(?:(?:khan|batyr|baatyr|bi|ata|datka|zholu|jolu)"
                        r"\s)?){1,3}")
# What may follow the flat: the floor, the entrance, an office or a room ("3-кабат", "этаж 4",
# "entrance 3", "office 12", "подъезд 2").
_UNIT = (r"(?:,?\s*(?:\d{1,3}-?\s?(?i:кабат\w*|қабат\w*|этаж\w*|подъезд\w*|floor)"
         r"|(?i:этаж|подъезд|entrance|floor|office|офис|кеңсе|кабинет|room)\s*№?\s*\d{1,4}"
         r"[а-яa-z]?)(?!\w))*")
_ENGLISH_FLAT = r"(?:,?\s*(?i:apt\.?|apartment|flat)\s*\d{1,4})?"
_ADDRESS_SOURCES = [
    rf"(?<!\w){_STREET_BEFORE}\s*{_STREET_NAME}{_HOUSE}{_FLAT}{_UNIT}",
    rf"(?<!\w){_STREET_NAME_BEFORE_TYPE}\s{_STREET_AFTER}{_HOUSE}{_FLAT}{_UNIT}",
    rf"(?<!\w)\d{{1,4}}[A-Za-z]?,?\s{_ENGLISH_STREET_NAME}{_ENGLISH_STREET}"
               rf"{_ENGLISH_FLAT}{_UNIT}",
    rf"(?<!\w){_ENGLISH_STREET_NAME}{_ENGLISH_STREET}\s\d{{1,4}}[A-Za-z]?(?:/\d{{1,4}})?"
               rf"{_ENGLISH_FLAT}{_UNIT}",
    rf"(?<!\w)\d{{1,2}}(?:-?й)?\s(?i:микрорайон|мкр\.?)\w*,?\s*(?i:дом|д\.)\s*"
               rf"\d{{1,4}}[а-я]?{_FLAT}",
    r"(?<!\w)(?i:дом|д\.)\s*\d{1,4}[а-я]?,?\s*(?i:кв\.|кв|квартира)\s*\d{1,4}",
    r"(?<!\w)\d{1,4}-үй,?\s*\d{1,4}-(?:батир|пәтер)\w*",
]
# How Kyrgyz and Kazakh (and Russian, typed quickly) addresses are written without a street
# word: a microdistrict or жилмассив ("Сайран ш/а", "Ак-Өргө ж/м", "12-мкр", "Восток-5"),
# perhaps a street in it, then the building and flat: "58-үй, 17-пәтер", "дом 41, кв 88",
# or the two numbers joined by a dash ("34-17").
_PLACE_NAME = rf"[{_UP}][\w'’]*(?:-[{_UP}\d][\w'’]*)*"
_SECOND_WORD = (r"(?:\s(?i:хан\w*|датка|жырау|батыр\w*|баатыр\w*|би|ата|ақын|акын|жолу|жолы"
                r"|datka|khan|batyr|baatyr|ata|bi|zholu|zholy|jolu|joly|zhyrau|jyrau))")
_DISTRICT_TYPE = (r"(?i:ш/а|ж/м|жм|мкр\.?|мкрн\.?|м-н|кичи\s+району|шағын\s+аудан[ыі]?|mkr\.?"
                  r"|ықшам\s?аудан\w*|mikrorayon\w*"
                  r"|microdistrict|микрорайон|жилмассив)")
_NUMBERED_DISTRICT = rf"{_PLACE_NAME}-\d{{1,2}}[а-яa-z]?(?!\w)"
_IN_DISTRICT_STREET = (rf"(?:,?\s(?:\d{{1,2}}[-\s]?(?:(?i:тар)\s)?(?i:көчө|көше)\w*"
                       rf"|{_PLACE_NAME}{_SECOND_WORD}?\s{_STREET_AFTER}"
                       # "Samal microdistrict, 3rd street, house 21"
                       rf"|\d{{1,2}}(?:st|nd|rd|th)?\s(?i:street|str\.|st\.|lane)"
                       rf"|{_PLACE_NAME}\s(?i:street|str\.|st\.|lane)))")
_BUILDING = (r"(?:,?\s*(?i:д\.|дом|dom|bldg\.?|bld\.?|building|house|үй)\s*\d{1,4}[а-яa-z]?"
             r"(?:/\d{1,4})?"
             r"|,?\s*\d{1,4}[а-яa-z]?(?:/\d{1,4})?-?\s?(?i:үй|дом|dom|д\.|uy|üy|úi)(?!\w)"
             r"|,?\s*\d{1,4}[а-яa-z]?(?:/\d{1,3})?-\d{1,4}(?![\d\w-]))")
_APARTMENT = (r"(?:,?\s*(?i:кв\.?|kv\.?|квартира|apt\.?|apartment|flat|батир|пәтер)\s*\d{1,4}"
              r"(?!\w)|,?\s*\d{1,4}-?\s?(?i:батир|пәтер|кв|kv|kvartira|pater)\w*"
              r"|,\s*\d{1,4}\s?(?i:п|p)\.)")
_ADDRESS_SOURCES += [
    # "Сайран ш/а, 14-үй, 9-пәтер", "ш/а Самал, 3-үй", "12-мкр, 8-үй", "mkr asanbai 22 apt 40",
    # "Арча-Бешик ж/м, Жибек Жолу көч., 412", "Бакай-Ата ж/м, 3-тар көчө, 9"
    rf"(?<!\w)(?:{_PLACE_NAME}{_SECOND_WORD}?\s?{_DISTRICT_TYPE}|{_DISTRICT_TYPE}\s?{_PLACE_NAME}"
    rf"|\d{{1,2}}(?:st|nd|rd|th|-?й|-?ші|-?шы)?[-\s]?{_DISTRICT_TYPE})(?!\w){_IN_DISTRICT_STREET}?"
    rf"(?:{_BUILDING}|,?\s*\d{{1,4}}[а-яa-z]?(?:/\d{{1,4}})?(?![\d\w]))(?:{_APARTMENT})?{_UNIT}",
    # "Аламедин-1, 34-17", "Восток-5, 12-үй, 44-батир", "Жетысу-3, дом 41, кв 88"
    rf"(?<!\w){_NUMBERED_DISTRICT},?{_BUILDING}(?:{_APARTMENT})?",
    # "Асанбай, 22-48", "Kok-Jar 14-22", "Шабдан Баатыра 12-40": a name, then house and flat
    rf"(?<!\w){_PLACE_NAME}{_SECOND_WORD}?,?\s\d{{1,4}}[а-яa-z]?(?:/\d{{1,3}})?-\d{{1,4}}"
    rf"(?![\d\w-])",
    # "Кок-Жар, дом 8", "djal 29 dom 5 kv 12"
    rf"(?<!\w){_PLACE_NAME}(?:[-\s]\d{{1,2}}[а-яa-z]?)?,?\s(?i:дом|д\.|dom|bldg\.?)\s?\d{{1,4}}"
    rf"[а-яa-z]?(?:/\d{{1,4}})?(?!\w)(?:{_APARTMENT})?",
]
# A street named after a person, then a number, with no street word: "Ахунбаева 97, кв 3",
# "Киевской 112", "Abdrakhmanov 170", "Alymbek Datka 238/3" — or any capitalised name and a
# number after "на", "по адресу", "at", "on", "Дареги:" ("Чуй 160"). Not when the number
# is an age, a sum or a count ("Ахунбаева 27 лет", "Чуй 5 тысяч").
_STREET_LIKE_NAME = re.compile(
    r"^(?:[а-яёәғқңөұүһі'-]{3,}(?:ова|ева|ёва|ина|ына|ской|цкой|ского|цкого|ая)"
    r"|[a-z'-]{3,}(?:ov|ev|ova|eva|in|ina|skaya|skogo))$")
_BARE_STREET = re.compile(
    rf"(?<!\w)((?:{_PLACE_NAME}){_SECOND_WORD}?)\s(\d{{1,4}}[а-яa-zА-Я]?"
    rf"(?:/\d{{1,4}})?)(?![\w.,:]\d)(?!\w)({_APARTMENT})?"
    # "Асанбае 10/2, 41": the flat's number alone after the building's
    r"(,\s?\d{1,4}(?![\w/]|[.,:]\d))?")
# A microdistrict or жилмассив before a street address: "ж/м Ак-Ордо, ул. Чынар 41".
_DISTRICT_BEFORE = (rf"(?:{_DISTRICT_TYPE}\s?{_PLACE_NAME}|{_PLACE_NAME}\s?{_DISTRICT_TYPE}"
                    rf"|\d{{1,2}}(?:st|nd|rd|th|-?й)?[-\s]?{_DISTRICT_TYPE}|{_NUMBERED_DISTRICT})"
                    r",\s?$")
_ADDRESS_CUE = re.compile(
    r"(?i:(?:^|\s)(?:на|по|по\s+адресу|адрес\w*|at|on|in|address|lives|дареги|дарек|"
    r"мекенжай\w*|тұратын\s+жері|турган\s+жери|жашаган\s+жери|проживаю|проживает"
    r"|живу|живёт|живет|adresi|mekenjayi|mekenjaiy|mekenjaıy|turatyn\s+zher\w*"
    r"|turgan\s+jer\w*|jashagan\s+jer\w*|zhatyrmyn|jatam|turam|живу\s+на|lives?\s+(?:at|on))"
    r"\s*:?\s*(?:[A-ZА-ЯЁ]\w+,\s*)?)$")
_NOT_HOUSE_NUMBER = re.compile(
    r"\s?-?\s?(?:(?:жаш|жас|жыл|год|руб|долл|тыс|мин|час|сағ|саат|раз|человек|тенге|сом|year"
    r"|hour|minute|day|people|time|январ|феврал|март|апрел|ма[йяю]|июн|июл|август|сентябр"
    r"|октябр|ноябр|декабр|қаңтар|ақпан|наурыз|сәуір|мамыр|маусым|шілде|тамыз|қыркүйек|қазан"
    r"|қараша|желтоқсан|january|february|march|april|june|july|august|september|october"
    r"|november|december)\w*"
    r"|(?:г\.|лет|тг|мың|миң|млн|км|адам|киши|кг|th|st|nd|rd|й|го|ая|ой|шы|чи|ші|ст\.|статья"
    r"|ч\.|usd|eur|k|men|yo|y\.o\.?)(?!\w)|[$%])", re.IGNORECASE)
# Capital letters tell names from words; in a narrative typed all in lower case they cannot,
# and the same patterns are tried without them.
_PLATES = {cased: [re.compile(p, 0 if cased else re.IGNORECASE) for p in _PLATE_SOURCES]
           for cased in (True, False)}
_ADDRESSES = {cased: [re.compile(p, 0 if cased else re.IGNORECASE) for p in _ADDRESS_SOURCES]
              for cased in (True, False)}
# An address ends with its last number, not with the comma or full stop after it.
_ADDRESS_TRIM = re.compile(r"[\s,.-]+$")
_DISTRICTS_BEFORE = {cased: re.compile(_DISTRICT_BEFORE, 0 if cased else re.IGNORECASE)
                     for cased in (True, False)}

# --- dates ----------------------------------------------------------------------------------

_MONTHS = (
    r"январ\w*|феврал\w*|март\w*|апрел\w*|ма[йяю]\w*|июн\w*|июл\w*|август\w*|сентябр\w*"
    r"|октябр\w*|ноябр\w*|декабр\w*|қаңтар\w*|ақпан\w*|наурыз\w*|сәуір\w*|мамыр\w*|маусым\w*"
    r"|шілде\w*|тамыз\w*|қыркүйек\w*|қазан\w*|қараша\w*|желтоқсан\w*|january|february|march"
    r"|april|may|june|july|august|september|october|november|december|jan\.?|feb\.?|mar\.?"
    r"|apr\.?|jun\.?|jul\.?|aug\.?|sep\.?|sept\.?|oct\.?|nov\.?|dec\.?"
    # typed in Latin letters, as Kyrgyz and Kazakh often are: "20-yanvarda", "14 mamyrda"
    r"|yanvar\w*|fevral\w*|aprel\w*|iyun\w*|iyul\w*|avgust\w*|sentyabr\w*|oktyabr\w*"
    r"|noyabr\w*|dekabr\w*|qantar\w*|kantar\w*|aqpan\w*|akpan\w*|nauryz\w*|sauir\w*"
    r"|mamyr\w*|mausym\w*|shilde\w*|tamyz\w*|qyrkuiek\w*|kyrkuiek\w*|qazan\w*|kazan\w*"
    r"|qarasha\w*|karasha\w*|zheltoqsan\w*|zheltoksan\w*"
)
# Year words, in Cyrillic and in Latin letters ("1999-jyly", "2003 zhyly").
# ("ж." but not "ж.т.", which is "жылы туған", a birth word)
_YEAR_WORD = (r"жылдын|жылы|жылғы|ж\.(?!\s?т\.)|jyldyn|jyly|jylgy|zhyldyn|zhyly|zhylgy|jyldan"
              r"|zhyldan")
_YEAR = r"(?:19|20)\d\d"
_DATE = re.compile(
    rf"(?<![\w.])(?:"
    rf"(?:0?[1-9]|[12]\d|3[01])[./-](?:0?[1-9]|1[0-2])[./-]{_YEAR}(?:-?ж\.?)?"
    rf"|(?:0?[1-9]|[12]\d|3[01])\.(?:0?[1-9]|1[0-2])\.\d\d(?!\d)"  # "03.04.95 г.р."
    rf"|{_YEAR}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
    rf"|(?:0?[1-9]|[12]\d|3[01])(?:-?(?:st|nd|rd|th|й|го))?\s(?:of\s)?(?:{_MONTHS})\s{_YEAR}"
    rf"(?:\s?(?:года|год|г\.|жылы|ж\.))?"
    rf"|(?:{_MONTHS})\s(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?,?\s{_YEAR}"
    rf"|{_YEAR}[-\s]?(?:{_YEAR_WORD})\s(?:0?[1-9]|[12]\d|3[01])[-\s]?(?:{_MONTHS})"
    rf"|{_YEAR}(?:-?\s?(?:года|году|год|г\.|y\.|{_YEAR_WORD}))?"
    # a year of birth in two digits: "95 года рождения", "95 г.р." (the span is the year)
    rf"|[4-9]\d(?=\s?(?:года\s+рождения|г\.\s?р\.|г\.р\.))"
    rf")(?![\w])",
    re.IGNORECASE,
)
_BIRTH = re.compile(
    r"(?<!\w)(?:родил(?:ся|ась|ись)|рождени[яе]|рожд\.|д\.\s?р\.|д/р|г\.\s?р\.|гр\.|ДР"
    r"|туулга\w*|туул\.|туған\w*|туылған\w*|туғам\w*|т\.\s?ж\.|ж\.\s?т\.|tuulga\w*|tugan\w*"
    r"|tuylgan\w*|tugam\w*|born|b\.|DOB|D\.O\.B\.|date\s+of\s+birth"
    r"|birth\s?date|birthday)(?!\w)",
    re.IGNORECASE,
)
# What may stand between a date and the birth word after it: "1995 г.р.", "(1995 года
# рождения)", "1995-жылы туулган".
_BIRTH_FILLER = re.compile(r"[\s,.()\-]*(?:года|год|г\.|жылы|ж\.|y\.|jyly|zhyly)?[\s,.()\-]*"
                           # "1998 жылы 21 қарашада Түркістанда туған": where, in between
                           r"(?:[A-ZА-ЯӘҒҚҢӨҰҮҺІ]\w+(?:да|де|та|те|нда|нде)\s)?",
                           re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…]\s|\n")
# After "туған", "туулган": the word "day" ("туған күнім", "туулган күнүн").
_BIRTHDAY = re.compile(r"\s+(?i:күн|кун)\w*")

# --- names ----------------------------------------------------------------------------------

def _folded(words: set[str]) -> frozenset[str]:
    return frozenset(_lookup(word) for word in words)


_CONNECTORS = _folded({"уулу", "кызы", "улы", "оглы", "uulu", "kyzy", "kizi", "qizi", "uly",
                         "ulu", "ogly", "ogli", "qyzy"})
_TITLES = _folded({
    "участковый", "участкового", "участковому", "следователь", "следователя", "следователю",
    "оперуполномоченный", "капитан", "капитана", "майор", "майора", "лейтенант", "лейтенанта",
    "сержант", "сержанта", "полковник", "полковника", "инспектор", "инспектора", "гражданин",
    "гражданка", "гр", "господин", "госпожа", "судья", "адвокат", "тергөөчү", "тергеуші",
    "officer", "mr", "mrs", "ms", "miss", "dr", "captain", "major", "lieutenant", "sergeant",
    "inspector", "investigator", "judge", "мырза", "ханым",
    # "по имени Эрлан", "меня зовут Тимур", "по кличке Чёрный", "a man called Erlan"
    "имени", "зовут", "кличке", "кличка", "прозвищу", "прозвище", "named", "called",
    "nicknamed", "аттуу", "есімді",
})
_NICKNAME_CUES = _folded({"кличке", "кличка", "прозвищу", "прозвище", "nicknamed"})
# "Азамат деген жигит", "Азамат есімді": the word before is a name.
_NAMED_AFTER = _folded({"деген", "аттуу", "есімді", "атты"})
_STREET_WORDS = _folded({"street", "avenue", "көчөсү", "көшесі", "даңғылы", "проспектиси",
                           "проспектісі", "улица", "проспект", "көч", "көш"})
# A park, square or street named after someone ("парк Панфилова", "сквер Айтматова", "Panfilov
# park"): the name after such a word is the place's, not a person's in the narrative.
_NAMESAKE_BEFORE = _folded({"парк", "парка", "парку", "парке", "парком", "сквер", "сквера",
                              "скверу", "сквере", "площадь", "площади", "площадью", "бульвар",
                              "бульвара", "бульваре", "бульвару", "проспект", "проспекта",
                              "проспекте", "проспекту", "улица", "улицы", "улице", "улицу",
                              "park", "square", "саябагы", "саябағы", "аянты", "паркы",
                              "паркі"})
# "Жаркын Жол", "Ак Жол", "Nur Zhol": an organisation or a party named "… road", not a person.
_ROAD_WORDS = _folded({"жол", "jol", "zhol"})
_QUOTED = re.compile(r"«[^»\n]{1,80}»|“[^”\n]{1,80}”|\"[^\"\n]{1,80}\"")
_UNIT_WORDS = _folded({
    "рувд", "ровд", "овд", "увд", "гувд", "уп", "оп", "дп", "рпу", "район", "района", "районе",
    "районный", "районного", "районном", "районному", "отдел", "отдела", "отделение",
    "отделения", "суд", "суда", "суде", "области", "область", "облусу", "облысы", "району",
    "ауданы", "ауданының", "ауданында", "аудандық", "райондук", "шаардык", "қалалық", "риив",
    "риибинин", "рииб", "апб", "district", "region", "police", "court", "city", "шаары",
    "шаарынын", "қаласы", "қаласының", "crisis", "centre", "center", "foundation",
    "organisation", "organization", "clinic", "hospital", "cafe", "café", "club", "bar",
    "shelter", "station", "department", "ministry", "кафе", "клуб", "бар", "центр", "центра",
    "фонд", "фонда", "больница", "больницы", "борбору", "борборунун", "орталығы", "орталығының",
})
# Case endings of the Turkic languages (after the fold: ө→о, ү→у, і→и, ң→н, қ→к, ғ→г), on
# names written in Kyrgyz or Kazakh sentences.
_TURKIC = tuple(sorted({
    "дын", "дин", "дун", "тын", "тин", "тун", "нын", "нин", "нун",
    "га", "ге", "го", "ка", "ке", "ко",
    "ды", "ди", "ду", "ты", "ти", "ту", "ны", "ни", "ну",
    "да", "де", "до", "та", "те", "то", "нда", "нде",
    "дан", "ден", "дон", "тан", "тен", "тон", "нан", "нен", "нон", "ндан", "нден",
    "мен", "бен", "пен", "менен", "менан", "ныкы", "дыкы", "тыкы",
    "на", "не", "дай", "дей", "тай", "тей",
    # "I am …" ("мен Ильхаммын", folded): the predicate's person ending
    "мын", "мин", "мун", "пын", "пин", "пун", "бын", "бин", "бун",
}, key=len, reverse=True))
# Russian case endings, for the lemma of a given name ("Азамату" → "азамат", "Зарины" →
# "зарина", "Дмитрия" → "дмитрий").
_RUSSIAN = ("ами", "ями", "ой", "ей", "ою", "ею", "ом", "ем", "ым", "им", "ии", "ию", "ия",
            "а", "я", "у", "ю", "ы", "и", "е")
_RESTORE = ("", "а", "я", "й", "ь", "ий", "ия")
_TURKIC_LATIN = tuple(sorted({
    "dyn", "din", "dun", "tyn", "tin", "tun", "nyn", "nin", "nun", "ga", "ge", "ka", "ke",
    "qa", "ny", "ni", "dy", "di", "ty", "ti", "da", "de", "ta", "te", "nda", "nde",
    "dan", "den", "tan", "ten", "nan", "nen", "men", "ben", "pen", "menen",
}, key=len, reverse=True))
_TURKIC_AFTER_CONSONANT = re.compile(r"[бвгджзйклмнпрстфхцчшщь](?:" + "|".join(_TURKIC) + ")$")
_SURNAME_CYR = re.compile(
    r"^([а-яё]{2,}?(?:ов|ев|ёв))(?:а|у|ым|ом|е|ой|ы|ых|ыми|ою)?$"
    r"|^([а-яё]{2,}(?:уулу|кызы|улы|оглы))$"
    r"|^([а-яё]{3,}(?:енко|зода|заде|швили|дзе))$"
)
_SURNAME_CYR_WEAK = re.compile(
    r"^([а-яё]{3,}?(?:ин|ын))(?:а|у|ым|ом|е|ой|ы|ых)?$"
    r"|^([а-яё]{3,}(?:ск|цк))(?:ий|ая|ого|ому|им|ом|ой|ую|ие|их)$"
    r"|^([а-яё]{3,}(?:ян|янц|юк|чук|ук))$"
)
_PATRONYMIC_CYR = re.compile(
    r"^([а-яё]{3,}(?:ович|евич|ьич|овн|евн|ичн))(?:а|у|ем|ом|е|ы|ой|ою)?$"
)
_SURNAME_LAT = re.compile(
    r"^([a-z]{2,}?(?:ov|ev|yev|iev|yov))(?:a|u|ym|om|oy|y|ykh)?$"
    r"|^([a-z]{2,}(?:uulu|kyzy|kizi|qizi|qyzy|kyzi|uly|ulu|ogly|ogli))$"
    r"|^([a-z]{3,}(?:enko|zoda|zade|shvili|dze))$"
)
_SURNAME_LAT_WEAK = re.compile(
    r"^([a-z]{3,}?(?:in|yn))(?:a|u)?$|^([a-z]{3,}(?:sky|skiy|skaya|ski|ska|yan|ian|uk|chuk))$"
)
# Elements that end Central Asian given names (Нурбек, Айжан, Гүлзат → -гүл, Токтобүбү): a
# word ending so is likely a name, though no list knows it.
_GIVEN_ENDING = re.compile(
    r"^[а-яё]{2,}(?:бек|бай|жан|гул|гуль|нур|хан|айым|бубу|бике|мырза|болот|болат|канат|сулуу"
    r"|назик|тилек|дана)$"
    r"|^[a-z]{2,}(?:bek|bay|bai|zhan|jan|gul|nur|khan|aiym|aiym|bubu|bolot|bolat|kanat|suluu)$"
)
_PATRONYMIC_LAT = re.compile(r"^([a-z]{3,}(?:ovich|evich|ovna|evna|ichna))$")
# Words that end like a name but are not one: adjectives, verbs and the like at the start of
# a sentence ("Задержанный", "Пришли").
_NOT_NAME_END = re.compile(
    r"(?:ый|ое|ые|ого|ому|ыми|ими|ать|ять|ить|еть|ться|тся|лся|лась|лись|ли|ло|ешь|ете|ите|ение"
    r"|ания|ость|ости|ство|ства|ция|ции|изм|ing|ed|ly|tion|ness|ment|ып|ип|уп|ыш|иш)$"
)

# Token labels.
_STRONG, _WEAK, _UNKNOWN, _CONNECTOR, _INITIAL, _OTHER = range(6)


_TURKIC_BY_LENGTH = sorted(((n, frozenset(s for s in _TURKIC if len(s) == n))
                           for n in {len(s) for s in _TURKIC}), reverse=True)


def _strip_turkic(word: str, minimum: int = 3) -> Iterable[str]:
    """The word without each Turkic case ending it may have, the longest ending first."""
    for n, suffixes in _TURKIC_BY_LENGTH:
        if len(word) - n >= minimum and word[-n:] in suffixes:
            yield word[:-n]


def _first_lemma(word: str, lex: _Lexicon, diminutives: bool = True) -> str | None:
    """The dictionary form of a given name in any case (folded lower case), or None."""
    if _is_cyrillic(word):
        if word in lex.first:
            return word
        for stem in _strip_turkic(word):
            if stem in lex.first:
                return stem
        for ending in _RUSSIAN:
            if word.endswith(ending) and len(word) - len(ending) >= 3:
                stem = word[: -len(ending)]
                for restore in _RESTORE:
                    if stem + restore in lex.first:
                        return stem + restore
        return _diminutive_lemma(word, lex) if diminutives else None
    key = skeleton(_latin_base(word))
    if key in lex.first_latin:
        return key
    # "Chyngyzdyn", "Dinamen", "Aigerimge": a Kyrgyz or Kazakh case ending in Latin letters
    base = _latin_base(word).translate(_LATIN_FOLD)
    for suffix in _TURKIC_LATIN:
        if base.endswith(suffix) and len(base) - len(suffix) >= 3:
            stem = skeleton(base[: -len(suffix)])
            if stem in lex.first_latin and stem not in lex.ambiguous:
                return stem
    # "at Lyoshas", "im at kamilas place": the possessive typed without its apostrophe
    if len(key) >= 5 and key.endswith("s") and key[:-1] in lex.first_latin:
        return key[:-1]
    return None


# Russian diminutive suffixes, as spoken of friends and relatives: Сашка, Наташке, Стасику,
# Вовчик, Санёк, Аселек, Леночка, Димон, Колян.
_DIMINUTIVE = ("очк", "ечк", "оньк", "еньк", "ушк", "юшк", "чик", "ик", "ек", "ок", "к", "он",
               "ан", "ян")


def _diminutive_lemma(word: str, lex: _Lexicon) -> str | None:
    """The given name a diminutive is made from ("сашке" → "саша", "аселек" → "асель"), in
    any case, when the list knows the name and it is not an everyday word."""
    stems = [word] + [word[: -len(e)] for e in _RUSSIAN if word.endswith(e)
                      and len(word) - len(e) >= 4]
    for stem in stems:
        for suffix in _DIMINUTIVE:
            if stem.endswith(suffix) and len(stem) - len(suffix) >= 3:
                base = stem[: -len(suffix)]
                for restore in ("", "а", "я", "ь", "ия", "ий"):
                    name = base + restore
                    if len(name) >= 4 and name in lex.first and name not in lex.common:
                        return name
    return None


def _short_form(low: str, lex: _Lexicon) -> bool:
    """Whether a word can be a short form of given names: the first letters that several
    names share, with or without an affectionate ending ("бекс", "мээр", "seitek",
    "bolik")."""
    key = low if _is_cyrillic(low) else skeleton(_latin_base(low))
    for suffix in ("", "а", "я", "ик", "ek", "ik", "ек", "ка", "ке", "ке", "кош", "с", "s", "ш",
                   "ka", "ke", "a"):
        stem = key[: len(key) - len(suffix)] if suffix and key.endswith(suffix) else (
            key if not suffix else "")
        if 3 <= len(stem) <= 5 and stem in lex.stems:
            return True
    return False


def _latin_base(word: str) -> str:
    word = re.sub(r"['’]s$", "", word).replace("'", "").replace("’", "")
    return word


def _surname_base(word: str, strong_only: bool = False) -> str | None:
    """The family name without its case or gender ending ("токтогулову" → "токтогулов")."""
    if _is_cyrillic(word):
        patterns = [_SURNAME_CYR] if strong_only else [_SURNAME_CYR, _SURNAME_CYR_WEAK]
        for pattern in patterns:
            match = pattern.match(word)
            if match:
                return next(group for group in match.groups() if group)
        for stem in _strip_turkic(word, minimum=5):
            for pattern in patterns:
                match = pattern.match(stem)
                if match:
                    return next(group for group in match.groups() if group)
        return None
    base = _latin_base(word).translate(_LATIN_FOLD)
    patterns = [_SURNAME_LAT] if strong_only else [_SURNAME_LAT, _SURNAME_LAT_WEAK]
    for pattern in patterns:
        match = pattern.match(base)
        if match:
            return next(group for group in match.groups() if group)
    # "Tleubergenovaga", "Asanovtyn": a family name with a Kyrgyz or Kazakh case ending (not
    # "-ka": "Lebedinovka", "Ivanovka" are villages)
    for suffix in _TURKIC_LATIN:
        if suffix != "ka" and base.endswith(suffix) and len(base) - len(suffix) >= 5:
            match = _SURNAME_LAT.match(base[: -len(suffix)])
            if match:
                return next(group for group in match.groups() if group)
    return None


def _is_place(word: str, lex: _Lexicon) -> bool:
    if word in lex.places:
        return True
    if _is_cyrillic(word):
        if any(stem in lex.places for stem in _strip_turkic(word, minimum=2)):
            return True
        if any(word.endswith(ending) and word[: -len(ending)] + restore in lex.places
               for ending in ("а", "е", "у", "ю", "ом", "ой", "ей", "ы", "и")
               for restore in ("", "а", "я")):  # "Германии", "в алмате"
            return True
        # Several endings in a row: "Бишкектеги", "Шымкенттенмін" ("I am from Shymkent").
        return any(word[:n] in lex.places and word[n:].startswith(_TURKIC)
                   for n in range(4, len(word) - 2))
    return False


@dataclass
class _Token:
    start: int
    end: int
    word: str
    label: int
    sentence_start: bool
    after_title: bool
    place: bool
    cased: bool  # whether the narrative uses capital letters at all


# The case endings a connector takes ("уулуна", "кызынын", "uulunun"): only these, so that
# a given name that begins like one ("Ulukbek", "Улукбек") stays a name.
_CONNECTOR_ENDING = re.compile(
    r"(?:н|нын|нин|нун|нүн|ның|нің|на|не|га|ге|ға|ке|ка|ны|ни|ну|нү|ні|да|де|дан|ден|дын|дин"
    r"|дун|дүн|мен|менен|n|nyn|nin|nun|na|ne|ga|ge|ny|ni|nu|da|de|dan|den|dyn|din|dun|men"
    r"|menen)?")


def _is_connector(low: str) -> bool:
    """уулу, кызы, ұлы, қызы (folded), also with a case ending ("уулуна", "кызынын")."""
    return any(low.startswith(c) and _CONNECTOR_ENDING.fullmatch(low, len(c))
               for c in _CONNECTORS)


_ACRONYM_WITH_ENDING = re.compile(rf"[{_UP}]{{2,}}-?[a-zа-яёәғқңөұүһі]")


def _label(word: str, lex: _Lexicon, cased: bool = True) -> int:
    low = _lookup(word)
    if _is_connector(low):
        return _CONNECTOR
    if cased and not word[0].isupper():
        return _OTHER
    if not cased and len(word) < 3:
        return _OTHER
    if len(word) == 1:
        return _INITIAL
    if word.isupper() and len(word) <= 4:
        return _OTHER  # МВД, ГКНБ, LGBT
    if _ACRONYM_WITH_ENDING.match(word):
        return _OTHER  # "РИИБинин", "АПБ-ға": a police unit's initials with a case ending
    if low in lex.stop or low.replace("’", "'") in lex.stop:
        return _OTHER
    latin = not _is_cyrillic(low)
    key = skeleton(_latin_base(low)) if latin else low
    if not cased and (low in lex.common or key in lex.common):
        return _WEAK
    if (key not in lex.first_latin if latin else True) and (
            key in lex.ambiguous or low in lex.ambiguous):
        return _WEAK
    # A family name's ending outweighs a place of the same name (Fedorov, Aitmatov).
    if low in lex.surnames or (latin and key in lex.surnames):
        return _STRONG
    if _surname_base(low, strong_only=True) is not None:
        return _STRONG
    place = _is_place(low, lex)
    # In lower case a diminutive ending is too often a word's own ("керек"): there only a
    # cue makes one a name (_cue_label).
    lemma = _first_lemma(low, lex, diminutives=cased)
    if lemma is not None:
        return _WEAK if place or lemma in lex.ambiguous else _STRONG
    if place:
        # "Манас", "Balkan": a place, or a given name beside a family name (see _names_in_run)
        return _UNKNOWN if low in lex.places else _OTHER
    if _surname_base(low) is not None:
        return _WEAK
    if (_PATRONYMIC_CYR if not latin else _PATRONYMIC_LAT).match(low):
        return _WEAK
    if _GIVEN_ENDING.match(low if latin else next(iter(_strip_turkic(low, 4)), low)):
        return _STRONG
    # (a Russian word's ending; "Сейітқали", with its Kazakh letters, is no Russian verb)
    if _NOT_NAME_END.search(low) and not (_KAZAKH_ONLY.search(word) or _KYRGYZ.search(word)):
        return _OTHER
    return _UNKNOWN


_SENTENCE_FIRST = re.compile(rf"(?:^|[.!?…]\s+|\n)[\s\"«(\-–—\[\]\d:.]*({_LETTER}+)")


def _is_cased(text: str) -> bool:
    """Whether the narrative uses capital letters where its sentences begin: some are typed
    all in lower case, or nearly ("nurlan bayke salam. … adresi Kok-Jar 14-22"), and their
    capitals say nothing."""
    firsts = [match.group(1) for match in _SENTENCE_FIRST.finditer(text)]
    if len(firsts) >= 2:
        return sum(1 for word in firsts if word[0].isupper()) * 2 >= len(firsts)
    words = _WORD.findall(text)
    capitalised = sum(1 for word in words if word[0].isupper())
    return capitalised >= max(1, len(words) // 50)


def _capitals_inside(text: str) -> bool:
    """Whether a narrative whose sentences begin in lower case still capitalises words
    inside them, as chat often does with names ("so Bakyt's brother found …, his uncle
    Marat came"): there a capitalised word is read as in a cased narrative, and the words
    in lower case as in one typed all in lower case."""
    firsts = [match.group(1) for match in _SENTENCE_FIRST.finditer(text)]
    words = _WORD.findall(text)
    inside = (sum(1 for word in words if word[0].isupper() and word not in _ENGLISH_I)
              - sum(1 for word in firsts if word[0].isupper()))
    return inside >= max(3, len(words) // 25)


_ENGLISH_I = frozenset({"I", "I'm", "I’m", "I'll", "I've", "I'd"})


# --- what a sentence's grammar says is a name (whatever the lists say) -----------------------

# Strong cues: the word is what someone is called. "зовите меня Лис", "назвался Малыш", "по
# кличке Француз", "known only as Zver", "also known as Bolik", "Preferred name: Gerry",
# "(uses Dan)", "жигиттин аты Аке", "мени Балапан деп атагыла", "Нұри деп атайды", "Бөрі
# деген лақап", "Ырыскүл, 41 жашта", "Тимур, 24 года".
_CUE_BEFORE_STRONG = re.compile(
    r"(?i:(?<!\w)(?:зовите\s+меня|меня\s+зовут|его\s+зовут|её\s+зовут|ее\s+зовут|зовут"
    r"|назвал(?:ся|ась)|представил(?:ся|ась)|по\s+кличке|кличка|прозвище|по\s+прозвищу"
    r"|call(?:s|ed|ing)?\s+(?:me|her|him|them|himself|herself|the\s+other(?:\s+one)?"
    r"|each\s+other|one\s+another)|known\s+(?:only\s+)?as|only\s+as|prefers"
    # a second name in quotes: 'calls himself Nursultan or "Nurs"'
    r"|or\s+[«\"“]"
    r"|a\.?k\.?a\.?|uses|(?:man|woman|guy|girl|boy|person|someone|somebody)\s+(?:called|named)"
    r"|named|называл[иа]?(?:\s+(?:его|её|ее|другого|друг\s+друга|себя|меня))?|звали"
    # "представлялся как «Ерик»", "went by Sasha"
    r"|представля(?:лся|лась|лись|ется)(?:\s+как)?|(?:представил|назвал)(?:ся|ась)\s+как"
    r"|went\s+by|goes\s+by|имя\s+(?:вроде|типа|кажется)?|(?<!\w)name\s*:?"
    r"|preferred\s+name\s*:|my\s+name\s+is|(?<!\w)name\s+is|аты|атым|есімім|есімі|ысмым"
    r"|менин\s+атым)\s*[«\"“']?)$")
_CUE_AFTER_STRONG = re.compile(
    r"(?i:[»\"”']?\s+(?:деп\s+(?:ата|атай|аташ|таныс|тааныш|чакыр|атагыла|атаңыз)\w*"
    r"|деген\s+(?:лақап|лакап|ат)\w*"
    # typed in Latin letters: '"Tolik" dep chakyryp', "Nuri dep ataidy"
    r"|dep\s+(?:ata|atai|atash|tanys|taanysh|chakyr|shaqyr|shakyr)\w*"
    r"|degen\s+(?:laqap|lakap|at)\w*"
    r"|,?\s*\d{1,2}\s*(?:жашта|жаста|жаш|жас|лет|года|год|г\.|years?\s+old|yo|y\.o\.)(?!\w)))"
    r"|,\s*\d{1,2}\s*(?:жашта|жаста|жаш|жас|лет|года|год|years?\s+old|yo|y\.o\.)(?!\w)")
# Weak cues: a person is likely named here, if the word can be a name. Kinship and
# friendship words before it ("подруги аселек", "my uncle nurlan", "her partner,
# Aikanysh"), greetings and self-introductions ("привет это дима", "Bakha its Temir",
# "Salem Aigerim"), an honorific or "the two of us" after it ("nurlan bayke", "мұрат аға",
# "канат экөө", "асхат екеуміз").
_CUE_BEFORE_WEAK = re.compile(
    r"(?i:(?<!\w)(?:брат\w{0,2}|сестр\w{1,2}|подруг\w|друг\w?|парн\w|парень|девушк\w|мама"
    r"|мать|мамы|маме|папа|отец|отца|муж\w?|жена|жены|дяд\w|тёт\w|тет\w|сосед\w{0,2}|сын\w?"
    r"|дочь|дочери|friend|brother|sister|mum|mom|dad|father|mother|uncle|aunt|cousin|partner"
    r"|girlfriend|boyfriend|husband|wife|son|daughter|colleague|neighbou?r"
    r"|(?:brother|sister|son|daughter|mother|father)-in-law|nephew|niece|fianc[ée]e?"
    r"|step(?:father|mother|brother|sister|son|daughter)|grand(?:ma|pa|mother|father|son)|эжеси|агасы|иниси"
    r"|карындашы|досу|досум|курбум|ағасы|әпкесі|інісі|досы|досым|құрбым|сіңлісі|жездеси"
    r"|жездесі|күйөөсү|күйеуі|аялы|әйелі|жолдошу|жұбайым|апасы|атасы|анасы|әкесі"
    r"|агам|ағам|эжем|иним|інім|синдим|сіңлім|жолдошум|күйөөм|күйеуім|курбум|ағайым"
    r"|досубуз|досыбыз|tell|told|ask|asked"
    # Kyrgyz and Kazakh kinship words typed in Latin letters: "agasy Ulan", "dosum Aibek"
    r"|agasy|ağasy|ejesi|inisi|apasy|atasy|anasy|akesi|ákesi|dosu|dosum|dosy|dosym|kurbum"
    r"|agam|ağam|ejem|inim|jezdesi|kuieui|kuiosu|ayaly|aialy"
    r"|it'?s|it’s|its\s+me|this\s+is|это|я|бул|бұл|мен|men|hi|hey|hello|привет|салам|салем"
    r"|сәлем|salam|salem|dear|with|and|и|менен|мен|жана|және)\s*,?\s+)$")
_CUE_AFTER_WEAK = re.compile(
    r"(?i:,?\s+(?:байке\w*|bayke|baike|ага|аға\w*|aga|agai|ағай|эже\w*|eje|apa|апа|апай\w*"
    r"|apai|ака|aka|экөө\w*|екеу\w*|ekoo\w*|ekeu\w*|где|where|кайда\w*|қайда\w*"
    r"|сен\s+(?:кайда|қайда)\w*|its|it'?s|бул|бұл|это|привет|салам|салем|сәлем"
    # a vocative before a call to listen: "короче саш слушай", "дим, прикинь"
    r"|слушай|послушай|прикинь)(?!\w)"
    # "Sula's brother": a possessive before a kinship word
    r"|['’]s\s+(?:brother|sister|mum|mom|dad|father|mother|friend|boyfriend|girlfriend"
    r"|husband|wife|uncle|aunt|cousin|partner|family|parents)(?!\w))")
# A chat's speakers: the word before the colon at the start of two lines or more.
_SPEAKER = re.compile(rf"(?m)^[\s\[\]\d:.\-–—]*({_LETTER}+(?:[-'’]{_LETTER}+)?):\s")
# A vocative at the start of a quoted message: «Бекарыс, жұмаға дейін …», "Nurbek, 50k by …"
_QUOTE_VOCATIVE = re.compile(rf"[«\"“]\s*({_LETTER}+),\s")
# A vocative opening a message or a line: "From +90 …: Kanat, we know who you are", "Ерасыл,
# сенің …" — believed only of a word the lists know as a name.
_LINE_VOCATIVE = re.compile(rf"(?m)(?:^|:[ \t]+)[ \t]*([{_UP}]{_LETTER}+),[ \t]+(?=[^\W\d_])")


def _cues(text: str) -> tuple[set[int], set[int]]:
    """Where a word stands in a place a sentence gives a person's name: the starts of such
    words, under a strong cue (it is a name, whatever the word) and under a weak one (it is
    a name if the word can be one)."""
    strong: set[int] = set()
    weak: set[int] = set()
    speakers: dict[str, list[int]] = {}
    for match in _SPEAKER.finditer(text):
        speakers.setdefault(match.group(1), []).append(match.start(1))
    for starts in speakers.values():
        if len(starts) >= 2:
            strong.update(starts)
    for match in _QUOTE_VOCATIVE.finditer(text):
        weak.add(match.start(1))
    lex = _lexicon()
    for match in _LINE_VOCATIVE.finditer(text):
        if _label(match.group(1), lex) in (_STRONG, _WEAK):
            weak.add(match.start(1))
    for match in _WORD.finditer(text):
        start, end = match.span()
        before = text[max(0, start - 24):start]
        if _CUE_BEFORE_STRONG.search(before) or _CUE_AFTER_STRONG.match(text, end):
            strong.add(start)
        elif _CUE_BEFORE_WEAK.search(before) or _CUE_AFTER_WEAK.match(text, end):
            weak.add(start)
    return strong, weak


def _tokens(text: str, lex: _Lexicon) -> list[_Token]:
    tokens: list[_Token] = []
    previous_end = 0
    previous_word = ""
    in_text = _is_cased(text)
    inside = not in_text and _capitals_inside(text)
    strong_cue, weak_cue = _cues(text)
    # Words repeat within a narrative; the memo lives only as long as this call, so that no
    # word of anyone's narrative stays in the process afterwards.
    labels: dict[tuple[str, bool], tuple[int, bool]] = {}
    for match in _WORD.finditer(text):
        word = match.group()
        gap = text[previous_end:match.start()]
        sentence_start = not tokens or bool(re.search(r"[.!?…:;\n]\s*[\"«(\-–—]*\s*$", gap))
        # "А. Токтогулов": the initial's full stop does not end a sentence.
        if tokens and tokens[-1].label == _INITIAL and re.fullmatch(r"\.\s*", gap):
            sentence_start = False
        cased = in_text or (inside and word[0].isupper() and not sentence_start)
        if (word, cased) not in labels:
            first_label = _label(word, lex, cased)
            labels[word, cased] = (first_label, first_label in (_WEAK, _STRONG, _UNKNOWN)
                                   and _is_place(_lookup(word), lex))
        label, place = labels[word, cased]
        # "gulnoza_162@list.ru", "t.me/aidar": a word of a login or an address is no name
        # of its own (the e-mail or handle recogniser has it).
        if text[match.end():match.end() + 1] in ("_", "@") and match.end() < len(text) \
                or text[match.start() - 1:match.start()] in ("_", "@", "/"):
            label = _OTHER
        # "по кличке Чёрный": whatever the word, here it is what someone is called.
        if _lookup(previous_word) in _NICKNAME_CUES and gap == " " and word[0].isupper():
            label = _UNKNOWN
        elif cased and label == _OTHER and word.islower() and gap == " " \
                and _lookup(previous_word) in ("с", "со") and _is_cyrillic(word) \
                and len(word) >= 5:
            # "увидит с русиком": a given name typed in lower case after "with" in a
            # narrative that uses capitals, when the list knows it as a name and no word
            lemma = _first_lemma(_lookup(word), lex, diminutives=False)
            if lemma is not None and len(lemma) >= 4 and lemma not in lex.ambiguous \
                    and lemma not in lex.common and _lookup(word) not in lex.stop:
                label = _STRONG
        elif _lookup(previous_word) in _NAMESAKE_BEFORE and gap == " " \
                and _surname_base(_lookup(word)) is not None:
            label = _OTHER
        if tokens and _lookup(word) in _NAMED_AFTER and tokens[-1].label in (_WEAK, _UNKNOWN) \
                and gap == " ":
            tokens[-1].after_title = True
        cue = _cue_label(word, label, place, match.start() in strong_cue,
                         match.start() in weak_cue, cased, lex)
        tokens.append(_Token(match.start(), match.end(), word, label if cue is None else cue,
                             sentence_start, cue is not None or (
                                 _lookup(previous_word) in _TITLES and gap.strip(" .") == ""),
                             place, cased))
        previous_end, previous_word = match.end(), word
    for k, token in enumerate(tokens):
        if token.label == _INITIAL and text[token.end:token.end + 1] != ".":
            token.label = _OTHER  # a lone capital letter is an initial only with its full stop
        # "Свердловский РОВД", "Sverdlov district police", "the Zhany Zhol crisis centre": the
        # capitalised words before such a word name a unit, a place or an organisation,
        # unless the lists know them as a person's ("Азамат Асанбеков шаардык ооруканада").
        word = _lookup(token.word)
        if word in _ROAD_WORDS and token.word[0].isupper() and k > 0 \
                and tokens[k - 1].word[0].isupper() \
                and text[tokens[k - 1].end:token.start] == " ":
            tokens[k - 1].label = token.label = _OTHER
        if word in _UNIT_WORDS or word in _STREET_WORDS:
            reach = 1 if word in _STREET_WORDS else 3
            m = k - 1
            while m >= 0 and m >= k - reach and tokens[m].label != _OTHER \
                    and text[tokens[m].end:tokens[m + 1].start] in (" ", "\u00a0", "-"):
                if tokens[m].label in (_UNKNOWN, _WEAK) or tokens[m].place:
                    tokens[m].label = _OTHER
                m -= 1
    _beside_initials(text, tokens, lex)
    return tokens


def _beside_initials(text: str, tokens: list[_Token], lex: _Lexicon) -> None:
    """A capitalised word right after an initial ("L. Kim", "А. Жеке") or right before two
    ("Сейткали А.М.", "Ким Л.В."), as records and court papers write people, is a family name
    whatever else the word can be, unless it is a word of the language ("А. Потом")."""
    def surname(token: _Token) -> bool:
        return token.cased and token.word[0].isupper() and len(token.word) >= 2 \
            and token.label in (_OTHER, _WEAK, _UNKNOWN) and not token.word.isupper() \
            and _lookup(token.word) not in lex.stop and not token.place

    for k, token in enumerate(tokens):
        if token.label != _INITIAL:
            continue
        after = tokens[k + 1] if k + 1 < len(tokens) else None
        first = k
        while first > 0 and tokens[first - 1].label == _INITIAL \
                and re.fullmatch(r"\.\s?", text[tokens[first - 1].end:tokens[first].start]):
            first -= 1
        # "Сейткали А.М. Производство по делу": the initials end a name written family
        # name first; the word after them begins a sentence.
        named_before = first > 0 and tokens[first - 1].word[0].isupper() \
            and text[tokens[first - 1].end:tokens[first].start] == " "
        if after is not None and re.fullmatch(r"\.\s", text[token.end:after.start]) \
                and surname(after) and not named_before:
            after.label = _STRONG
        before = tokens[k - 1] if k > 0 else None
        second = tokens[k + 1] if k + 1 < len(tokens) else None
        if before is not None and second is not None and second.label == _INITIAL \
                and text[before.end:token.start] == " " \
                and re.fullmatch(r"\.\s?", text[token.end:second.start]) \
                and text[second.end:second.end + 1] == "." and surname(before) \
                and not before.sentence_start:
            before.label = _STRONG


def _cue_label(word: str, label: int, place: bool, strong: bool, weak: bool, cased: bool,
               lex: _Lexicon) -> int | None:
    """The label of a word that a cue puts in a name's place (``_cues``), or None when the
    cue does not make it a name: a word of the lists of everyday words, a place, a word with
    no capital in a narrative that uses capitals; in lower case, under a weak cue, a word no
    list or short-form rule knows as a name."""
    if not (strong or weak) or len(word) < 2 or label in (_CONNECTOR, _INITIAL):
        return None
    low = _lookup(word)
    if low in lex.stop or low in _MONTH_WORDS or (len(word) < 3 and not strong):
        return None
    if cased and not word[0].isupper():
        return None
    lemma = _first_lemma(low, lex)
    # A place is a name here only if it is a given name too ("Нұри", "Ulan", "Temir"), not
    # "Мен Стамбулдамын" ("I am in Istanbul").
    if (place or _is_place(low, lex)) and lemma is None:
        return None
    if strong:
        return _STRONG if label == _STRONG else _UNKNOWN if label == _OTHER else label
    vouched = label == _STRONG or lemma is not None or low in lex.ambiguous \
        or (cased and _short_form(low, lex))
    if not cased and not vouched:
        return None
    return _STRONG if label == _STRONG else _WEAK if vouched else _UNKNOWN


def _joined(text: str, left: _Token, right: _Token) -> bool:
    """Whether two tokens can be parts of one name: only spaces between them, or the full
    stop of an initial."""
    gap = text[left.end:right.start]
    if left.label == _INITIAL:
        return bool(re.fullmatch(r"\.?\s{0,2}", gap))
    return gap in (" ", "\u00a0", "-")


def _dictionary_names(text: str, tokens: list[_Token],
                      language: str = "") -> list[tuple[int, int]]:
    """Runs of name-like tokens that the lists and endings vouch for, as (first, last)
    token indices."""
    spans: list[tuple[int, int]] = []
    i = 0
    n = len(tokens)
    while i < n:
        if tokens[i].label == _OTHER:
            i += 1
            continue
        j = i
        while j + 1 < n and tokens[j + 1].label != _OTHER and _joined(text, tokens[j],
                                                                      tokens[j + 1]):
            j += 1
        spans.extend(_names_in_run(tokens, i, j, language))
        i = j + 1
    return spans


def _names_in_run(tokens: list[_Token], i: int, j: int,
                  language: str = "") -> list[tuple[int, int]]:
    """The names within one run of capitalised words (tokens i..j)."""
    run = tokens[i:j + 1]
    if not run[0].cased:
        return _names_in_lower_case(run, i, language)
    labels = [t.label for t in run]
    # "X уулу", "X кызы": the word before is a father's name, whatever the lists say.
    for k in range(1, len(run)):
        if labels[k] == _CONNECTOR and labels[k - 1] in (_UNKNOWN, _WEAK):
            labels[k - 1] = _STRONG
    # An unknown word beside a name that is also a word ("Kutayym Kim", "Nardana Li"): two
    # capitalised words mid-sentence, one of them a name.
    for k in range(len(run) - 1):
        pair = {labels[k], labels[k + 1]}
        if pair == {_WEAK, _UNKNOWN} and not run[k].sentence_start \
                and not run[k].place and not run[k + 1].place:
            labels[k] = labels[k + 1] = _STRONG if labels[k] == _WEAK else _WEAK
    strong = labels.count(_STRONG)
    weak = labels.count(_WEAK)
    if strong == 0 and weak < 2:
        # A lone weak or unknown word is a name only when a title says so ("участковый
        # Сыдыков", "Officer Kim"), or when a family name stands mid-sentence.
        titled = [k for k, t in enumerate(run) if t.after_title and t.label in (_WEAK, _UNKNOWN)]
        if titled:
            k = titled[0]
            end = k
            while end + 1 < len(run) and labels[end + 1] != _OTHER:
                end += 1
            return [(i + k, i + end)]
        # (Not an adjective in -ский: "на Киевской", "Октябрьского" are streets and units.)
        if len(run) == 1 and labels[0] == _WEAK and not run[0].sentence_start \
                and re.search(r"(?:ин|ын|in|yn)(?:а|у|ым|ом|е|ой|ы|a|u)?$",
                              _lookup(run[0].word)) \
                and _surname_base(_lookup(run[0].word)) is not None:
            return [(i, j)]
        if len(run) == 1 and labels[0] == _WEAK and _english_name_word(run[0], language):
            return [(i, j)]
        return []
    # A sentence-initial lone family name may be a plural noun ("Сотрудников было трое"):
    # short ones need the model's word.
    if len(run) == 1 and run[0].sentence_start and _is_cyrillic(run[0].word):
        base = _surname_base(_lookup(run[0].word), strong_only=True)
        if base is not None and len(base) < 6:
            return []
    # Keep name words; unknown words up to two away from one ("Чолтай Эрзия Илиясованын":
    # names stand side by side in Kyrgyz and Kazakh sentences); connectors and initials
    # beside a kept word.
    keep = [label in (_STRONG, _WEAK) for label in labels]
    for k, label in enumerate(labels):
        if label == _UNKNOWN and run[k].place:
            # A place's name is a given name only right beside a family name ("Balkan
            # Molbaev", "Манас Токтогулов").
            keep[k] = any(0 <= m < len(run) and labels[m] == _STRONG
                          and _surname_base(_lookup(run[m].word), strong_only=True) is not None
                          for m in (k - 1, k + 1))
        elif label == _UNKNOWN:
            keep[k] = any(0 <= m < len(run) and labels[m] in (_STRONG, _WEAK)
                          and all(labels[x] == _UNKNOWN for x in range(min(k, m) + 1, max(k, m)))
                          for m in (k - 2, k - 1, k + 1, k + 2))
    for k, label in enumerate(labels):
        if label in (_CONNECTOR, _INITIAL):
            keep[k] = any(0 <= m < len(run) and keep[m] and labels[m] not in (_CONNECTOR,
                                                                              _INITIAL)
                          for m in (k - 1, k + 1, k - 2, k + 2))
    spans: list[tuple[int, int]] = []
    k = 0
    while k < len(run):
        if not keep[k]:
            k += 1
            continue
        m = k
        while m + 1 < len(run) and keep[m + 1]:
            m += 1
        if any(labels[x] in (_STRONG, _WEAK) for x in range(k, m + 1)):
            spans.append((i + k, i + m))
        k = m + 1
    return spans


def _english_name_word(token: _Token, language: str) -> bool:
    """In an English sentence a capitalised name that is a Russian or Kyrgyz word ("Sveta",
    "Kanat", "Kostya") is no word of the sentence: mid-sentence, it is a name."""
    if language != "en" or token.sentence_start or token.place or not token.word.isascii() \
            or not token.word[0].isupper():
        return False
    low = _lookup(token.word)
    key = skeleton(_latin_base(low))
    lex = _lexicon()
    return (key in lex.ambiguous or _first_lemma(low, lex) is not None) \
        and key not in lex.ambiguous_latin and low not in lex.common and key not in lex.common \
        and low not in _MONTH_WORDS and low not in lex.stop


def _names_in_lower_case(run: list[_Token], i: int,
                         language: str = "") -> list[tuple[int, int]]:
    """Names in a narrative typed all in lower case, where every word is a candidate: only
    what the lists and endings vouch for, and the word before a family name."""
    labels = [t.label for t in run]
    keep = [False] * len(run)
    for k, token in enumerate(run):
        low = _lookup(token.word)
        if labels[k] == _STRONG:
            lemma = _first_lemma(low, _lexicon())
            base = _surname_base(low, strong_only=True)
            paired = any(0 <= m < len(run) and labels[m] in (_STRONG, _WEAK, _CONNECTOR)
                         for m in (k - 1, k + 1))
            keep[k] = paired or token.after_title or (lemma is not None and len(lemma) >= 4) or (
                base is not None and len(base) >= 7) or _GIVEN_ENDING.match(low) is not None \
                or (token.word[0].isupper() and not token.sentence_start)
            if base is not None and k > 0 and labels[k - 1] == _UNKNOWN:
                keep[k - 1] = True  # "arseyit iliyasuly": the given name before it
        elif labels[k] == _WEAK:
            keep[k] = token.after_title or any(0 <= m < len(run) and labels[m] == _STRONG
                                               for m in (k - 1, k + 1)) \
                or _english_name_word(token, language)
        elif labels[k] == _UNKNOWN and token.after_title and len(token.word) >= 3:
            keep[k] = True  # "мени балапан деп атагыла"
        elif labels[k] == _CONNECTOR:
            keep[k] = k > 0 and labels[k - 1] != _OTHER
            if keep[k]:
                keep[k - 1] = True
    spans: list[tuple[int, int]] = []
    k = 0
    while k < len(run):
        if keep[k]:
            m = k
            while m + 1 < len(run) and keep[m + 1]:
                m += 1
            spans.append((i + k, i + m))
            k = m + 1
        else:
            k += 1
    return spans


def _markup(text: str) -> Any:
    return _ner()(text.translate(_FOLD))


def _model_names(text: str, tokens: list[_Token], language: str,
                 markup: Any = None) -> list[tuple[int, int]]:
    """Natasha's PER spans, cut down to the tokens that can be part of a name."""
    markup = markup if markup is not None else _markup(text)
    spans: list[tuple[int, int]] = []
    starts = [t.start for t in tokens]
    for span in markup.spans:
        if span.type != "PER":
            continue
        first = bisect.bisect_left(starts, span.start)
        last = bisect.bisect_left(starts, span.stop) - 1
        if first > last:
            continue
        piece: list[int] = []
        for k in range(first, last + 2):
            token = tokens[k] if k <= last else None
            usable = token is not None and token.label != _OTHER
            if usable:
                piece.append(k)
            elif piece:
                if _model_piece_is_name(tokens, piece, language):
                    spans.append((piece[0], piece[-1]))
                piece = []
    return spans


def _model_piece_is_name(tokens: list[_Token], piece: list[int], language: str) -> bool:
    if all(tokens[x].label == _CONNECTOR for x in piece):
        return False
    if not tokens[piece[0]].cased:
        # In lower case the model guesses at anything; only what the lists vouch for.
        return any(tokens[x].label == _STRONG for x in piece)
    if len(piece) > 1:
        return True
    token = tokens[piece[0]]
    if token.place:
        return False  # a lone place name (Медеу, Манас): the model took a place for a person
    # In Kyrgyz and Kazakh sentences the model calls many a capitalised word a name; a lone
    # unknown word at the start of a sentence is more likely a word than a name.
    return not (token.label == _UNKNOWN and token.sentence_start and language != "ru")


def _person_spans(text: str, language: str, markup: Any = None) -> list[_Span]:
    lex = _lexicon()
    tokens = _tokens(text, lex)
    if not tokens:
        return []
    runs = _dictionary_names(text, tokens, language)
    if _CYRILLIC.search(text):
        runs += _model_names(text, tokens, language, markup)
    # Merge overlapping runs and runs that touch (the model's "Азамат" and the list's
    # "Токтогулов" are one name).
    runs.sort()
    merged: list[list[int]] = []
    for first, last in runs:
        if merged and (first <= merged[-1][1] or (first == merged[-1][1] + 1 and _joined(
                text, tokens[merged[-1][1]], tokens[first]))):
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    # Words in quotes are the name of an organisation, a shop, a film ("«Жаңы Жол»"), unless a
    # family name or a cue says otherwise ('known only as "Kolya"'). Quoted speech, with its
    # lower-case words, is not a title: «мени Дастан менен Тынар издеп жатышат».
    quoted = [m.span() for m in _QUOTED.finditer(text)
              if all(word[0].isupper() or word.isdigit() for word in _WORD.findall(m.group()))]

    def unquoted(first: int, last: int) -> bool:
        return not any(s < tokens[first].start and tokens[last].end < e for s, e in quoted) \
            or any(_surname_base(_lookup(tokens[k].word), strong_only=True)
                   or tokens[k].after_title for k in range(first, last + 1))

    merged = [[first, last] for first, last in merged if unquoted(first, last)
              and not _who(text, tokens, first, last, language)]
    spans = []
    for first, last in merged:
        start, end = tokens[first].start, tokens[last].end
        # An initial's full stop; also of one of two letters ("Yerlan Zh.", "Айдар Дж.")
        if text[end:end + 1] == "." and (tokens[last].label == _INITIAL or (
                last > first and _DIGRAPH_INITIAL.fullmatch(tokens[last].word))):
            end += 1
        # "н. мұқанұлы", "е. бондаренко": initials typed in lower case before a family name
        if not tokens[first].cased and _surname_base(_lookup(tokens[first].word)):
            initials = _LOWER_INITIALS.search(text, max(0, start - 8), start)
            if initials:
                start = initials.start()
        spans.append(_Span(start, end, "person"))
    return spans + [span for span in _echoes(tokens, merged)
                    if not any(s < span.start and span.end < e for s, e in quoted)]


def _who(text: str, tokens: list[_Token], first: int, last: int, language: str) -> bool:
    """Whether a lone "Ким"/"Кім" opening a Kyrgyz or Kazakh sentence is the word "who"
    ("Ким билсе, …", "Кім алып кеткенін білмейді"), not the family name Kim."""
    token = tokens[first]
    return first == last and language in ("ky", "kk") and token.sentence_start \
        and _lookup(token.word) == "ким" and not (
            first + 1 < len(tokens) and tokens[first + 1].word[0].isupper()
            and text[token.end:tokens[first + 1].start] == " ")


_DIGRAPH_INITIAL = re.compile(r"Zh|Sh|Ch|Kh|Ts|Ya|Yu|Ye|Yo|Дж|Дз")
_LOWER_INITIALS = re.compile(rf"(?<!\w)(?:{_LETTER}\.\s?){{1,2}}$")


def _echoes(tokens: list[_Token], merged: list[list[int]]) -> list[_Span]:
    """Other mentions of the names already found: "Kyyanura", "Тилканды" and "Гусеву" are
    names once "Kyyanura Tolegen", "Тилкан Ермеков" and "Гусева" are, though no list knows
    them."""
    inside = {k for first, last in merged for k in range(first, last + 1)}
    keys = {key for k in inside if tokens[k].label not in (_CONNECTOR, _INITIAL)
            for key in [_name_key(tokens[k].word)] if key and len(key) >= 2}
    # The given names found, as written (folded): the stems of their short forms.
    given = {_lookup(tokens[k].word) for k in inside if tokens[k].label not in (
        _CONNECTOR, _INITIAL) and _surname_base(_lookup(tokens[k].word)) is None}
    stop = _lexicon().stop
    spans = []
    for k, token in enumerate(tokens):
        if k in inside or len(token.word) < 2 or (
                not token.cased and len(token.word) < 4 and not token.word[0].isupper()):
            continue
        low = _lookup(token.word)
        if low in stop:
            continue
        key = _name_key(token.word)
        if token.cased and not token.word[0].isupper():
            # A name found in the narrative, typed again in lower case ("Стаса" … "стас
            # сидит у меня"): only the same name, not a near one, and not a short word.
            if len(token.word) >= 4 and key and key in keys:
                spans.append(_Span(token.start, token.end, "person"))
            continue
        if key and any(_keys_match(key, known) for known in keys):
            spans.append(_Span(token.start, token.end, "person"))
        elif token.word[0].isupper() and len(low) >= 3 and any(
                name.startswith(low) and len(name) >= len(low) + 2 for name in given):
            # The short form of a name found ("Ксю" of "Ксюша", "Rus" of "Ruslan").
            spans.append(_Span(token.start, token.end, "person"))
    return spans


# --- the other kinds ------------------------------------------------------------------------


def iin_is_valid(number: str) -> bool:
    """Whether a Kazakh IIN (12 digits) has a plausible birth date, century digit and the
    right check digit (the official algorithm: weights 1..11, and 3..11,1,2 when the first
    sum gives 10)."""
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) != 12 or len(re.sub(r"\D", "", number)) != 12:
        return False
    if not _plausible_date(2000 + digits[0] * 10 + digits[1], digits[2] * 10 + digits[3],
                           digits[4] * 10 + digits[5]):
        return False
    if digits[6] > 6:
        return False
    check = sum(d * w for d, w in zip(digits[:11], range(1, 12), strict=True)) % 11
    if check == 10:
        weights = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
        check = sum(d * w for d, w in zip(digits[:11], weights, strict=True)) % 11
        if check == 10:
            return False
    return check == digits[11]


def _plausible_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _iin_date_ok(number: str) -> bool:
    return _plausible_date(2000, int(number[2:4]), int(number[4:6])) and number[6] in "0123456"


def _pin_ok(number: str) -> bool:
    """Kyrgyz personal number: sex digit, DDMMYYYY, five digits."""
    return number[0] in "12" and _plausible_date(int(number[5:9]), int(number[3:5]),
                                                 int(number[1:3]))


def _phone_ok(digits: str) -> bool:
    if len(digits) == 12 and digits[:3] in ("996", "998", "992"):
        return True
    if len(digits) == 11 and digits[0] == "7":
        return True
    if len(digits) == 11 and digits[0] == "8" and digits[1] in "79":
        return True
    return len(digits) == 10 and digits[0] == "0" and digits[1] in "2345679"


def _international(piece: str) -> bool:
    """Whether "+<country code> …" (or "00<country code> …") is a phone number of any
    country: the country code exists and the number has a length that country's numbers
    can have (phonenumbers' metadata; a number merely unassigned today still counts)."""
    import phonenumbers

    digits = re.sub(r"\D", "", piece)
    if piece.startswith("00"):
        digits = digits[2:]
    elif not piece.startswith("+"):
        return False
    if len(digits) < 8:
        return False
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_possible_number(number))


def _phones(text: str) -> Iterable[_Span]:
    for candidate in _PHONE_CANDIDATE.finditer(text):
        groups = list(_PHONE_GROUP.finditer(candidate.group()))
        base = candidate.start()
        k = 0
        while k < len(groups):
            found = False
            # The longest run of digit groups, from this one, that is a phone number.
            for m in range(len(groups) - 1, k - 1, -1):
                piece = candidate.group()[groups[k].start():groups[m].end()]
                digits = re.sub(r"\D", "", piece)
                sizes = [len(re.sub(r"\D", "", g.group())) for g in groups[k:m + 1]]
                # "45 06 123456" and "4506 123456" are how passports are written.
                if (_phone_ok(digits) or _international(piece)) \
                        and sizes not in ([2, 2, 6], [4, 6]):
                    start = base + groups[k].start()
                    if piece.startswith("(") and ")" not in piece:
                        start += 1
                    yield _Span(start, base + groups[m].end(), "phone")
                    k = m + 1
                    found = True
                    break
            if not found:
                k += 1


def _ids(text: str) -> Iterable[_Span]:
    for pattern in (_KG_PASSPORT, _KZ_PASSPORT, _RU_PASSPORT):
        for match in pattern.finditer(text):
            yield _Span(match.start(), match.end(), "id_number")
    for match in _DIGITS_12_14.finditer(text):
        number = match.group()
        if (len(number) == 12 and (iin_is_valid(number) or (
                _iin_date_ok(number) and _ID_CONTEXT.search(text, max(0, match.start() - 30),
                                                           match.end())))) \
                or (len(number) == 14 and _pin_ok(number)):
            yield _Span(match.start(), match.end(), "id_number")
    for match in _ID_CONTEXT.finditer(text):
        value = match.group(1).rstrip()
        if sum(c.isdigit() for c in value) >= 6:
            yield _Span(match.start(1), match.start(1) + len(value), "id_number")


def _plates(text: str, cased: bool = True) -> Iterable[_Span]:
    for pattern in _PLATES[cased]:
        for match in pattern.finditer(text):
            if not _NOT_PLATE.search(match.group()):
                yield _Span(match.start(), match.end(), "plate")
    for match in _CYRILLIC_PLATE.finditer(text):
        if match.group(1) not in _NOT_CYRILLIC_PLATE:
            yield _Span(match.start(), match.end(), "plate")


def _addresses(text: str, cased: bool = True) -> Iterable[_Span]:
    for span in _address_parts(text, cased):
        yield span
        before = _DISTRICTS_BEFORE[cased].search(text, max(0, span.start - 40), span.start)
        if before:
            yield _Span(before.start(), span.end, "address")


def _address_parts(text: str, cased: bool = True) -> Iterable[_Span]:
    for pattern in _ADDRESSES[cased]:
        for match in pattern.finditer(text):
            value = _ADDRESS_TRIM.sub("", match.group())
            # (a bare number at the end may be an age or a sum: "Самал-2, 24 жашта")
            if any(c.isdigit() for c in value) and not (value[-1].isdigit() and
                                                        _NOT_HOUSE_NUMBER.match(
                                                            text, match.start() + len(value))):
                yield _Span(match.start(), match.start() + len(value), "address")
    # A capitalised name and a number: also in a narrative typed mostly in lower case, where
    # a capital letter says even more.
    lex = _lexicon()
    for match in _BARE_STREET.finditer(text):
        name = match.group(1)
        if _NOT_HOUSE_NUMBER.match(text, match.end(2)) or re.fullmatch(r"(?:19|20)\d\d",
                                                                        match.group(2)):
            continue
        words = [_lookup(word) for word in _WORD.findall(name)]
        if any(word in lex.stop or word in _MONTH_WORDS for word in words):
            continue
        # The flat ("Абая 150, кв 47") or a building's second number ("Тунгуч 11/3") says it
        # is a dwelling; otherwise the name must read as a street's, or a cue come before it.
        cue = _ADDRESS_CUE.search(text, max(0, match.start() - 40), match.start())
        if not (match.group(3) or "/" in match.group(2) or _STREET_LIKE_NAME.match(words[0])
                or len(words) > 1 or cue):
            continue
        value = _ADDRESS_TRIM.sub("", match.group())
        if match.group(4) and not match.group(3) and ("/" in match.group(2) or cue) \
                and not _NOT_HOUSE_NUMBER.match(text, match.end(4)):
            value = match.group()
        elif match.group(4):
            value = _ADDRESS_TRIM.sub("", match.group()[: match.start(4) - match.start()])
        yield _Span(match.start(), match.start() + len(value), "address")


def _handles(text: str) -> Iterable[_Span]:
    for pattern in (_PROFILE, _AT_HANDLE):
        for match in pattern.finditer(text):
            yield _Span(match.start(), match.end(), "handle")
    for match in _UNDERSCORED.finditer(text):
        yield _Span(match.start(), match.end(), "handle")
    for match in _QUOTED_HANDLE.finditer(text):
        group = 1 if match.group(1) else 2
        yield _Span(match.start(group), match.end(group), "handle")
    for match in _NICK.finditer(text):
        value = match.group(1)
        # (not the next app of a list: "(Tinder, Mamba)", "Grindr, Hornet")
        if value.lower() not in _NOT_NICKNAMES and not value.isdigit() \
                and _lookup(value) not in _lexicon().stop:
            yield _Span(match.start(1), match.end(1), "handle")


def _emails(text: str) -> Iterable[_Span]:
    for match in _EMAIL.finditer(text):
        yield _Span(match.start(), match.end(), "email")


def _dates(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for match in _DATE.finditer(text):
        value = match.group()
        # A bare number like "1995" is a year only beside a birth word ("1995 г.р.").
        if re.fullmatch(r"\d{4}", value) \
                and not _BIRTH.search(text, match.end(), match.end() + 12) \
                and not _BIRTH.search(text[max(0, match.start() - 25):match.start()]):
            continue
        spans.append((match.start(), match.end()))
    return spans


def _birth_dates(text: str, persons: list[_Span]) -> Iterable[_Span]:
    dates = _dates(text)
    if not dates:
        return
    taken: set[int] = set()
    for keyword in _BIRTH.finditer(text):
        # "туған күнімді сұрады, 1994 жылғы 3 наурыз деп айттым": a birthday asked and told
        # may have a verb and a comma between it and the date.
        birthday = bool(_BIRTHDAY.match(text, keyword.end())) \
            or keyword.group().lower() == "birthday"
        best: tuple[int, int] | None = None
        for index, (start, end) in enumerate(dates):
            if index in taken:
                continue
            if start >= keyword.end():
                # "родился 03.04.1995", "дата рождения: 3 апреля 1995", "born in 1995"
                distance = start - keyword.end()
                between = text[keyword.end():start]
                if distance > 40 or re.search(r"[();]" if birthday else r"[(),;]", between) \
                        or len(re.findall(r"[^\W\d_]+", between)) > (4 if birthday else 2):
                    continue
            elif end <= keyword.start():
                # "1995 г.р.", "1995-жылы туулган", "03.04.1995 туған": right before it
                distance = keyword.start() - end
                between = text[end:keyword.start()]
                if distance > 30 or not _BIRTH_FILLER.fullmatch(between):
                    continue
            else:
                continue
            if _SENTENCE_END.search(between) or any(
                    s > min(keyword.end(), start) and e < max(keyword.start(), end)
                    for s, e in dates):
                continue
            if best is None or distance < best[1]:
                best = (index, distance)
        if best is not None:
            taken.add(best[0])
    # A full date right after a name: "Нурлан Асанбеков, 03.04.1995,"
    ends = [person.end for person in persons]
    for index, (start, end) in enumerate(dates):
        value = text[start:end]
        if index in taken or not re.match(r"\d{1,2}[./-]\d{1,2}[./-]\d{4}", value):
            continue
        year = int(re.findall(r"\d{4}", value)[0])
        if year > date.today().year - 10:
            continue  # too recent to be anyone's date of birth in a report
        if any(0 <= start - e <= 3 and re.fullmatch(r"[\s,(]*", text[e:start]) for e in ends):
            taken.add(index)
    for index in sorted(taken):
        yield _Span(dates[index][0], dates[index][1], "birth_date")


# --- putting it together --------------------------------------------------------------------

# At equal length, the more specific recogniser wins.
_PRIORITY = {"email": 0, "handle": 1, "id_number": 2, "phone": 3, "plate": 4, "birth_date": 5,
             "address": 6, "person": 7}


def _resolve(text: str, spans: Iterable[_Span]) -> list[Finding]:
    """Non-overlapping findings. The regular recognisers go first, the longer span winning,
    then the more specific kind; names fill what is left, a name cut by another finding
    keeping its words outside it (the name recogniser's spans are the least sure)."""
    chosen: list[_Span] = []
    occupied: list[tuple[int, int]] = []
    ordered = sorted(set(spans), key=lambda s: (s.kind == "person", -(s.end - s.start),
                                               _PRIORITY[s.kind], s.start))
    for span in ordered:
        overlaps = [(s, e) for s, e in occupied if s < span.end and span.start < e]
        if not overlaps:
            chosen.append(span)
            occupied.append((span.start, span.end))
            continue
        if span.kind != "person":
            continue
        cursor = span.start
        pieces: list[tuple[int, int]] = []
        for s, e in sorted(overlaps):
            if s > cursor:
                pieces.append((cursor, s))
            cursor = max(cursor, e)
        if cursor < span.end:
            pieces.append((cursor, span.end))
        for s, e in pieces:
            # Words of the name, and its initials with their full stops ("Д. Козлова").
            words = [w for w in _WORD.finditer(text, s, e) if len(w.group()) > 1 or (
                w.group().isupper() and text[w.end():w.end() + 1] == ".")]
            if words:
                end = words[-1].end()
                if len(words[-1].group()) == 1 and end < e:
                    end += 1  # the initial's full stop
                piece = _Span(words[0].start(), end, "person")
                chosen.append(piece)
                occupied.append((piece.start, piece.end))
    chosen.sort(key=lambda s: s.start)
    return [Finding(s.start, s.end, s.kind, text[s.start:s.end]) for s in chosen]


def _pattern_spans(text: str) -> list[_Span]:
    spans: list[_Span] = []
    for recogniser in (_emails, _handles, _phones, _ids):
        spans.extend(recogniser(text))
    cased = _is_cased(text)
    spans.extend(_plates(text, cased))
    spans.extend(_addresses(text, cased))
    return spans


def find(text: str, language: str | None = None) -> list[Finding]:
    """Every piece of personal data in the text, sorted, none overlapping another. Where two
    recognisers claim overlapping text, the longer and more specific finding wins (an e-mail
    holding a name is an e-mail; an address holding a name is an address)."""
    return _find(text, language)


def find_with_places(text: str, language: str | None = None
                     ) -> tuple[list[Finding], list[tuple[int, int]]]:
    """`find`, and where the model sees places (LOC spans), from one run of the model:
    drafts also hide places a case summary may not show (kalkan.analysis.builder)."""
    if not text:
        return [], []
    markup = _markup(text)
    places = [(span.start, span.stop) for span in markup.spans if span.type == "LOC"]
    return _find(text, language, markup), places


def _find(text: str, language: str | None, markup: Any = None) -> list[Finding]:
    if not text:
        return []
    language = (language or _guess_language(text))[:2]
    spans = _pattern_spans(text)
    persons = _person_spans(text, language, markup)
    spans.extend(persons)
    spans.extend(_birth_dates(text, persons))
    return _resolve(text, spans)


# --- pseudonyms and applying decisions ------------------------------------------------------


def _name_key(word: str) -> str | None:
    """What two spellings of one name have in common: lower case, letters folded, case and
    gender endings dropped, in Latin letters ("Токтогулову", "Toktogulova" → "toktogulov")."""
    lex = _lexicon()
    low = _lookup(word)
    if len(low) < 2 or _is_connector(low):
        return None
    cyrillic = _is_cyrillic(low)
    if not cyrillic:
        low = _latin_base(low)
    base = _surname_base(low, strong_only=True)
    if base is None:
        match = (_PATRONYMIC_CYR if cyrillic else _PATRONYMIC_LAT).match(low)
        base = match.group(1) if match else None
    if base is None:
        lemma = _first_lemma(low, lex)
        if lemma is not None and not cyrillic:
            return lemma  # already a skeleton
        base = lemma or low
        if lemma is None and cyrillic and _TURKIC_AFTER_CONSONANT.search(low):
            base = next(iter(_strip_turkic(low, minimum=4)), low)
        for ending in (*_RUSSIAN, "й", "ь"):
            if base.endswith(ending) and len(base) - len(ending) >= 3:
                base = base[: -len(ending)]
                break
    return skeleton(base) or None


def name_keys(text: str) -> set[str]:
    """The keys of the words of a name: "Азамата Токтогулова" and "Azamat Toktogulov" give
    the same ones."""
    keys = {_name_key(word) for word in _WORD.findall(text) if len(word) > 1}
    return {key for key in keys if key}


def same_person(a: set[str], b: set[str]) -> bool:
    """Whether two names' keys (``name_keys``) name one person as ``Pseudonyms`` decides it:
    one's words within the other's ("Азамат" and "Azamat Toktogulov")."""
    return bool(a and b) and (_covered(a, b) or _covered(b, a))


def _keys_match(a: str, b: str) -> bool:
    """One name's key and another's: the same, or one the other with a case ending the rules
    did not strip ("eldanag" and "eldan")."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 4 and long.startswith(short) and len(long) - len(short) <= 2


def _covered(keys: set[str], known: set[str]) -> bool:
    return all(any(_keys_match(key, other) for other in known) for key in keys)


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass
class _Person:
    keys: set[str]
    letter: str
    last_seen: int


class Pseudonyms:
    """Placeholders for one document: "Person A", "Person B", … (one letter per person,
    whatever the spelling or case), "[phone]", "[e-mail]", … for the rest, in ``language``
    (the active language when None)."""

    def __init__(self, language: str | None = None) -> None:
        self.language = language
        self._people: list[_Person] = []
        self._by_finding: dict[Finding, _Person] = {}

    def prime(self, findings: Iterable[Finding]) -> None:
        """Give letters to every person in the document at once, in order of first mention,
        full names before lone given or family names, so that "Токтогулов" before "Азамат
        Токтогулов" is one person."""
        mentions = [(f, self._keys(f)) for f in findings
                    if f.kind == "person" and f not in self._by_finding]
        mentions = [(f, keys) for f, keys in mentions if keys]
        mentions.sort(key=lambda m: m[0].start)
        clusters: list[tuple[set[str], list[Finding]]] = []
        for f, keys in sorted(mentions, key=lambda m: (-len(m[1]), m[0].start)):
            existing = self._match_existing(keys, f.start)
            if existing is not None:
                existing.keys |= keys
                self._by_finding[f] = existing
                continue
            target = self._best_cluster(clusters, keys, f.start)
            if target is None:
                clusters.append((set(keys), [f]))
            else:
                target[0].update(keys)
                target[1].append(f)
        clusters.sort(key=lambda c: min(f.start for f in c[1]))
        for keys, members in clusters:
            person = _Person(keys, _letter(len(self._people)), max(f.start for f in members))
            self._people.append(person)
            for f in members:
                self._by_finding[f] = person

    @staticmethod
    def _keys(finding: Finding) -> set[str]:
        return name_keys(finding.text)

    @staticmethod
    def _best_cluster(clusters: list[tuple[set[str], list[Finding]]], keys: set[str],
                      position: int) -> tuple[set[str], list[Finding]] | None:
        best = None
        best_score: tuple[int, int] = (0, 0)
        for cluster in clusters:
            known = cluster[0]
            # One's words within the other's: "Азамат" and "Азамат Токтогулов"; two full
            # names that share a first name are two people.
            if not (_covered(keys, known) or _covered(known, keys)):
                continue
            distance = min(abs(f.start - position) for f in cluster[1])
            score = (len(keys & known), -distance)
            if best is None or score > best_score:
                best, best_score = cluster, score
        return best

    def _match_existing(self, keys: set[str], position: int) -> _Person | None:
        candidates = [p for p in self._people
                      if _covered(keys, p.keys) or (p.keys and _covered(p.keys, keys))]
        if not candidates:
            return None
        return max(candidates, key=lambda p: (len(keys & p.keys), p.last_seen))

    def replacement(self, finding: Finding) -> str:
        """The placeholder for a finding; a person not seen before gets the next letter."""
        # No language: the active one (translation.override(None) would mean untranslated).
        with translation.override(self.language) if self.language else nullcontext():
            if finding.kind != "person":
                return _placeholder(finding.kind)
            person = self._by_finding.get(finding)
            if person is None:
                self.prime([finding])
                person = self._by_finding.get(finding)
            if person is None:  # no word to key on: a person all the same
                person = _Person(set(), _letter(len(self._people)), finding.start)
                self._people.append(person)
                self._by_finding[finding] = person
            person.last_seen = max(person.last_seen, finding.start)
            return gettext("Person %(letter)s") % {"letter": person.letter}


def _placeholder(kind: str) -> str:
    # Literal msgids, so that makemessages finds them.
    if kind == "phone":
        # Translators: replaces a phone number in a redacted narrative; keep the brackets.
        return gettext("[phone]")
    if kind == "email":
        # Translators: replaces an e-mail address in a redacted narrative.
        return gettext("[e-mail]")
    if kind == "handle":
        # Translators: replaces a social-media account (@name, t.me/… link, nickname).
        return gettext("[handle]")
    if kind == "id_number":
        # Translators: replaces a passport number, IIN or other personal ID number.
        return gettext("[ID number]")
    if kind == "plate":
        # Translators: replaces a car's registration plate.
        return gettext("[vehicle plate]")
    if kind == "address":
        # Translators: replaces a street address.
        return gettext("[address]")
    if kind == "birth_date":
        # Translators: replaces someone's date of birth (other dates stay).
        return gettext("[date of birth]")
    raise ValueError(f"unknown kind: {kind}")


def propose(text: str, language: str | None = None) -> list[Decision]:
    """Every finding with the placeholder proposed for it, for a reviewer to accept, edit
    or reject."""
    findings = find(text, language)
    pseudonyms = Pseudonyms(language)
    pseudonyms.prime(findings)
    return [(f, pseudonyms.replacement(f)) for f in findings]


def apply(text: str, items: Sequence[Finding] | Sequence[Decision],
          pseudonyms: Pseudonyms | None = None) -> str:
    """The text with each finding replaced.

    ``items`` is either findings (each replaced by its placeholder from ``pseudonyms``, a new
    one for this document when None) or decisions: (finding, replacement), where the
    replacement is the text to put instead (a placeholder, or what the reviewer typed), or
    None to keep the original. Raises ValueError when a finding does not match the text (the
    narrative changed since it was analysed) or two findings overlap.
    """
    decisions: list[Decision] = []
    findings = [item for item in items if isinstance(item, Finding)]
    if findings:
        if len(findings) != len(items):
            raise ValueError("give either findings or (finding, replacement) pairs")
        pseudonyms = pseudonyms or Pseudonyms()
        pseudonyms.prime(findings)
        decisions = [(f, pseudonyms.replacement(f)) for f in findings]
    else:
        decisions = [item for item in items if not isinstance(item, Finding)]
    decisions.sort(key=lambda d: d[0].start)
    out: list[str] = []
    cursor = 0
    for finding, replacement in decisions:
        if text[finding.start:finding.end] != finding.text:
            raise ValueError("a finding does not match the text")
        if finding.start < cursor:
            raise ValueError("findings overlap")
        out.append(text[cursor:finding.start])
        out.append(finding.text if replacement is None else replacement)
        cursor = finding.end
    out.append(text[cursor:])
    return "".join(out)


def redact(text: str, language: str | None = None) -> str:
    """The text with every finding replaced by its placeholder."""
    return apply(text, propose(text, language))
