"""Names across scripts: "Алиев", "Aliyev", "Aliev" and "Әлиев" are one name to a search.

Every name is indexed with a Latin skeleton of itself — transliterated from Cyrillic
(Russian, Kyrgyz and Kazakh letters), lower-cased, with the spellings that vary between
transliteration schemes folded together — and every word searched for is looked up by its
skeleton too. The skeleton is a search key, never shown.
"""

from __future__ import annotations

import re
import unicodedata

# One Latin form per Cyrillic letter, for the letters of ru, ky and kk.
_CYRILLIC = {
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e",
    "ё": "e", "ж": "zh", "з": "z", "и": "i", "і": "i", "й": "y", "к": "k", "қ": "k",
    "л": "l", "м": "m", "н": "n", "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ұ": "u", "ү": "u", "ф": "f", "х": "h", "һ": "h",
    "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "", "ы": "y", "ь": "", "э": "e",
    "ю": "yu", "я": "ya",
}
# Spellings that differ between schemes (BGN, ISO 9, passports, habit), folded to one, in
# this order: Юлия, Yulia, Yuliya, Iuliia -> iulia; Айгерим, Aygerim -> aigerim.
_FOLDS = [
    (re.compile(r"kh"), "h"),
    (re.compile(r"dzh"), "zh"),
    (re.compile(r"j"), "zh"),
    (re.compile(r"ts"), "c"),
    (re.compile(r"w"), "v"),
    (re.compile(r"q"), "k"),
    (re.compile(r"x"), "ks"),
    (re.compile(r"ye|yo"), "e"),
    (re.compile(r"ya"), "ia"),
    (re.compile(r"yu"), "iu"),
    (re.compile(r"y"), "i"),
    (re.compile(r"(.)\1+"), r"\1"),
]
PREFIX = "nm"


def latin(text: str) -> str:
    """Cyrillic letters in Latin, accents dropped, lower case."""
    out = []
    for char in text.lower():
        if char in _CYRILLIC:
            out.append(_CYRILLIC[char])
        else:
            decomposed = unicodedata.normalize("NFKD", char)
            out.append("".join(c for c in decomposed if not unicodedata.combining(c)))
    return "".join(out)


def skeleton(word: str) -> str:
    """The search key of one word ("Алиев", "Aliyev", "Aliev" -> "aliev")."""
    key = re.sub(r"[^a-z0-9]", "", latin(word))
    for pattern, replacement in _FOLDS:
        key = pattern.sub(replacement, key)
    return key


def name_tokens(name: str, folded: dict[str, str] | None = None) -> str:
    """What to add to a record's searchable text for a name: a key per word, prefixed so
    that it never collides with an ordinary word. `folded`: words already folded (a build
    meets the same names again and again)."""
    if folded is None:
        folded = {}
    keys = set()
    for word in re.split(r"[\s\-'’.]+", name):
        if word:
            key = folded.get(word)
            if key is None:
                key = folded[word] = skeleton(word)
            keys.add(key)
    return " ".join(f"{PREFIX}{key}" for key in sorted(keys) if key)


def alternatives(word: str) -> list[str]:
    """For a search: the word's key, so that any spelling of a name finds the others."""
    key = skeleton(word)
    return [f"{PREFIX}{key}"] if len(key) >= 2 else []
