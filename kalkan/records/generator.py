"""Fictional documentation records, for demos, tests and benchmarks: events, victims,
perpetrators, acts, involvements and sources, and each victim's answer about anonymised
statistics (most agree, some refused), all sealed as real ones are.

    generate(keyring, acts=100_000, seed=0) -> {"events": 40_050, "acts": 100_000, ...}

Everything is invented: pseudonyms are made of invented syllables ("Азат Б.", "Dilnaz K."),
never real people; stories are stock sentences in ru, ky, kk and en; perpetrators are
institutions or groups named by their type and region, never a real unit. Codes come from
the vocabularies (kalkan.records.vocabularies) and the gazetteer, weighted towards what
the organisation mostly documents: detention, extortion, threats, assault, outing and
online harassment in Kyrgyzstan and Kazakhstan, 2015 to 2026. Every event's details say
``"generated": true``, so generated records can always be told from real ones.

The same seed gives the same records (the same content; ids and sealing are random).
`plan` is the pure part: chunks of rows that refer to each other by position; `generate`
seals and inserts them chunk by chunk (kalkan.vault.records.bulk_create_sealed), each chunk
in one transaction, so a working set catching up meanwhile never sees an act without its
perpetrators and sources.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import transaction

from kalkan.accounts.models import User
from kalkan.records import gazetteer
from kalkan.records.models import Act, ConsentEntry, Event, Information, Involvement, Person
from kalkan.records.names import latin
from kalkan.records.services import json_text
from kalkan.records.vocabularies import vocabulary
from kalkan.vault.keyring import Keyring
from kalkan.vault.records import bulk_create_sealed

FIRST_DAY = date(2015, 1, 1)
LAST_DAY = date(2026, 10, 31)  # fixed, so that a seed means the same records on any day
LANGUAGES = ("ru", "ky", "kk", "en")
LANGUAGE_WEIGHTS = (45, 20, 20, 15)
CHUNK_EVENTS = 1000
HRD_SHARE = 0.10
REUSED_VICTIM_SHARE = 0.12
# Every victim's answer about anonymised statistics, as on the public form: most agree; every
# this-many-th refused (counted by position, so the seed's other draws do not change).
STATISTICS_REFUSED_EVERY = 16
CONSENT_DAY = date(2026, 10, 31)

# --- invented names -------------------------------------------------------------------------

# Syllables that make plausible Central Asian given names without copying anyone; a name is
# two of them and the initial of an invented surname.
_HEADS = ("Аз", "Ай", "Ак", "Ал", "Ас", "Ба", "Бе", "Гү", "Да", "Ди", "Жа", "Жы", "Зе", "Ка",
          "Ку", "Ма", "Ну", "Са", "Та", "Ту", "Эл", "Ер", "Ра", "Ти")
_TAILS = ("ат", "амат", "бек", "гүл", "дана", "жан", "зат", "ира", "кан", "лан", "мир",
          "нара", "нур", "наз", "сан", "тай", "хан", "ша", "ель", "ина", "мөр", "рат")
_INITIALS = "АБГДЕЖЗИКМНОРСТУЧШЭ"


def _pseudonym(rng: random.Random) -> str:
    given = rng.choice(_HEADS) + rng.choice(_TAILS)
    initial = rng.choice(_INITIALS)
    if rng.random() < 0.4:  # written in Latin letters, as many people write their names
        return f"{latin(given).capitalize()} {latin(initial)[:1].upper()}."
    return f"{given} {initial}."


# --- stock sentences --------------------------------------------------------------------------

THEMES: dict[str, dict[str, tuple[str, ...]]] = {
    "entrapment": {
        "ru": ("Познакомились через приложение для знакомств, на встрече ждали трое.",
               "Переписка в мессенджере оказалась ловушкой."),
        "ky": ("Таанышуу тиркемеси аркылуу жолугушууга чакырышкан.",
               "Жолугушууга барганда үч киши күтүп турган."),
        "kk": ("Танысу қосымшасы арқылы кездесуге шақырған.",
               "Кездесуге барғанда үш адам күтіп тұрған."),
        "en": ("They met through a dating app; three men were waiting at the meeting.",
               "The chat on the messenger turned out to be a trap."),
    },
    "detention": {
        "ru": ("Сотрудники задержали его и несколько часов держали в отделе без протокола.",
               "В отделе не дали позвонить родным."),
        "ky": ("Кызматкерлер кармап, бир нече саат бөлүмдө протоколсуз кармашкан.",
               "Бөлүмдө туугандарына чалууга уруксат беришкен эмес."),
        "kk": ("Қызметкерлер ұстап, бірнеше сағат бөлімшеде хаттамасыз ұстаған.",
               "Бөлімшеде туыстарына қоңырау шалуға рұқсат бермеген."),
        "en": ("Officers detained him and held him at the station for hours without a record.",
               "At the station he was not allowed to call his family."),
    },
    "extortion": {
        "ru": ("Потребовали деньги, иначе обещали рассказать родственникам.",
               "Деньги перевели на карту, но требования повторились."),
        "ky": ("Акча талап кылышып, болбосо туугандарына айтабыз дешкен.",
               "Акчаны картага которушкан, бирок талап кайталанган."),
        "kk": ("Ақша талап етіп, әйтпесе туыстарына айтамыз деген.",
               "Ақшаны картаға аударған, бірақ талап қайталанған."),
        "en": ("They demanded money or they would tell the relatives.",
               "The money was transferred to a card, but the demands came again."),
    },
    "threats": {
        "ru": ("Угрожали расправой и писали с незнакомых номеров.",
               "Угрожали рассказать семье и на работе."),
        "ky": ("Өлтүрөбүз деп коркутуп, белгисиз номерлерден жазышкан.",
               "Үй-бүлөсүнө жана жумушуна айтабыз деп коркутушкан."),
        "kk": ("Өлтіреміз деп қорқытып, белгісіз нөмірлерден жазған.",
               "Отбасына және жұмысына айтамыз деп қорқытқан."),
        "en": ("They threatened violence and wrote from unknown numbers.",
               "They threatened to tell the family and the employer."),
    },
    "assault": {
        "ru": ("Избили на улице, выбили зуб.", "Били в отделе, к врачу не пустили."),
        "ky": ("Көчөдө сабап, тишин сындырышкан.", "Бөлүмдө сабашып, дарыгерге киргизишкен эмес."),
        "kk": ("Көшеде ұрып-соғып, тісін сындырған.", "Бөлімшеде ұрып, дәрігерге жібермеген."),
        "en": ("He was beaten in the street and lost a tooth.",
               "He was beaten at the station and denied a doctor."),
    },
    "outing": {
        "ru": ("Видео с вынужденным признанием разместили в закрытом канале.",
               "Фотографии разослали родственникам и коллегам."),
        "ky": ("Мажбурлап алынган видеосун жабык каналга жарыялашкан.",
               "Сүрөттөрүн туугандарына жана кесиптештерине жөнөтүшкөн."),
        "kk": ("Мәжбүрлеп түсірілген бейнежазбаны жабық арнаға жариялаған.",
               "Суреттерін туыстары мен әріптестеріне жіберген."),
        "en": ("A video of a forced confession was posted in a closed channel.",
               "Photos were sent to relatives and colleagues."),
    },
    "online": {
        "ru": ("В соцсетях началась травля, аккаунт взломали.",
               "Создали фальшивый профиль и писали от её имени."),
        "ky": ("Социалдык тармактарда куугунтук башталып, аккаунтун бузуп киришкен.",
               "Жасалма профиль ачып, анын атынан жазышкан."),
        "kk": ("Әлеуметтік желілерде қудалау басталып, аккаунтын бұзып кірген.",
               "Жалған профиль ашып, оның атынан жазған."),
        "en": ("Harassment started on social media and the account was hacked.",
               "A fake profile was made to write in her name."),
    },
    "device": {
        "ru": ("Забрали телефон и заставили назвать пароль.",
               "Переписку просмотрели и сфотографировали контакты."),
        "ky": ("Телефонун тартып алып, сырсөзүн айтууга мажбурлашкан.",
               "Кат алышууларын карап, байланыштарын сүрөткө тартышкан."),
        "kk": ("Телефонын тартып алып, құпиясөзін айтуға мәжбүрлеген.",
               "Хат алмасуын қарап, байланыстарын суретке түсірген."),
        "en": ("His phone was taken and he was forced to give the password.",
               "They read the messages and photographed the contacts."),
    },
    "family": {
        "ru": ("Родственники заперли её дома и забрали паспорт.", "Семья требовала выйти замуж."),
        "ky": ("Туугандары аны үйгө камап, паспортун алып коюшкан.",
               "Үй-бүлөсү турмушка чыгууну талап кылган."),
        "kk": ("Туыстары оны үйге қамап, төлқұжатын алып қойған.",
               "Отбасы күйеуге шығуды талап еткен."),
        "en": ("Relatives locked her in at home and took her passport.",
               "The family demanded that she marry."),
    },
    "discrimination": {
        "ru": ("Уволили с работы после слухов.", "В поликлинике отказали в приёме."),
        "ky": ("Ушактан кийин жумуштан бошотушкан.", "Емканада кабыл алуудан баш тартышкан."),
        "kk": ("Өсектен кейін жұмыстан шығарған.", "Емханада қабылдаудан бас тартқан."),
        "en": ("Dismissed from work after rumours.", "The clinic refused to see her."),
    },
    "civic": {
        "ru": ("Мероприятие сорвали, участников переписали.",
               "Организацию вызывали на проверки."),
        "ky": ("Иш-чараны бузуп, катышуучулардын тизмесин жазып алышкан.",
               "Уюмду текшерүүлөргө чакырышкан."),
        "kk": ("Іс-шараны бұзып, қатысушылардың тізімін жазып алған.",
               "Ұйымды тексерулерге шақырған."),
        "en": ("The gathering was broken up and the participants' names taken down.",
               "The organisation was called in for inspections."),
    },
    "justice": {
        "ru": ("Заявление в прокуратуру осталось без ответа.", "Адвоката к нему не допустили."),
        "ky": ("Прокуратурага берилген арыз жоопсуз калган.", "Адвокатты жолуктурушкан эмес."),
        "kk": ("Прокуратураға берілген арыз жауапсыз қалған.", "Адвокатты жібермеген."),
        "en": ("The complaint to the prosecutor got no answer.", "No lawyer was allowed in."),
    },
}
# Reasons perpetrators give, as the victims quote them (stated_reason).
REASONS = {
    "ru": ("«проверка документов»", "«пропаганда»", "«профилактическая беседа»"),
    "ky": ("«документ текшерүү»", "«үгүт»", "«алдын алуу аңгемеси»"),
    "kk": ("«құжат тексеру»", "«насихат»", "«алдын алу әңгімесі»"),
    "en": ("“a document check”", "“propaganda”", "“a preventive talk”"),
}

# --- how acts are distributed ----------------------------------------------------------------

# The root of an act type's code (its first part) -> (weight, theme, perpetrator profile).
ACT_ROOTS: dict[str, tuple[float, str, str]] = {
    "detention": (14, "detention", "state"),
    "extortion": (12, "extortion", "state"),
    "threats": (12, "threats", "street"),
    "assault": (10, "assault", "street"),
    "outing": (9, "outing", "online"),
    "online_harassment": (9, "online", "online"),
    "entrapment": (5, "entrapment", "online"),
    "device_search": (4, "device", "state"),
    "family_violence": (4, "family", "family"),
    "discrimination": (3, "discrimination", "work"),
    "torture": (2, "detention", "state"),
    "sexual_violence": (2, "assault", "street"),
    "forced_disclosure": (2, "extortion", "state"),
    "hate_speech": (2, "online", "speech"),
    "surveillance": (1.5, "threats", "state"),
    "raid": (1.5, "device", "state"),
    "expulsion_from_home": (1.5, "family", "family"),
    "event_disruption": (1, "civic", "state"),
    "restrictive_law": (1, "civic", "state"),
    "intimate_images": (1, "outing", "online"),
    "conversion_practices": (0.8, "family", "family"),
    "lawyer_denied": (0.8, "justice", "state"),
    "refusal_to_investigate": (0.8, "justice", "state"),
    "fabricated_charges": (0.6, "justice", "state"),
    "killing": (0.3, "assault", "street"),
}
DEFAULT_ROOT = (0.4, "threats", "street")

# Perpetrator profiles: code -> weight (codes missing from the vocabulary are skipped).
PERPETRATORS: dict[str, dict[str, float]] = {
    "state": {"police.district": 10, "police.criminal_investigation": 8, "police.patrol": 6,
              "police": 3, "police.other": 1, "security_service": 5, "prosecutors_courts": 1,
              "prosecutors_courts.prosecutors": 1, "prison_staff": 1, "officials.local": 1,
              "unknown": 1},
    "online": {"online_accounts": 10, "strangers": 4, "acquaintances": 3, "police.district": 2,
               "police.criminal_investigation": 2, "private_media": 1, "partner": 1,
               "unknown": 3},
    "street": {"strangers": 6, "organised_groups": 4, "police.patrol": 4, "police.district": 3,
               "mob": 2, "acquaintances": 2, "partner": 1, "family.siblings": 1, "unknown": 3},
    "family": {"family.parents": 6, "family.siblings": 5, "family.extended": 3, "family": 2,
               "family.spouse": 1, "partner": 1, "religious_authorities": 1, "community": 1,
               "medical_staff": 1},
    "work": {"employer": 6, "medical_staff": 3, "landlord": 3, "school_staff": 2,
             "officials.local": 2},
    "speech": {"officials.national": 3, "officials.parliament": 2, "state_media": 3,
               "private_media": 2, "religious_authorities": 2},
}
COLLECTIVES = ("online_accounts", "strangers", "acquaintances", "organised_groups", "mob",
               "community", "unknown", "other")

YEARS = {2015: 3, 2016: 3, 2017: 4, 2018: 4, 2019: 5, 2020: 6, 2021: 7, 2022: 8, 2023: 9,
         2024: 10, 2025: 11, 2026: 9}
AGE_BANDS = {"14_17": 4, "18_24": 30, "25_34": 35, "35_44": 14, "45_54": 6, "55_64": 2,
             "65_plus": 1, "unknown": 8}
GENDER_IDENTITIES = {"man": 45, "woman": 20, "trans_woman": 10, "trans_man": 5,
                     "non_binary": 5, "questioning": 2, "not_stated": 13}
SEXUAL_ORIENTATIONS = {"gay": 40, "lesbian": 15, "bisexual": 15, "queer": 3, "pansexual": 2,
                       "heterosexual": 5, "asexual": 1, "questioning": 2, "not_stated": 17}
# Characteristics besides "hrd" (HRD_SHARE), each with its own chance.
CHARACTERISTICS = {"activist": 0.08, "student": 0.12, "ngo_staff": 0.04, "journalist": 0.02,
                   "plhiv": 0.05, "migrant": 0.04, "sex_worker": 0.03, "ethnic_minority": 0.03}
OCCUPATIONS = {"student": 12, "unemployed": 8, "ngo_worker": 5, "it_worker": 5,
               "service_sales": 12, "manual_worker": 6, "artist": 3, "teacher": 2,
               "health_worker": 2, "business": 3, "sex_worker": 2, "unknown": 20}
HRD_ROLES = ("outreach worker", "lawyer at a community organisation", "peer counsellor",
             "organiser of a support group")
VIOLATION_STATUS = {"confirmed": 35, "likely": 30, "possible": 15, "unlikely": 3,
                    "unknown": 17}
MONITORING_STATUS = {"open": 30, "under_investigation": 10, "pending": 10, "closed": 50}
SOURCES = {"victim_testimony": 40, "intake_report": 15, "hotline_call": 8, "messenger": 10,
           "witness": 8, "relative": 5, "social_media": 5, "media": 3, "ngo_report": 4,
           "screenshot": 2}
CONNECTIONS = {"victim_testimony": "direct_victim", "intake_report": "direct_victim",
               "hotline_call": "direct_victim", "messenger": "direct_victim",
               "witness": "eyewitness", "relative": "relative", "social_media": "documentary",
               "media": "journalist", "ngo_report": "service_provider.ngo",
               "screenshot": "documentary"}
RELIABILITY = {"high": 30, "likely": 30, "medium": 20, "unlikely": 5, "low": 5, "unknown": 10}
PLACE_TYPES = {
    "state": {"police_station": 6, "temporary_detention": 2, "street": 3, "car": 2,
              "security_service_building": 1, "private_home": 1},
    "online": {"online": 8, "private_home": 1, "cafe_bar": 1},
    "street": {"street": 5, "park": 2, "cafe_bar": 2, "private_home": 2, "public_transport": 1,
               "online": 1},
    "family": {"private_home.relatives": 5, "private_home.victim": 3, "religious_site": 1,
               "medical_facility.psychiatric": 1},
    "work": {"workplace": 5, "medical_facility.clinic": 2, "school": 2, "private_home.rented": 2},
    "speech": {"online": 4, "government_office": 1, "other": 1},
}
CONSEQUENCES = {"psychological.fear_isolation": 5, "psychological.anxiety_depression": 4,
                "physical.injury": 3, "economic.money_lost": 3, "social.outing_family": 3,
                "social.loss_of_job": 2, "social.loss_of_housing": 1,
                "social.internal_relocation": 1, "social.forced_emigration": 1,
                "social.stopped_activism": 1}


@dataclass
class Chunk:
    """Rows to seal, referring to each other by position: persons and events by their
    index among all generated so far, acts by their index in this chunk."""

    persons: list[dict[str, str]] = field(default_factory=list)
    events: list[dict[str, str]] = field(default_factory=list)
    acts: list[tuple[dict[str, str], int, int]] = field(default_factory=list)  # event, victim
    involvements: list[tuple[dict[str, str], int, int]] = field(default_factory=list)  # act, perp
    sources: list[tuple[dict[str, str], int, int | None]] = field(default_factory=list)
    consents: list[tuple[dict[str, str], int]] = field(default_factory=list)  # person
    victims: int = 0
    perpetrators: int = 0


class _Weighted:
    """A weighted choice among codes."""

    def __init__(self, weights: Mapping[str, float]) -> None:
        self.codes = [code for code, weight in weights.items() if weight > 0]
        if not self.codes:
            raise ValueError("nothing to choose from")
        self.cumulative = list(itertools.accumulate(weights[code] for code in self.codes))

    def __call__(self, rng: random.Random) -> str:
        return rng.choices(self.codes, cum_weights=self.cumulative)[0]


def _known(name: str, weights: Mapping[str, float]) -> _Weighted:
    """The weights of the codes the vocabulary has and may still be chosen."""
    vocab = vocabulary(name)
    return _Weighted({code: weight for code, weight in weights.items()
                      if code in vocab and vocab.is_active(code)})


def _act_types() -> tuple[dict[str, float], dict[str, tuple[str, str]]]:
    """Every active act type with a weight (its root's weight, shared between the root and
    its subtypes; group headings rarely), and each one's theme and perpetrator profile."""
    vocab = vocabulary("act_types")
    weights: dict[str, float] = {}
    kinds: dict[str, tuple[str, str]] = {}
    for term in vocab.active():
        root = term.code.split(".")[0]
        weight, theme, profile = ACT_ROOTS.get(root, DEFAULT_ROOT)
        if not term.parent and vocab.children(term.code):
            weight = 0.05  # a group heading ("violence"): coders are seldom that vague
        else:
            family = [t for t in vocab.active() if t.code.split(".")[0] == root]
            subtypes = len(family) - 1
            if subtypes:
                weight *= 0.4 if term.code == root else 0.6 / subtypes
        weights[term.code] = weight
        kinds[term.code] = (theme, profile)
    return weights, kinds


