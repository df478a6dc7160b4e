"""Fictional lists of victims with Central Asian names, as several organisations would write
them down, for the linkage tests and benchmarks/linkage.py.

Each invented person has a Cyrillic name (given name, surname in -ов/-ева/-ин or with уулу,
кызы, ұлы, қызы, sometimes a patronymic), a birth year, a gender, a region and an act (month
and type). Each list writes its own record of the person: in Cyrillic or in one of four Latin
schemes (BGN, passport, Kazakh Latin of 2021, Turkic letters), words in another order, a
surname in a case ending ("Асановой"), one typo in a name, a field left empty, a birth year,
month or type of act off by a little. No Django; the same seed gives the same lists.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

GIVEN_MALE = (  # noqa: SIM905 (names read better as text)
    "Азамат Нурлан Бекзат Эрлан Тимур Руслан Данияр Айбек Жаныбек Канат Мирлан Улан Бакыт "
    "Нурбек Алмаз Арман Ержан Асхат Бауыржан Өмүрбек Жеңиш Медет Санжар Қайрат Ғалым Дәурен "
    "Әлібек Талгат Марат Самат Бекболот Эмиль Адилет Чынгыз Темирлан Нурсултан Ильяс Айдар "
    "Жандос Ерболат Мейрам Дастан Үсөн Кубаныч Токтосун Азиз Рустам Шерзод Фаррух"
).split()
GIVEN_FEMALE = (  # noqa: SIM905 (names read better as text)
    "Айгерим Айгүл Жанар Гүлнара Динара Асель Нургүл Айжан Жылдыз Бермет Сезим Мээрим Назгүл "
    "Айнура Гүлмира Дана Әсел Мөлдір Жұлдыз Іңкәр Ақерке Толғанай Айдана Алтынай Чолпон "
    "Элмира Карлыгаш Салтанат Перизат Камила Адина Зарина Махабат Гүлзат Арууке Бегимай "
    "Нурия Шахноза Дильноза Малика Эльвира Самал Аружан Томирис Жибек Зере Айым Сабина"
).split()
ROOTS = (  # noqa: SIM905 (names read better as text)
    "Асан Токтогул Жумабай Сулейман Абдрахман Нурмагамбет Исмаил Бектур Кадыр Осмон Сатыбалды "
    "Мамыт Жолдош Орозбак Темир Ахмет Сейткали Ермек Қасым Төлеген Үмбет Шәріп Есен Мұрат "
    "Байжан Кенже Садыр Бообек Мырзакул Эсен Абыл Жусуп Турсун Калмат Алымбек Бекмурат "
    "Дүйшөн Сманкул Рахим Тажибай Акмат Керим Бейшен Орун Сарыбай Кудайберген Иманали"
).split()
REGIONS = [f"kg.r{i}" for i in range(8)] + [f"kz.r{i}" for i in range(10)]
ACTS = ("detention", "assault", "threat", "extortion", "outing", "online_harassment",
        "torture", "eviction")

_BASE = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch",
    "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    "ә": "ä", "ғ": "gh", "қ": "q", "ң": "ng", "ө": "ö", "ұ": "u", "ү": "ü", "і": "i", "һ": "h",
}
SCHEMES = {
    "bgn": _BASE,
    "passport": {**_BASE, "й": "i", "ю": "iu", "я": "ia", "ә": "a", "ғ": "g", "қ": "k",
                 "ң": "n", "ө": "o", "ү": "u", "ё": "e"},
    "kz2021": {**_BASE, "ә": "á", "ғ": "ǵ", "ң": "ń", "ө": "ó", "ұ": "ū", "ү": "ü", "і": "ı",
               "ш": "ş", "ч": "ch", "ж": "j", "х": "h", "й": "i", "ю": "iu", "я": "ia"},
    "turkic": {**_BASE, "ш": "ş", "ч": "ç", "ж": "j", "ы": "ı", "х": "h", "й": "y",
               "ө": "ö", "ү": "ü", "қ": "k", "ғ": "ğ", "ң": "ñ", "ә": "e"},
}


def transliterate(text: str, scheme: str) -> str:
    table = SCHEMES[scheme]
    out = []
    for char in text:
        latin = table.get(char.lower())
        if latin is None:
            out.append(char)
        else:
            out.append(latin.capitalize() if char.isupper() else latin)
    return "".join(out)


@dataclass(frozen=True)
class Person:
    given: str
    surname: str
    patronymic: str
    female: bool
    birth: int
    region: str
    month: str
    act: str


# Invented surname roots: a root alone or with a second part ("Асанбек", "Токтогулбай").
PARTS = ("", "", "бек", "бай", "али", "кул", "жан", "бет", "тай", "мат")


def _surname(rng: random.Random, female: bool, father: str) -> str:
    root = rng.choice(ROOTS) + rng.choice(PARTS)
    style = rng.random()
    if style < 0.55:
        if root.endswith("й"):
            root = root[:-1]
        ending = "ов" if root[-1] not in "аеиоуыэюяөүәұі" else "ев"
        return root + ending + ("а" if female else "")
    if style < 0.7:
        return root + ("ина" if female else "ин")
    if style < 0.85:  # Kyrgyz: son/daughter of the father, written apart
        return f"{father} {'кызы' if female else 'уулу'}"
    return father + ("қызы" if female else "ұлы")  # Kazakh, written together


def population(size: int, seed: int = 0) -> list[Person]:
    rng = random.Random(seed)  # noqa: S311 (fictional people, not secrets)
    people = []
    for _ in range(size):
        female = rng.random() < 0.5
        father = rng.choice(GIVEN_MALE)
        people.append(Person(
            given=rng.choice(GIVEN_FEMALE if female else GIVEN_MALE),
            surname=_surname(rng, female, father),
            patronymic=(father + ("овна" if female else "ович")) if rng.random() < 0.3 else "",
            female=female,
            birth=rng.randint(1960, 2008),
            region=rng.choice(REGIONS),
            month=f"{rng.randint(2019, 2025)}-{rng.randint(1, 12):02d}",
            act=rng.choice(ACTS),
        ))
    return people


_CASES = {"ов": ("ова", "ову", "овым"), "ев": ("ева", "еву", "евым"), "ин": ("ина", "ину"),
          "ова": ("овой",), "ева": ("евой",), "ина": ("иной",)}


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.3:
        return word[:i] + word[i + 1 :]
    if kind < 0.6:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind < 0.8:
        return word[:i] + rng.choice("аеиоунлрстк") + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def record(person: Person, rng: random.Random, missing: float = 0.08,
           acts: Sequence[str] = ACTS) -> dict[str, str]:
    """One organisation's record of the person, as it would go into an export (now and
    then with the type of act mistaken for another of `acts`)."""
    surname = person.surname
    if rng.random() < 0.1:  # a case ending: "об Асановой", "Асанову"
        for ending, forms in _CASES.items():
            if surname.endswith(ending):
                surname = surname[: -len(ending)] + rng.choice(forms)
                break
    words = [person.given, surname]
    if person.patronymic and rng.random() < 0.6:
        words.append(person.patronymic)
    if rng.random() < 0.4:
        words = [words[1], words[0], *words[2:]]
    if rng.random() < 0.15:
        i = rng.randrange(len(words))
        words[i] = _typo(rng, words[i])
    name = " ".join(words)
    if rng.random() < 0.55:
        name = transliterate(name, rng.choice(list(SCHEMES)))
    birth = person.birth + (rng.choice((-1, 1)) if rng.random() < 0.05 else 0)
    year, month = int(person.month[:4]), int(person.month[5:])
    if rng.random() < 0.08:
        month = month % 12 + 1
    out = {
        "name": name,
        "birth": f"y{birth}",
        "gender": "woman" if person.female else "man",
        "region": person.region,
        "month": f"{year}-{month:02d}",
        "act": person.act if rng.random() > 0.05 else rng.choice(list(acts)),
    }
    for field_name in ("birth", "region", "month", "gender"):
        if rng.random() < missing:
            out[field_name] = ""
    return out


def lists(people: list[Person], captures: list[float], seed: int = 1,
          duplicates: float = 0.0) -> list[list[tuple[int, dict[str, str]]]]:
    """Each list's records as (person number, record); a person is on list i with
    probability captures[i], and is written twice in a list with probability `duplicates`."""
    rng = random.Random(seed)  # noqa: S311 (fictional people, not secrets)
    out: list[list[tuple[int, dict[str, str]]]] = [[] for _ in captures]
    for number, person in enumerate(people):
        for i, chance in enumerate(captures):
            if rng.random() < chance:
                out[i].append((number, record(person, rng)))
                if rng.random() < duplicates:
                    out[i].append((number, record(person, rng)))
    for one in out:
        rng.shuffle(one)
    return out
