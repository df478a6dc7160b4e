"""The gazetteer: the regions list (complete for both countries, named in all four
languages) and the place tree under it."""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

import pytest

from kalkan.records.gazetteer import (
    LEVELS,
    PLACES,
    PUBLISH_LEVEL,
    REGIONS,
    Place,
    ancestors,
    children,
    choices,
    coarsen,
    label_path,
    place,
    regions_of,
)


def test_every_region_has_a_name_in_each_language():
    for region in REGIONS.values():
        assert set(region.names) == {"en", "ru", "ky", "kk"}
        assert all(name.strip() for name in region.names.values()), region.code
        assert region.names["ru"] != region.names["en"]


def test_both_countries_are_covered():
    # Kyrgyzstan: 7 oblasts and 2 cities; Kazakhstan: 17 regions and 3 cities.
    assert len(regions_of("KG")) == 9
    assert len(regions_of("KZ")) == 20
    assert REGIONS["kz.abai"].name("kk") == "Абай облысы"
    assert REGIONS["kg.chuy"].name("ky") == "Чүй облусу"


# --- The place tree (data/places.csv) -------------------------------------------------------

DATA = Path(__file__).resolve().parents[1] / "data"
CODE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)*$")
CENTRAL_ASIA = {"kg", "kz", "uz", "tj", "tm"}
DESTINATIONS = {"ru", "tr", "ge", "am", "de", "pl", "lt", "nl", "se", "fr", "gb", "us", "ca", "ua"}


def _place(code: str) -> Place:
    p = place(code)
    assert p is not None, code
    return p


def _flat(options) -> list[tuple[str, str]]:
    flat = []
    for value, label in options:
        assert isinstance(label, str)
        flat.append((value, label))
    return flat


def _group(options, label) -> dict[str, str]:
    for group, value in options:
        if group == label:
            assert isinstance(value, list)
            return dict(value)
    raise AssertionError(label)


def _rows(name):
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_places_file_has_the_agreed_columns_and_unique_codes():
    rows = _rows("places.csv")
    assert list(rows[0]) == ["code", "parent", "level", "country", "en", "ru", "ky", "kk"]
    codes = [row["code"] for row in rows]
    duplicates = [code for code, n in Counter(codes).items() if n > 1]
    assert not duplicates
    assert len(PLACES) == len(rows)


def test_every_place_is_complete_and_well_formed():
    for p in PLACES.values():
        assert CODE.match(p.code), p.code
        assert p.level in LEVELS, p.code
        assert set(p.names) == {"en", "ru", "ky", "kk"}, p.code
        for lang, name in p.names.items():
            assert name.strip() == name and name, (p.code, lang)
        # Russian, Kyrgyz and Kazakh names are in Cyrillic; English in Latin script.
        assert re.search("[A-Za-z]", p.names["en"]), p.code
        for lang in ("ru", "ky", "kk"):
            assert not re.search("[A-Za-z]", p.names[lang]), (p.code, lang)


def test_every_parent_chain_is_valid_and_prefix_consistent():
    for p in PLACES.values():
        if p.level == "country":
            assert p.parent is None, p.code
            assert p.code == p.country.lower() and len(p.code) == 2, p.code
            continue
        assert p.parent in PLACES, p.code
        parent = PLACES[p.parent]
        assert p.code.startswith(parent.code + "."), p.code
        assert "." not in p.code[len(parent.code) + 1 :], p.code
        assert p.country == parent.country, p.code
        if p.level == "region":
            assert parent.level == "country", p.code
        else:  # district or city: under a region (a city of national significance included)
            assert parent.level == "region", p.code
        chain = ancestors(p.code)
        assert chain[0].level == "country" and chain[-1] == parent, p.code


def test_countries():
    countries = {p.code for p in PLACES.values() if p.level == "country"}
    assert countries == CENTRAL_ASIA | DESTINATIONS
    for code in DESTINATIONS:
        assert children(code) == [], code


def test_every_existing_region_is_a_place_with_the_same_names():
    rows = _rows("regions.csv")
    assert len(rows) == 29
    for row in rows:
        p = PLACES[row["code"]]
        assert p.level == "region"
        assert p.parent == row["country"].lower()
        assert p.country == row["country"]
        assert p.names == {lang: row[lang] for lang in ("en", "ru", "ky", "kk")}
        assert REGIONS[row["code"]].names == p.names