def _places() -> _Weighted:
    """Regions and districts of Kyrgyzstan (3/5) and Kazakhstan (2/5): a quarter of the
    records known only to the region, the rest to the district or city; the cities of
    national significance count as much as a whole region."""
    weights: dict[str, float] = {}
    for country, share in (("kg", 0.6), ("kz", 0.4)):
        regions = gazetteer.children(country)
        for region in regions:
            districts = gazetteer.children(region.code)
            region_share = share / len(regions)
            weights[region.code] = region_share * (0.25 if districts else 1.0)
            for district in districts:
                weights[district.code] = region_share * 0.75 / len(districts)
    return _Weighted(weights)


def _fuzzy(rng: random.Random, day: date) -> dict[str, Any]:
    """A date as records keep it: known to the day, the month or the year."""
    roll = rng.random()
    precision = "day" if roll < 0.55 else "month" if roll < 0.85 else "year"
    return {"year": day.year, "month": day.month if precision != "year" else None,
            "day": day.day if precision == "day" else None, "precision": precision,
            "approximate": rng.random() < 0.1}


def _day(rng: random.Random) -> date:
    year = rng.choices(list(YEARS), weights=list(YEARS.values()))[0]
    first = max(FIRST_DAY, date(year, 1, 1))
    last = min(LAST_DAY, date(year, 12, 31))
    return first + timedelta(days=rng.randrange((last - first).days + 1))


