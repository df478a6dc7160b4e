"""The regions list: complete for both countries, named in all four languages."""

from __future__ import annotations

from kalkan.records.gazetteer import REGIONS, regions_of


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