def test_regions_stay_exactly_as_they_were():
    # The reporting form and the stored records depend on these 29 codes and their names.
    assert list(REGIONS) == [row["code"] for row in _rows("regions.csv")]
    first_level = [
        p.code for p in PLACES.values() if p.level == "region" and p.country in ("KG", "KZ")
    ]
    assert sorted(first_level) == sorted(REGIONS)


def _count(country, levels):
    return sum(1 for p in PLACES.values() if p.country == country and p.level in levels)


def test_first_level_of_every_central_asian_state():
    assert _count("KG", {"region"}) == 9
    assert _count("KZ", {"region"}) == 20
    assert _count("UZ", {"region"}) == 14  # 12 viloyats, Karakalpakstan, Tashkent city
    assert _count("TJ", {"region"}) == 5
    assert _count("TM", {"region"}) >= 6  # 5 welayats and Ashgabat (and Arkadag since 2023)
    for code in ("uz.samarkand", "uz.karakalpakstan", "uz.tashkent-city", "tj.sughd",
                 "tj.gbao", "tj.dushanbe", "tj.rrs", "tm.mary", "tm.ashgabat"):
        assert PLACES[code].level == "region", code


def test_second_level_counts():
    assert _count("KG", {"district", "city"}) >= 40
    assert _count("KZ", {"district", "city"}) >= 150
    # Kyrgyzstan has 40 rural districts, Kazakhstan about 170 (without city districts).
    kg_rural = [p for p in PLACES.values() if p.country == "KG" and p.level == "district"
                and p.parent not in ("kg.bishkek", "kg.osh-city")]
    kz_rural = [p for p in PLACES.values() if p.country == "KZ" and p.level == "district"
                and p.parent not in ("kz.astana", "kz.almaty-city", "kz.shymkent")]
    assert len(kg_rural) == 40
    assert len(kz_rural) >= 165
    assert _count("KZ", {"city"}) >= 35
    # every oblast has at least one district
    for code, region in REGIONS.items():
        if "city" not in region.names["en"]:
            assert any(c.level == "district" for c in children(code)), code


@pytest.mark.parametrize(
    ("code", "parent", "en"),
    [
        ("kg.chuy.alamudun", "kg.chuy", "Alamüdün District"),
        ("kg.chuy.sokuluk", "kg.chuy", "Sokuluk District"),
        ("kg.issyk-kul.karakol", "kg.issyk-kul", "Karakol (city)"),
        ("kg.osh.ozgon", "kg.osh", "Özgön District"),
        ("kg.naryn.at-bashy", "kg.naryn", "At-Bashy District"),
        ("kg.bishkek.sverdlov", "kg.bishkek", "Sverdlov District"),
        ("kz.almaty.ili", "kz.almaty", "Ili District"),
        ("kz.almaty.konaev", "kz.almaty", "Konaev (city)"),
        ("kz.karaganda.temirtau", "kz.karaganda", "Temirtau (city)"),
        ("kz.jetisu.taldykorgan", "kz.jetisu", "Taldykorgan (city)"),
        ("kz.abai.semey", "kz.abai", "Semey (city)"),
        ("kz.ulytau.zhezkazgan", "kz.ulytau", "Zhezkazgan (city)"),
        ("kz.turkistan.sairam", "kz.turkistan", "Sairam District"),
        ("kz.mangystau.zhanaozen", "kz.mangystau", "Zhanaozen (city)"),
        ("kz.almaty-city.medeu", "kz.almaty-city", "Medeu District"),
    ],
)
def test_well_known_places_sit_under_the_right_region(code, parent, en):
    p = _place(code)
    assert p.parent == parent
    assert p.name("en") == en


def test_names_in_each_language():
    assert _place("kz.almaty.ili").name("kk") == "Іле ауданы"
    assert _place("kz.almaty.ili").name("ru") == "Илийский район"
    assert _place("kg.chuy.alamudun").name("ky") == "Аламүдүн району"
    assert _place("kg.chuy.alamudun").name("ru") == "Аламудунский район"
    assert _place("kz.karaganda.temirtau").name("kk") == "Теміртау қаласы"
    assert _place("kz.karaganda.temirtau").name("xx") == "Temirtau (city)"