class _Planner:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 (fictional records, not secrets)
        weights, self.act_kinds = _act_types()
        self.act_type = _Weighted(weights)
        # The other acts of an event are mostly of the same kind (by the same perpetrators).
        self.related = {
            profile: _Weighted({code: weight for code, weight in weights.items()
                                if self.act_kinds[code][1] == profile})
            for profile in dict.fromkeys(kind[1] for kind in self.act_kinds.values())
        }
        self.place = _places()
        self.perpetrator_types = {name: _known("perpetrator_types", weights)
                                  for name, weights in PERPETRATORS.items()}
        self.place_types = {name: _known("type_of_place", weights)
                            for name, weights in PLACE_TYPES.items()}
        self.age = _known("age_band", AGE_BANDS)
        self.gender = _known("gender_identity", GENDER_IDENTITIES)
        self.orientation = _known("sexual_orientation", SEXUAL_ORIENTATIONS)
        self.occupation = _known("occupation", OCCUPATIONS)
        self.violation = _known("violation_status", VIOLATION_STATUS)
        self.monitoring = _known("monitoring_status", MONITORING_STATUS)
        self.source = _known("source_types", SOURCES)
        self.reliability = _known("reliability", RELIABILITY)
        self.consequence = _known("consequences", CONSEQUENCES)
        self.methods = [t.code for t in vocabulary("methods_of_violence").active()
                        if "." in t.code]
        self.detention_types = [t.code for t in vocabulary("detention_types").active()]
        self.platforms = [t.code for t in vocabulary("platforms").active()]
        self.content_types = [t.code for t in vocabulary("digital_content_types").active()]
        self.payment = [t.code for t in vocabulary("payment_methods").active()]
        self.disclosure = [t.code for t in vocabulary("disclosure_threatened_to").active()]
        self.persons = 0
        self.events = 0
        self.victims: list[tuple[int, list[str]]] = []  # person index, characteristics
        self.perpetrators: dict[tuple[str, str], int] = {}

    # persons

    def _new_person(self, chunk: Chunk, pseudonym: str, profile: dict[str, Any]) -> int:
        chunk.persons.append({"pseudonym": pseudonym, "profile": json_text(profile),
                              "identity": json_text({})})
        self.persons += 1
        return self.persons - 1

    def victim(self, chunk: Chunk) -> tuple[int, list[str]]:
        rng = self.rng
        if self.victims and rng.random() < REUSED_VICTIM_SHARE:
            return rng.choice(self.victims)
        age = self.age(rng)
        characteristics = ["hrd"] if rng.random() < HRD_SHARE else []
        characteristics += [code for code, chance in CHARACTERISTICS.items()
                            if rng.random() < chance]
        if age in ("0_13", "14_17"):
            characteristics.append("minor")
        profile: dict[str, Any] = {
            "kind": "individual", "age_band": age,
            "gender_identity": {"code": self.gender(rng), "self_described": ""},
            "sexual_orientation": {"code": self.orientation(rng), "self_described": ""},
            "occupation": self.occupation(rng), "characteristics": characteristics,
            "hrd_role": rng.choice(HRD_ROLES) if "hrd" in characteristics else "",
        }
        index = self._new_person(chunk, _pseudonym(rng), profile)
        given = len(self.victims) % STATISTICS_REFUSED_EVERY != STATISTICS_REFUSED_EVERY - 1
        chunk.consents.append(({"details": json_text({
            "purpose": "statistics", "given": given, "on": CONSENT_DAY.isoformat(),
            "how": "public report form", "partner": "",
            **({} if given else {"refused": True})})}, index))
        chunk.victims += 1
        self.victims.append((index, characteristics))
        return index, characteristics

    def perpetrator(self, chunk: Chunk, code: str, place: str) -> int:
        """One person per type of perpetrator and region: "Участковые инспекторы —
        Чуйская область", an institution or group, never a real unit or person."""
        region = gazetteer.coarsen(place)
        key = (code, region)
        if key not in self.perpetrators:
            vocab = vocabulary("perpetrator_types")
            root = code.split(".")[0]
            kind = ("family" if root == "family" else "individual" if root == "partner"
                    else "group" if root in COLLECTIVES else "organisation")
            where = gazetteer.PLACES[region]
            pseudonym = f"{vocab.label(code, 'ru')} — {where.name('ru')}"
            self.perpetrators[key] = self._new_person(chunk, pseudonym, {"kind": kind})
            chunk.perpetrators += 1
        return self.perpetrators[key]

    # events and what they are made of

    def event(self, chunk: Chunk, acts: int) -> None:
        rng = self.rng
        event_index = self.events
        self.events += 1
        language = rng.choices(LANGUAGES, weights=LANGUAGE_WEIGHTS)[0]
        place = self.place(rng)
        start = _day(rng)
        types = [self.act_type(rng)]
        for _ in range(acts - 1):
            roll = rng.random()
            types.append(types[0] if roll < 0.4 else self.act_type(rng) if roll > 0.85
                         else self.related[self.act_kinds[types[0]][1]](rng))
        victims: list[tuple[int, list[str]]] = []
        for _ in range(acts):
            if victims and rng.random() < 0.35:  # the same person suffered several acts
                victims.append(rng.choice(victims))
            else:
                victims.append(self.victim(chunk))
        themes = list(dict.fromkeys(self.act_kinds[t][0] for t in types))
        sentences = [rng.choice(THEMES[theme][language]) for theme in themes]
        if rng.random() < 0.3:
            sentences.append(rng.choice(THEMES["justice"][language]))
        details: dict[str, Any] = {
            "start": _fuzzy(rng, start), "end": None,
            "place": {"code": place, "detail": ""},
            "violation_status": self.violation(rng), "monitoring_status": self.monitoring(rng),
            "legislation": [], "generated": True,
        }
        title = (f"{vocabulary('act_types').label(types[0], language)} — "
                 f"{gazetteer.PLACES[place].name(language)}")
        chunk.events.append({"title": title, "description": " ".join(sentences),
                             "details": json_text(details)})
        for act_type, (victim, characteristics) in zip(types, victims, strict=True):
            self.act(chunk, event_index, act_type, victim, characteristics, place, start,
                     language)
        source_type = self.source(rng)
        reported = min(LAST_DAY, start + timedelta(days=rng.randrange(0, 90)))
        chunk.sources.append((
            {"details": json_text({
                "source_type": source_type, "connection": CONNECTIONS.get(source_type, ""),
                "reliability": self.reliability(rng), "date": _fuzzy(rng, reported),
                "language": language, "notes": ""})},
            event_index,
            victims[0][0] if source_type == "victim_testimony" else None,
        ))

    def act(self, chunk: Chunk, event: int, act_type: str, victim: int,
            characteristics: list[str], place: str, start: date, language: str) -> None:
        rng = self.rng
        _theme, profile = self.act_kinds[act_type]
        day = min(LAST_DAY, start + timedelta(days=rng.randrange(0, 3)))
        details: dict[str, Any] = {
            "type": act_type,
            "start": _fuzzy(rng, day) if rng.random() < 0.4 else None,
            "end": None,
            "place": {"code": "", "detail": ""},
            "type_of_place": self.place_types[profile](rng),
            "methods": [], "consequences": [], "rights": [], "notes": "",
            "stated_reason": (rng.choice(REASONS[language])
                              if profile == "state" and rng.random() < 0.2 else ""),
            "victim_characteristics": list(characteristics),
        }
        consequences = rng.choices([0, 1, 2, 3], weights=[3, 4, 2, 1])[0]
        details["consequences"] = list(dict.fromkeys(
            self.consequence(rng) for _ in range(consequences)))
        root = act_type.split(".")[0]
        if root in ("assault", "torture", "sexual_violence", "killing") and self.methods:
            details["methods"] = rng.sample(self.methods, rng.randint(1, 2))
        if root == "detention" and self.detention_types:
            details["detention"] = {
                "type": rng.choice(self.detention_types),
                "whereabouts_acknowledged": rng.random() < 0.5,
                "legal_counsel": rng.random() < 0.3,
                "forced_statements": rng.random() < 0.4,
                "medical_attention": rng.random() < 0.2,
            }
        if root == "extortion" and self.payment:
            currency = "kgs" if place.startswith("kg") else "kzt"
            amount = rng.choice((200, 300, 500, 1000, 2000)) * (
                87 if currency == "kgs" else 480)
            details["extortion"] = {
                "amount": str(amount), "currency": currency,
                "payment_method": rng.choice(self.payment), "repeated": rng.random() < 0.4,
                "disclosure_threatened_to": rng.sample(self.disclosure, rng.randint(1, 2)),
            }
        if profile == "online" and self.platforms:
            details["digital"] = {
                "platform": rng.choice(self.platforms),
                "content_type": rng.choice(self.content_types),
                "reach": rng.choice((10, 50, 200, 1000, 5000)), "handles": [], "url": "",
            }
        act_index = len(chunk.acts)
        chunk.acts.append(({"details": json_text(details)}, event, victim))
        involvements = rng.choices([0, 1, 2], weights=[5, 78, 17])[0]
        chosen: list[str] = []
        for _ in range(involvements):
            code = self.perpetrator_types[profile](rng)
            if code in chosen:
                continue
            chosen.append(code)
            perpetrator = self.perpetrator(chunk, code, place)
            chunk.involvements.append((
                {"details": json_text({"perpetrator_types": [code],
                                   "degree": "direct" if not chosen[:-1] else "complicit",
                                   "status_after": "", "notes": ""})},
                act_index, perpetrator,
            ))


