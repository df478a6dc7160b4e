"""The mechanisms and the act-type -> treaty-article mapping are data a lawyer edits: every
code in them must exist, or a draft would cite an article nobody can read."""

from __future__ import annotations

from kalkan.analysis.mechanisms import articles_engaged, mechanisms, treaty_articles
from kalkan.records.vocabularies import vocabulary


def test_every_code_in_the_mapping_exists():
    act_types, rights = vocabulary("act_types"), vocabulary("rights")
    for act_type, articles in treaty_articles().items():
        assert act_type in act_types, act_type
        assert articles, act_type
        for article in articles:
            assert article in rights, (act_type, article)


def test_every_mechanism_has_four_languages_and_known_instruments():
    rights = vocabulary("rights")
    assert set(mechanisms()) == {"upr", "iccpr", "cedaw", "cat", "sr_hrd"}
    for mechanism in mechanisms().values():
        assert all(mechanism.labels[lang] for lang in ("en", "ru", "ky", "kk"))
        assert all(instrument in rights for instrument in mechanism.instruments)


def test_an_act_engages_the_articles_of_its_type_and_broader_types_for_the_mechanism():
    cat, iccpr = mechanisms()["cat"], mechanisms()["iccpr"]
    in_custody = articles_engaged("torture.in_custody", iccpr)
    assert {"iccpr.7", "iccpr.10", "iccpr.26"} <= set(in_custody)  # own, torture, violence
    assert all(article.startswith("iccpr.") for article in in_custody)
    assert articles_engaged("torture.in_custody", cat)[:2] == ["cat.1", "cat.2"]
    assert articles_engaged("outing.family", cat) == []
    assert "hrd_declaration.5" in articles_engaged("raid.office", mechanisms()["sr_hrd"])
