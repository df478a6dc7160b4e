"""Automatic redaction of narratives: what a documentation officer sees on the review screen
and what ends up in a redacted summary. Every name, number and address here is invented."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.utils import translation

from kalkan.analysis import redaction
from kalkan.analysis.redaction import (
    Decision,
    Finding,
    Pseudonyms,
    apply,
    find,
    iin_is_valid,
    propose,
)


def kinds(text: str, language: str | None = None) -> dict[str, str]:
    """What was found, as {found text: kind}."""
    return {f.text: f.kind for f in find(text, language)}


def found(text: str, piece: str, kind: str, language: str | None = None) -> bool:
    """Whether `piece` is wholly inside one finding of `kind`."""
    start = text.index(piece)
    return any(f.kind == kind and f.start <= start and start + len(piece) <= f.end
               for f in find(text, language))


# --- each kind, in each language --------------------------------------------------------------

CASES = [
    # (language, text, piece, kind)
    ("ru", "Вечером 12 марта Нурлан Асанбеков договорился о встрече через приложение.",
     "Нурлан Асанбеков", "person"),
    ("ru", "Участковый Сыдыков забрал у него телефон.", "Сыдыков", "person"),
    ("ru", "Потом звонили с номера +996 (555) 12-34-56 и требовали денег.",
     "+996 (555) 12-34-56", "phone"),
    ("ru", "Его второй номер 0700 123 456, WhatsApp.", "0700 123 456", "phone"),
    ("ru", "Казахстанский номер: 8 (701) 234-56-78.", "8 (701) 234-56-78", "phone"),
    ("ru", "Мать писала с российского +7 912 345-67-89.", "+7 912 345-67-89", "phone"),
    ("ru", "Брат уехал в Ташкент, его номер +998 90 123 45 67.", "+998 90 123 45 67", "phone"),
    ("ru", "Друг из Душанбе, +992 93 123 4567, тоже получал угрозы.", "+992 93 123 4567",
     "phone"),
    ("ru", "Пишите на nurlan.asanbekov@mail.ru, он отвечает вечером.",
     "nurlan.asanbekov@mail.ru", "email"),
    ("ru", "Угрозы приходили с аккаунта @nurik_kg в Instagram.", "@nurik_kg", "handle"),
    ("ru", "Ссылку прислали из t.me/toktogul_bsk, канал потом удалили.",
     "t.me/toktogul_bsk", "handle"),
    ("ru", "В Hornet он был под ником «sunny_boy95».", "sunny_boy95", "handle"),
    ("ru", "У него забрали паспорт AN1234567 и вернули только утром.", "AN1234567",
     "id_number"),
    ("ru", "Паспорт гражданина РФ 45 06 123456 остался в отделе.", "45 06 123456",
     "id_number"),
    ("ru", "ПИН 21503199500123 записали в протокол.", "21503199500123", "id_number"),
    ("ru", "За ним ехала машина 01 123 ABC без опознавательных знаков.", "01 123 ABC",
     "plate"),
    ("ru", "Машина с российскими номерами А123ВС 77 стояла у подъезда.", "А123ВС 77",
     "plate"),
    ("ru", "Он живёт по адресу ул. Токтогула, д. 45, кв. 12 с матерью.",
     "ул. Токтогула, д. 45, кв. 12", "address"),
    ("ru", "Встречу назначили на проспект Чуй, 120, у входа.", "проспект Чуй, 120", "address"),
    ("ru", "Заявитель, 03.04.1995 г.р., обратился к нам в понедельник.", "03.04.1995",
     "birth_date"),
    ("ky", "Кечээ Бишкекте Азамат Токтогулов милиция кызматкерлери тарабынан кармалды.",
     "Азамат Токтогулов", "person"),
    ("ky", "Бакыт Токтоматов менен +996 555 987 654 телефону аркылуу байланышса болот.",
     "+996 555 987 654", "phone"),
    ("ky", "Ал Токтогул көчөсү, 45-үй, 12-батирде жашайт.", "Токтогул көчөсү, 45-үй, 12-батир",
     "address"),
    ("ky", "Ал 1995-жылы туулган, азыр Ошто жашайт.", "1995-жылы", "birth_date"),
    ("ky", "Тиркемеде ал адам «aibek_osh» деген ат менен жазышкан.", "aibek_osh", "handle"),
    ("ky", "Аларды 08 456 KGB номерлүү ак унаа күтүп турган.", "08 456 KGB", "plate"),
    ("kk", "Кеше Алматыда Айгерім Сейтқызы полиция қызметкерлері ұстады.", "Айгерім Сейтқызы",
     "person"),
    ("kk", "Оның телефоны +7 701 234 56 78, хабарласыңыз.", "+7 701 234 56 78", "phone"),
    ("kk", "Полиция ЖСН 950403400123 жазып алды.", "950403400123", "id_number"),
    ("kk", "Төлқұжат N12345678 қайтарылмады.", "N12345678", "id_number"),
    ("kk", "Оларды 123 ABC 02 нөмірлі көлік күтіп тұрған.", "123 ABC 02", "plate"),
    ("kk", "Ол Абай даңғылы, 10-үй, 5-пәтерде тұрады.", "Абай даңғылы, 10-үй, 5-пәтер",
     "address"),
    ("kk", "Ол 1995 жылы туған.", "1995 жылы", "birth_date"),
    ("en", "Dmitry Orlov was detained by police in Bishkek on 12 March 2023.", "Dmitry Orlov",
     "person"),
    ("en", "Her friend Zarina Kadyrova saw the car leave.", "Zarina Kadyrova", "person"),
    ("en", "Bakyt Toktomatov can be reached at +996 700 111 222.", "Bakyt Toktomatov",
     "person"),
    ("en", "He can be reached at +996 700 111 222.", "+996 700 111 222", "phone"),
    ("en", "Write to zarina.k@gmail.com after six.", "zarina.k@gmail.com", "email"),
    ("en", "The threats came from instagram.com/zarina.kg last week.", "instagram.com/zarina.kg",
     "handle"),
    ("en", "His passport ID 7654321 was kept by the officers.", "7654321", "id_number"),
    ("en", "A car with plates B 1234 AB followed him.", "B 1234 AB", "plate"),
    ("en", "She lives at 12 Chui Avenue, apt 5, with her aunt.", "12 Chui Avenue, apt 5",
     "address"),
    ("en", "Zarina Kadyrova (born 4 May 1990) contacted our hotline.", "4 May 1990",
     "birth_date"),
    # Address forms without the usual street word, and what follows the flat (issue 17).
    ("kk", "Мекенжайы: Қарағанды қ., Бұқар жырау к-сі, 15, 22 пәтер",
     "Бұқар жырау к-сі, 15, 22 пәтер", "address"),
    ("kk", "Ол Орбита-3 ықшамауданы, 12 үй, 7 пәтерде тұрады.",
     "Орбита-3 ықшамауданы, 12 үй, 7 пәтер", "address"),
    ("kk", "Біз Тимирязев 42В, 17 пәтерде кездестік.", "Тимирязев 42В, 17 пәтер", "address"),
    ("ky", "azyr 5 mkr, 14 uy, 22 kv jashap jatam", "5 mkr, 14 uy, 22 kv", "address"),
    ("ky", "Кеңсе Чүй проспектиси, 50, 4-кабатта жайгашкан.", "Чүй проспектиси, 50, 4-кабат",
     "address"),
    ("en", "They met at Abylai khan avenue 17, office 3 on Monday.",
     "Abylai khan avenue 17, office 3", "address"),
    ("en", "He rented a room at Manas Ave 88/2, apt 14 until May.", "Manas Ave 88/2, apt 14",
     "address"),
    ("en", "The van waited at Frunze St 21, entrance 2, for an hour.",
     "Frunze St 21, entrance 2", "address"),
    # Names beside initials, as records write them; nicknames in quotes; names capitalised in
    # a chat whose sentences begin in lower case.
    ("en", "The form was filled in by: T. Pak, 3 June.", "T. Pak", "person"),
    ("ru", "По ходатайству адвоката Нурмухамбет Р.К. суд отложил заседание.",
     "Нурмухамбет Р.К.", "person"),
    ("en", "hi its me again. so Bakyt said the police came to his mum. now Aidai and Marat "
     "are with me", "Bakyt", "person"),
    ("en", 'The officers kept calling the other one "Bars" all night.', "Bars", "person"),
    ("en", 'Name: Dinara Sultanova (prefers "Dina")', "Dina", "person"),
    ("en", 'He signs his posts as Temirlan or "Temka".', "Temka", "person"),
    ("ky", 'экинчисин dep taanyshtyrdy, birok "Bulut" dep chakyryshty.', "Bulut", "person"),
]


@pytest.mark.parametrize(("language", "text", "piece", "kind"), CASES,
                         ids=[f"{c[0]}-{c[3]}-{i}" for i, c in enumerate(CASES)])
def test_each_kind_is_found_in_each_language(language, text, piece, kind):
    assert found(text, piece, kind, language), (piece, kinds(text, language))


def test_names_with_kazakh_letters_are_found():
    # The model was trained on Russian: these letters hide a name from it unless folded.
    text = ("Ғабит Құрманғалиев пен Әсел Нұрланқызы кездесуге барды. Үміт Бекмұханбетова "
            "оларды күтіп тұрды, ал Ерлан Қасымов полицияға хабарласты.")
    for name in ("Ғабит Құрманғалиев", "Әсел Нұрланқызы", "Үміт Бекмұханбетова",
                 "Ерлан Қасымов"):
        assert found(text, name, "person", "kk"), name


def test_names_in_latin_letters_inside_a_russian_narrative():
    text = "В Instagram он подписан как Azamat Toktogulov, а в паспорте — Азамат Токтогулов."
    assert found(text, "Azamat Toktogulov", "person", "ru")
    assert found(text, "Азамат Токтогулов", "person", "ru")


def test_names_typed_all_in_lower_case_are_found():
    text = ("вчера нурлан асанбеков позвонил и сказал что нурлана забрали в отдел, "
            "асанбеков боится идти домой")
    findings = [f for f in find(text, "ru") if f.kind == "person"]
    covered = {i for f in findings for i in range(f.start, f.end)}
    for match in re.finditer(r"нурлан\w*|асанбеков", text):
        assert set(range(match.start(), match.end())) <= covered, (match.group(), findings)
    assert "позвонил" not in {f.text for f in findings}


# --- what must stay ---------------------------------------------------------------------------


def test_event_dates_places_and_units_stay():
    text = ("Вечером 12 марта 2023 года в Бишкеке Нурлан Асанбеков (родился 03.04.1995) был "
            "задержан сотрудниками Свердловского РОВД. 14.03.2023 его отпустили, а 20 марта "
            "адвокат подал жалобу по статье 154 УК КР.")
    result = kinds(text, "ru")
    assert result.get("03.04.1995") == "birth_date"
    for piece in ("12 марта 2023", "14.03.2023", "20 марта", "Бишкеке", "Свердловского",
                  "154"):
        assert not any(piece in value or value in piece for value in result), (piece, result)


def test_an_event_year_near_a_birth_word_stays():
    text = "В 2019 году я окончил университет, родился в Нарыне. Мне 25 лет."
    assert not [f for f in find(text, "ru") if f.kind == "birth_date"]


def test_english_event_dates_stay_and_a_birth_date_goes():
    text = ("On 12 March 2023 Zarina Kadyrova, date of birth 04.05.1990, was stopped in Osh. "
            "On 15 March she was released.")
    result = kinds(text, "en")
    assert result.get("04.05.1990") == "birth_date"
    assert "12 March 2023" not in " ".join(result)
    assert "15 March" not in " ".join(result)


def test_findings_are_sorted_and_never_overlap():
    text = ("Нурлан Асанбеков, 03.04.1995 г.р., ул. Токтогула, д. 45, кв. 12, тел. "
            "+996 555 123 456, nurlan.asanbekov@mail.ru, @nurik_kg, паспорт AN1234567, "
            "машина 01 123 ABC. Асанбекова избили.")
    findings = find(text, "ru")
    assert findings == sorted(findings, key=lambda f: f.start)
    for left, right in zip(findings, findings[1:], strict=False):
        assert left.end <= right.start
    for f in findings:
        assert text[f.start:f.end] == f.text
    # The e-mail holds the name but is one e-mail, not a name and a leftover.
    assert kinds(text, "ru")["nurlan.asanbekov@mail.ru"] == "email"


# --- the IIN check digit ----------------------------------------------------------------------


@pytest.mark.parametrize("number", ["950403400123", "881125304562", "020715507893",
                                    "850614300508"])  # the last one needs the second weights
def test_valid_iins(number):
    assert iin_is_valid(number)


@pytest.mark.parametrize("number", [
    "950403400124",  # wrong check digit
    "951303400123",  # month 13
    "950403900123",  # century digit 9
    "95040340012",  # eleven digits
])
def test_invalid_iins(number):
    assert not iin_is_valid(number)


def test_twelve_digits_that_are_not_an_iin_are_left_alone():
    text = "Номер заказа 123456789012 пришёл в SMS."
    assert not find(text, "ru")
    # The same digits after "ИИН" are taken even with a typo in the check digit.
    typo = "ИИН 950403400124 записали в протокол."
    assert found(typo, "950403400124", "id_number", "ru")


# --- pseudonyms ---------------------------------------------------------------------------------


def person_labels(text: str, language: str) -> dict[str, str | None]:
    return {f.text: label for f, label in propose(text, language) if f.kind == "person"}


def test_one_person_keeps_one_letter_across_inflected_forms():
    text = ("Азамат Токтогулов договорился о встрече. На встрече Азамата ждали трое. "
            "Токтогулову угрожали, у Токтогулова забрали телефон. Потом Азамат Токтогулов "
            "позвонил Зарине Кадыровой, и Кадырова приехала за ним.")
    labels = person_labels(text, "en")
    azamat = {labels[k] for k in ("Азамат Токтогулов", "Азамата", "Токтогулову",
                                  "Токтогулова")}
    zarina = {labels[k] for k in ("Зарине Кадыровой", "Кадырова")}
    assert azamat == {"Person A"}
    assert zarina == {"Person B"}


def test_kyrgyz_case_endings_and_latin_spelling_keep_the_letter():
    text = ("Азамат Токтогулов бизге кайрылды. Азаматтын телефонун алышты, Токтогуловго "
            "коркутуу билдирүүлөрү келген. Instagram'да ал Azamat Toktogulov деп жазылган.")
    labels = person_labels(text, "en")
    assert set(labels.values()) == {"Person A"}, labels


def test_a_family_name_alone_goes_with_the_full_name_it_belongs_to():
    text = ("Токтогулов сообщил о задержании. Позже пришёл Азамат Токтогулов, а с ним Нурлан "
            "Асанбеков. Асанбекова отпустили первым.")
    labels = person_labels(text, "en")
    assert labels["Токтогулов"] == labels["Азамат Токтогулов"] == "Person A"
    assert labels["Нурлан Асанбеков"] == labels["Асанбекова"] == "Person B"


def test_two_people_who_share_a_given_name_are_two_people():
    text = "Азамат Токтогулов и Азамат Беков пришли вместе. Беков ушёл раньше."
    labels = person_labels(text, "en")
    assert labels["Азамат Токтогулов"] != labels["Азамат Беков"]
    assert labels["Беков"] == labels["Азамат Беков"]


def test_other_kinds_get_their_placeholder():
    text = "Тел. +996 555 123 456, почта a.b@mail.ru, паспорт AN1234567."
    assert redaction.redact(text, "en") == (
        "Тел. [phone], почта [e-mail], паспорт [ID number].")


def test_placeholders_are_asked_for_in_the_documents_language(monkeypatch):
    asked: list[tuple[str | None, str]] = []

    def fake_gettext(message: str) -> str:
        asked.append((translation.get_language(), message))
        return f"<{message}>"

    monkeypatch.setattr(redaction, "gettext", fake_gettext)
    text = "Нурлан Асанбеков, +996 555 123 456."
    result = apply(text, find(text, "ky"), Pseudonyms("ky"))
    assert result == "<Person A>, <[phone]>."
    assert {language for language, _ in asked} == {"ky"}
    assert {message for _, message in asked} == {"Person %(letter)s", "[phone]"}


def test_letters_go_past_z():
    surnames = [head + tail + "ов" for head in ("Ас", "Бо", "Ку")
                for tail in ("кан", "сар", "тур", "мат", "бек", "жол", "нур", "тал", "дос", "кыр")]
    text = ", ".join(surnames[:28])
    findings = [Finding(m.start(), m.end(), "person", m.group())
                for m in re.finditer(r"\w+", text)]
    pseudonyms = Pseudonyms("en")
    labels = [pseudonyms.replacement(f) for f in findings]
    assert labels[0] == "Person A" and labels[25] == "Person Z"
    assert labels[26:] == ["Person AA", "Person AB"]


# --- the review screen: accept, edit, reject --------------------------------------------------


def test_reviewer_accepts_edits_and_rejects():
    text = ("Нурлан Асанбеков позвонил 12 марта с номера +996 555 123 456. Участковый Сыдыков "
            "забрал паспорт AN1234567.")
    decisions = propose(text, "en")
    by_text = {f.text: (f, label) for f, label in decisions}
    assert by_text["Нурлан Асанбеков"][1] == "Person A"
    assert by_text["+996 555 123 456"][1] == "[phone]"

    reviewed: list[Decision] = []
    for finding, label in decisions:
        if finding.text == "Сыдыков":
            reviewed.append((finding, None))  # rejected: a public official, keep the name
        elif finding.text == "Нурлан Асанбеков":
            reviewed.append((finding, "the applicant"))  # edited
        else:
            reviewed.append((finding, label))  # accepted
    assert apply(text, reviewed) == (
        "the applicant позвонил 12 марта с номера [phone]. Участковый Сыдыков забрал паспорт "
        "[ID number].")


def test_apply_refuses_findings_from_another_version_of_the_text():
    text = "Нурлан Асанбеков позвонил."
    decisions = propose(text, "en")
    with pytest.raises(ValueError):
        apply("Нурбек Асанбеков позвонил.", decisions)  # edited since it was analysed
    overlapping = [(Finding(0, 6, "person", "Нурлан"), "X"),
                   (Finding(3, 16, "person", "лан Асанбеков"), "Y")]
    with pytest.raises(ValueError):
        apply(text, overlapping)


# --- nothing personal survives -----------------------------------------------------------------

NARRATIVES = {
    "ru": ("Вечером 12 марта Нурлан Асанбеков (03.04.1995 г.р.) договорился о встрече через "
           "Hornet с парнем под ником «sunny_boy95». На встрече Нурлана ждали трое, один "
           "представился участковым Сыдыковым. Сыдыков забрал паспорт AN1234567 и телефон, "
           "переписал номер его подруги Зарины Кадыровой (+996 700 111 222). Машина 01 123 ABC "
           "ждала у дома по адресу ул. Токтогула, д. 45, кв. 12. Фото выложили с аккаунта "
           "@nurik_kg, писать можно на nurlan.asanbekov@mail.ru."),
    "ky": ("2023-жылдын 12-мартында Азамат Токтогулов таанышуу тиркемеси аркылуу жолугушууга "
           "барган. Милиционер Жумабеков Азаматтын телефонун тартып алып, 50 000 сом талап "
           "кылган. Азамат 1995-жылы туулган, Токтогул көчөсү, 45-үй, 12-батирде жашайт. Аны "
           "08 456 KGB унаасы күтүп турган. Байланыш: 0555 123 456, azamat.t@gmail.com."),
    "kk": ("2023 жылғы 12 наурызда Айгерім Сейтқызы танысу қосымшасы арқылы кездесуге барды. "
           "Учаскелік инспектор Қасымов Айгерімнің телефонын алып, ЖСН 950403400123 жазып "
           "алды. Ол 1995 жылы туған, Абай даңғылы, 10-үй, 5-пәтерде тұрады. Оларды 123 ABC 02 "
           "көлігі күтті. Байланыс: +7 701 234 56 78, t.me/aigerim_ala."),
    "en": ("On 12 March 2023 Dmitry Orlov (born 4 May 1990) agreed to meet a man on Grindr. "
           "Officer Bakyt Toktomatov took his passport (AC7654321) and his phone, and copied "
           "the number of his friend Zarina Kadyrova, +7 912 345-67-89. A car with plates "
           "B 1234 AB waited outside 12 Chui Avenue, apt 5. The threats came from "
           "instagram.com/zarina.kg and d.orlov@yandex.ru."),
}
PERSONAL = {
    "ru": ["Нурлан", "Асанбеков", "03.04.1995", "sunny_boy95", "Сыдыков", "AN1234567",
           "Зарин", "Кадыров", "700 111 222", "01 123 ABC", "Токтогула", "45", "nurik_kg",
           "nurlan.asanbekov"],
    "ky": ["Азамат", "Токтогулов", "Жумабеков", "1995", "Токтогул", "45-үй", "08 456 KGB",
           "0555 123 456", "azamat.t"],
    "kk": ["Айгерім", "Сейтқызы", "Қасымов", "950403400123", "1995", "Абай", "10-үй",
           "123 ABC 02", "701 234 56 78", "aigerim_ala"],
    "en": ["Dmitry", "Orlov", "4 May 1990", "Bakyt", "Toktomatov", "AC7654321", "Zarina",
           "Kadyrova", "345-67-89", "B 1234 AB", "12 Chui Avenue", "zarina.kg", "d.orlov"],
}


@pytest.mark.parametrize("language", sorted(NARRATIVES))
def test_nothing_personal_remains_once_everything_is_accepted(language):
    text = NARRATIVES[language]
    redacted = redaction.redact(text, language)
    for piece in PERSONAL[language]:
        assert piece not in redacted, (piece, redacted)
    # ... while what happened, and when, is still there.
    assert re.search(r"12", redacted)


def test_several_threads_get_the_same_findings():
    texts = list(NARRATIVES.values()) * 3
    expected = [find(text) for text in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(find, texts)) == expected


# --- kinds of miss seen on the fourth held-out split (2026-12-03); the examples are new ------

@pytest.mark.parametrize("text, piece, language", [
    ("Тот, что постарше, называл его «Шмель» и смеялся.", "Шмель", "ru"),
    ("Мужчина представлялся как «Данияр», номер не оставил.", "Данияр", "ru"),
    ("Msg from +7 701 000 11 22: Daulet, pay by friday or we post it.", "Daulet", "en"),
    ("my sister-in-law Aizada called the police on us.", "Aizada", "en"),
    ("The landlord told Dasha and Aigerim to leave the flat.", "Dasha", "en"),
    ("the officer was polite. later Vanya went to the station alone", "Vanya", "en"),
    ("The witness, Nurlan Sh., refused to sign the protocol.", "Nurlan Sh.", "en"),
    ("Madi: zhazdym advokat Omarovaga, ol habarlasady", "Omarovaga", "kk"),
    ("ol naǵashysy Ermektiń úıine ketti, sodan habar joq", "Ermektiń", "kk"),
    ("Он сказал, что ещё раз увидит меня с тимурчиком — позвонит отцу.", "тимурчиком", "ru"),
    ("короче дим слушай, нас опять вызывают", "дим", "ru"),
])
def test_names_the_fourth_split_showed(text, piece, language):
    assert found(text, piece, "person", language), find(text, language)


@pytest.mark.parametrize("text, piece, language", [
    ("Адрес заявителя: ж/м Кара-Жыгач, ул. Алма 17.", "ж/м Кара-Жыгач, ул. Алма 17", "ru"),
    ("ночевали у неё на Жукеева 12/3, 15, потом пришли", "Жукеева 12/3, 15", "ru"),
    ("Men qazir Abaı koshesi 12, 8 pater, habarlas.", "Abaı koshesi 12, 8 pater", "kk"),
    ("She lives at Aksai microdistrict, 2nd street, house 9 with her aunt.",
     "Aksai microdistrict, 2nd street, house 9", "en"),
    ("Registered at 7th microdistrict, bld 3, apt 12, Almaty.",
     "7th microdistrict, bld 3, apt 12", "en"),
    ("His flat is on ul. Lenina 45, the police know it.", "ul. Lenina 45", "en"),
])
def test_addresses_the_fourth_split_showed(text, piece, language):
    assert found(text, piece, "address", language), find(text, language)


def test_a_kazakh_plate_in_cyrillic_letters_and_a_kazakh_birth_year():
    assert found("Олар 505КНА02 көлігімен кетті.", "505КНА02", "plate", "kk")
    assert not any(f.kind == "plate" for f in find("Берді 100 СОМ 20 рет.", "ru"))
    assert found("Айдана (1999 ж.т.) қазір Алматыда.", "1999", "birth_date", "kk")


@pytest.mark.parametrize("text, word, language", [
    ("Встретились у парка Фрунзе, потом в сквере Айтматова.", "Айтматова", "ru"),
    ("Жалобы поступали через приложения (Grindr, Hornet).", "Hornet", "ru"),
    ("Call at 10:15 from Bishkek. The caller was scared.", "Call", "en"),
    ("she is a lawyer at Ak Jol, they help for free", "Ak Jol", "en"),
    ("мен сама айтам, бәрі жақсы болады", "бәрі", "kk"),
])
def test_words_the_fourth_split_took_for_personal_data_stay(text, word, language):
    assert not any(word in f.text for f in find(text, language)), find(text, language)