def plan(acts: int, seed: int = 0) -> Iterator[Chunk]:
    """The records to make, in chunks of about CHUNK_EVENTS events: 2.5 acts per event on
    average, exactly `acts` acts in all."""
    planner = _Planner(seed)
    left = acts
    while left > 0:
        chunk = Chunk()
        for _ in range(CHUNK_EVENTS):
            if left <= 0:
                break
            count = min(left, planner.rng.choices([1, 2, 3, 4, 5, 6],
                                                  weights=[30, 25, 20, 12, 8, 5])[0])
            planner.event(chunk, count)
            left -= count
        yield chunk


def generate(
    keyring: Keyring, *, acts: int, seed: int = 0, by: User | None = None
) -> dict[str, int]:
    """Make and seal `acts` fictional acts with their events, persons, perpetrators and
    sources (see the module's docstring). Returns how many records of each kind were made."""
    counts = {"events": 0, "persons": 0, "victims": 0, "perpetrators": 0, "acts": 0,
              "involvements": 0, "sources": 0, "consents": 0}
    person_ids: list[Any] = []
    event_ids: list[Any] = []
    for chunk in plan(acts, seed):
        with transaction.atomic():
            person_ids += bulk_create_sealed(Person, keyring, chunk.persons)
            event_ids += bulk_create_sealed(
                Event, keyring, [(row, {"coded_by": by}) for row in chunk.events])
            act_ids = bulk_create_sealed(Act, keyring, [
                (row, {"event_id": event_ids[event], "victim_id": person_ids[victim]})
                for row, event, victim in chunk.acts
            ])
            bulk_create_sealed(Involvement, keyring, [
                (row, {"act_id": act_ids[act], "perpetrator_id": person_ids[perpetrator]})
                for row, act, perpetrator in chunk.involvements
            ])
            bulk_create_sealed(Information, keyring, [
                (row, {"event_id": event_ids[event],
                       "source_id": None if source is None else person_ids[source]})
                for row, event, source in chunk.sources
            ])
            bulk_create_sealed(ConsentEntry, keyring, [
                (row, {"person_id": person_ids[person], "by": by})
                for row, person in chunk.consents
            ])
        counts["events"] += len(chunk.events)
        counts["persons"] += len(chunk.persons)
        counts["victims"] += chunk.victims
        counts["perpetrators"] += chunk.perpetrators
        counts["acts"] += len(chunk.acts)
        counts["involvements"] += len(chunk.involvements)
        counts["sources"] += len(chunk.sources)
        counts["consents"] += len(chunk.consents)
    return counts