def test_place_children_and_ancestors():
    assert place("kg.nowhere") is None
    assert children("kg.nowhere") == []
    assert children("kg.chuy.alamudun") == []
    assert {p.code for p in children("kg")} == {code for code in REGIONS if code.startswith("kg.")}
    assert [p.code for p in ancestors("kg.chuy.alamudun")] == ["kg", "kg.chuy"]
    assert ancestors("kg") == []
    with pytest.raises(KeyError):
        ancestors("kg.nowhere")


def test_coarsening():
    assert PUBLISH_LEVEL == "region"
    assert coarsen("kg.chuy.alamudun") == "kg.chuy"
    assert coarsen("kz.karaganda.temirtau") == "kz.karaganda"
    assert coarsen("kz.almaty-city.medeu") == "kz.almaty-city"
    assert coarsen("kg.chuy") == "kg.chuy"
    assert coarsen("uz.samarkand") == "uz.samarkand"
    assert coarsen("kg") == "kg"
    assert coarsen("de") == "de"
    assert coarsen("kg.chuy.alamudun", "country") == "kg"
    assert coarsen("kg.chuy", "country") == "kg"
    assert coarsen("kg.chuy.alamudun", "district") == "kg.chuy.alamudun"
    assert coarsen("kg.chuy.tokmok", "city") == "kg.chuy.tokmok"
    for p in PLACES.values():
        published = PLACES[coarsen(p.code)]
        assert published.level in ("country", "region"), p.code
    with pytest.raises(KeyError):
        coarsen("kg.nowhere")
    with pytest.raises(ValueError):
        coarsen("kg.chuy", "village")


def test_label_path():
    assert label_path("kg.chuy.alamudun", "en") == "Kyrgyzstan › Chüy Region › Alamüdün District"
    assert label_path("kg.chuy.alamudun", "ru") == (
        "Кыргызстан › Чуйская область › Аламудунский район"
    )
    assert label_path("kz.almaty.ili", "kk") == "Қазақстан › Алматы облысы › Іле ауданы"
    assert label_path("kz.karaganda.temirtau", "ru") == (
        "Казахстан › Карагандинская область › Темиртау (город)"
    )
    assert label_path("de", "kk") == "Германия"
    assert label_path("kg.chuy", "ky", separator=" / ") == "Кыргызстан / Чүй облусу"


def test_choices_for_one_country_are_flat_indented_and_complete():
    options = _flat(choices("ru", country="KG"))
    codes = [code for code, _ in options]
    assert codes[0] == "kg"
    assert set(codes) == {p.code for p in PLACES.values() if p.country == "KG"}
    labels = dict(options)
    assert labels["kg"] == "Кыргызстан"
    assert labels["kg.chuy"].strip() == "Чуйская область"
    assert len(labels["kg.chuy.alamudun"]) - len(labels["kg.chuy.alamudun"].lstrip()) > (
        len(labels["kg.chuy"]) - len(labels["kg.chuy"].lstrip())
    )
    # a region's units follow it directly
    start, end = codes.index("kg.chuy"), codes.index("kg.chuy.alamudun")
    assert start < end
    assert all(code.startswith("kg.chuy.") for code in codes[start + 1 : end + 1])
    regions_only = choices("en", country="kz", max_level="region")
    assert len(regions_only) == 21


def test_choices_grouped_by_country():
    options = choices("kk", max_level="region")
    groups = [label for label, value in options if isinstance(value, list)]
    assert groups == ["Қырғызстан", "Қазақстан", "Өзбекстан", "Тәжікстан", "Түрікменстан"]
    plain = [code for code, value in options if isinstance(value, str)]
    assert set(plain) == DESTINATIONS
    kazakhstan = _group(options, "Қазақстан")
    assert "kz.abai" in kazakhstan and "kz.almaty.ili" not in kazakhstan
    everything = choices("en")
    kyrgyzstan = _group(everything, "Kyrgyzstan")
    assert "kg.chuy.alamudun" in kyrgyzstan
    assert [code for code, _ in choices("en", max_level="country")][:2] == ["kg", "kz"]
