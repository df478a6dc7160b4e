"""Controlled vocabularies: complete, in four languages, stable codes, and a usable tree."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest
from django.utils import translation

from kalkan.intake.forms import ACTS, PERPETRATORS
from kalkan.records.vocabularies import (
    COLUMNS,
    DIRECTORY,
    LANGUAGES,
    VOCABULARIES,
    Term,
    Vocabulary,
    VocabularyError,
    load_vocabularies,
    vocabulary,
)

# Labels that stay as they are in every language: brand names, nothing else.
SAME_IN_EVERY_LANGUAGE = {
    ("platforms", code)
    for code in (
        "grindr", "hornet", "telegram", "whatsapp", "instagram", "tiktok", "facebook", "youtube",
    )
}

ACT_TYPES_THE_MODEL_NAMES = [
    # stored by the public reporting form
    "detention", "assault", "sexual_violence", "threats", "extortion", "entrapment", "outing",
    "forced_disclosure", "device_search", "online_harassment", "family_violence",
    "discrimination", "other",
    # the rest of data-model.md's list
    "detention.arbitrary", "detention.incommunicado", "torture", "killing", "abduction",
    "threats.death", "surveillance", "surveillance.followed", "raid", "intimate_images",
    "disinformation", "hate_speech", "conversion_practices", "family_violence.forced_marriage",
    "expulsion_from_home", "discrimination.work", "discrimination.health",
    "discrimination.education", "discrimination.housing", "registration_denied",
    "organisation_closure", "event_disruption", "restrictive_law",
    "restrictive_law.propaganda", "restrictive_law.foreign_agent", "lawyer_denied",
    "refusal_to_investigate",
]
PERPETRATOR_TYPES_THE_MODEL_NAMES = [
    "police", "police.patrol", "police.district", "police.criminal_investigation",
    "security_service", "military", "prosecutors_courts", "officials", "religious_authorities",
    "state_media", "family", "partner", "organised_groups", "online_accounts", "private_media",
    "employer", "medical_staff", "landlord", "strangers", "unknown",
]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _term(code: str, parent: str = "", *, inactive: bool = False, **labels: str) -> Term:
    return Term("test", code, parent, "", inactive, labels or {"en": code.upper()}, local=True)


@pytest.fixture
def tree() -> Vocabulary:
    # A child listed before its parent is fine.
    return Vocabulary("test", {"en": "Test"}, [
        _term("a.b", "a"), _term("a"), _term("a.b.c", "a.b"), _term("d"), _term("a.e", "a"),
    ])


def test_it_loads_every_list_named_in_the_index():
    named = [row["name"] for row in _rows(DIRECTORY / "_lists.csv")]
    files = sorted(path.stem for path in DIRECTORY.glob("*.csv") if path.stem != "_lists")
    assert sorted(named) == files == sorted(VOCABULARIES)
    for name in named:
        assert len(vocabulary(name)) >= 2, name
        assert all(vocabulary(name).titles[language] for language in LANGUAGES)


def test_it_labels_every_term_in_four_languages():
    for name, vocab in VOCABULARIES.items():
        for term in vocab:
            assert set(term.labels) == set(LANGUAGES), (name, term.code)
            assert all(term.labels[lang].strip() for lang in LANGUAGES), (name, term.code)
            if (name, term.code) in SAME_IN_EVERY_LANGUAGE:
                continue
            for language in ("ru", "ky", "kk"):
                assert term.labels[language] != term.labels["en"], (name, term.code, language)


def test_it_keeps_codes_unique_lowercase_and_ascii_in_every_file():
    for path in DIRECTORY.glob("*.csv"):
        if path.name == "_lists.csv":
            continue
        rows = _rows(path)
        assert list(rows[0]) == COLUMNS, path.name
        codes = [row["code"] for row in rows]
        assert len(codes) == len(set(codes)), path.name
        for row in rows:
            assert re.fullmatch(r"[a-z0-9_.]+", row["code"]), (path.name, row["code"])
            assert row["code"] == row["code"].lower()
            assert row["inactive"] in ("", "1")
            assert row["esf"] == "" or re.fullmatch(r"[0-9]{14}", row["esf"]), row["code"]


def test_it_has_every_act_type_the_data_model_names():
    act_types = vocabulary("act_types")
    assert [code for code in ACT_TYPES_THE_MODEL_NAMES if code not in act_types] == []


def test_it_has_every_perpetrator_type_the_data_model_names():
    perpetrators = vocabulary("perpetrator_types")
    assert [code for code in PERPETRATOR_TYPES_THE_MODEL_NAMES if code not in perpetrators] == []
    assert [t.code for t in perpetrators.children("police")] == [
        "police.patrol", "police.district", "police.criminal_investigation", "police.other",
    ]


def test_it_has_the_codes_the_documentation_forms_rely_on():
    expected = {
        "violation_status": "confirmed likely possible unlikely unknown",
        "monitoring_status": "open under_investigation closed",
        "date_precision": "day month year estimate unknown",
        "degree_of_involvement": "direct ordered complicit failure_to_protect unknown",
        "perpetrator_status_after":
            "no_action under_investigation charged convicted acquitted promoted unknown",
        "victim_characteristics": "hrd activist journalist lawyer minor plhiv sex_worker "
            "migrant person_with_disability ethnic_minority religious_minority student",
        "consequences": "physical psychological economic social social.outing_family "
            "social.outing_employer social.loss_of_housing social.forced_emigration "
            "social.loss_of_job",
        "methods_of_violence": "beating electric_shocks suffocation sexual_violence "
            "threats_of_rape forced_nudity humiliation sleep_deprivation",
        "type_of_place": "police_station temporary_detention street private_home cafe_bar "
            "workplace online public_transport medical_facility",
        "rights": "iccpr.2 iccpr.7 iccpr.9 iccpr.14 iccpr.17 iccpr.19 iccpr.21 iccpr.22 "
            "iccpr.26 cat.1 cat.2 cat.14 cat.16 cedaw.1 cedaw.2 cedaw.5 cedaw.16 crc.2 "
            "crc.16 crc.19",
        "source_types": "victim_testimony witness relative interview hotline_call media "
            "social_media official_document court_record medical_examination photo_video",
        "reliability": "high medium low unknown",
        "connection_to_information":
            "direct_victim eyewitness heard_from_victim heard_from_others documentary",
        "language": "ru ky kk en uz tg other",
        "intervening_parties":
            "this_organisation lawyer un_mechanism embassy other_ngo ombudsperson media",
        "intervention_types": "complaint_police complaint_prosecutor court_case "
            "un_communication urgent_appeal media_work medical_report",
        "intervention_status": "planned ongoing completed no_response rejected successful",
        "chain_relations": "precedes follows causes caused_by part_of related",
        "person_kind": "individual family group organisation community",
        "age_band": "0_13 14_17 18_24 25_34 35_44 45_54 55_64 65_plus unknown",
        "detention_types": "administrative criminal_investigation incommunicado unofficial",
        "torture_intent":
            "extraction_of_confession extortion extraction_of_contacts punishment humiliation",
        "currencies": "kgs kzt rub usd eur",
        "payment_methods": "cash bank_transfer mobile_wallet crypto other",
        "disclosure_threatened_to": "family employer public police",
        "platforms": "grindr hornet telegram whatsapp instagram tiktok facebook vk youtube x "
            "other_dating_app other",
        "digital_content_types":
            "doxxing_post outing_video intimate_image threat disinformation entrapment_chat",
        "takedown_outcome": "not_requested pending removed refused partially_removed",
    }
    for name in ("sexual_orientation", "gender_identity", "gender_expression",
                 "sex_characteristics"):
        expected[name] = "self_described not_stated"
    missing = {name: [code for code in codes.split() if code not in vocabulary(name)]
               for name, codes in expected.items()}
    assert {name: codes for name, codes in missing.items() if codes} == {}


def test_it_knows_every_code_the_reporting_form_stores():
    assert [code for code, _ in ACTS if code not in vocabulary("act_types")] == []
    assert [code for code, _ in PERPETRATORS if code not in vocabulary("perpetrator_types")] == []


def test_it_puts_esf_list_numbers_where_they_belong():
    # The last two digits of an ESF vocab_number are its list: acts 04, perpetrators 24.
    assert {t.esf[-2:] for t in vocabulary("act_types") if t.esf} == {"04"}
    assert {t.esf[-2:] for t in vocabulary("perpetrator_types") if t.esf} == {"24"}
    assert vocabulary("act_types").terms["threats.death"].esf == "02010302000004"


def test_it_walks_the_act_type_tree():
    acts = vocabulary("act_types")
    assert [t.code for t in acts.ancestors("threats.death")] == ["intimidation", "threats"]
    assert acts.ancestors("intimidation") == []
    assert acts.depth("threats.death") == 2
    under = [t.code for t in acts.descendants("discrimination")]
    assert under[0] == "discrimination"
    assert {"discrimination.work", "discrimination.health", "discrimination.education",
            "discrimination.housing"} <= set(under)
    assert "detention" in [t.code for t in acts.children("liberty")]
    assert "other" in [t.code for t in acts.children()]


def test_it_orders_and_indents_choices_by_the_tree(tree):
    assert tree.choices("en") == [
        ("a", "A"), ("a.b", "— A.B"), ("a.b.c", "— — A.B.C"), ("a.e", "— A.E"), ("d", "D"),
    ]
    assert [t.code for t in tree.children()] == ["a", "d"]
    assert [t.code for t in tree.descendants("a")] == ["a", "a.b", "a.b.c", "a.e"]
    assert [t.code for t in tree.ancestors("a.b.c")] == ["a", "a.b"]


def test_it_shows_choices_in_the_readers_language():
    acts = vocabulary("act_types")
    with translation.override("ky"):
        assert dict(acts.choices())["threats.death"] == "— — Өлтүрөм деп коркутуу"
        assert acts.label("threats") == "Коркутуу"
    assert acts.label("threats", "kk") == "Қорқыту"
    assert acts.label("no_such_code", "ru") == "no_such_code"


def test_it_leaves_inactive_terms_and_their_subtree_out_of_choices(tree):
    retired = tree.with_terms([_term("f", inactive=True), _term("f.g", "f")])
    assert "f" not in dict(retired.choices("en"))
    assert "f.g" not in dict(retired.choices("en"))
    assert [t.code for t in retired.active()] == ["a", "a.b", "a.b.c", "a.e", "d"]
    everything = dict(retired.choices("en", include_inactive=True))
    assert everything["f"] == "F"
    assert everything["f.g"] == "— F.G"
    # A record that holds a retired code still shows its label.
    assert retired.label("f", "en") == "F"


def test_it_adds_local_terms_without_changing_the_shipped_list():
    acts = vocabulary("act_types")
    local = Term("act_types", "threats.by_phone", "threats", "", False,
                 {"ru": "Угрозы по телефону"}, local=True)
    extended = acts.with_terms([local])
    assert "threats.by_phone" in extended
    assert "threats.by_phone" not in acts
    assert extended.terms["threats.by_phone"].local
    assert [t.code for t in extended.children("threats")][-1] == "threats.by_phone"
    # Missing languages fall back to English, then to whatever the admin typed.
    assert extended.label("threats.by_phone", "ky") == "Угрозы по телефону"
    assert extended.title("kk") == acts.titles["kk"]


def test_it_refuses_local_terms_that_break_the_rules(tree):
    with pytest.raises(VocabularyError, match="duplicate code 'a'"):
        tree.with_terms([_term("a")])
    with pytest.raises(VocabularyError, match="unknown parent 'zz'"):
        tree.with_terms([_term("x", "zz")])
    with pytest.raises(VocabularyError, match="must sit under 'a'"):
        tree.with_terms([_term("a.x", "d")])
    with pytest.raises(VocabularyError, match="lower-case"):
        tree.with_terms([_term("Bad")])
    with pytest.raises(VocabularyError, match="belongs to vocabulary"):
        tree.with_terms([Term("act_types", "x", "", "", False, {"en": "X"})])
    with pytest.raises(VocabularyError, match="loop"):
        Vocabulary("test", {}, [_term("p", "q"), _term("q", "p")])
    with pytest.raises(KeyError, match="not a term of the test vocabulary"):
        tree.ancestors("nope")


def test_it_names_the_known_lists_when_asked_for_an_unknown_one():
    with pytest.raises(KeyError, match="No vocabulary named 'acts'.*act_types"):
        vocabulary("acts")


def _copy_lists(tmp_path: Path, *names: str) -> Path:
    (tmp_path / "_lists.csv").write_text(
        "name,en,ru,ky,kk\n"
        + "".join(
            f"{row['name']},{row['en']},{row['ru']},{row['ky']},{row['kk']}\n"
            for row in _rows(DIRECTORY / "_lists.csv")
            if row["name"] in names
        ),
        encoding="utf-8",
    )
    for name in names:
        shutil.copy(DIRECTORY / f"{name}.csv", tmp_path / f"{name}.csv")
    return tmp_path


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(line + "\n")


def test_it_loads_a_copy_of_the_files(tmp_path):
    loaded = load_vocabularies(_copy_lists(tmp_path, "violation_status", "act_types"))
    assert list(loaded) == ["act_types", "violation_status"]
    assert loaded["act_types"].choices("en") == vocabulary("act_types").choices("en")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("likely,,,,Again,Снова,Кайра,Қайта", "duplicate code 'likely'"),
        ("newer,nowhere,,,New,Новое,Жаңы,Жаңа", "unknown parent 'nowhere'"),
        ("newer,,,,New,Новое,,Жаңа", "missing label in ky"),
        ("Newer,,,,New,Новое,Жаңы,Жаңа", "lower-case"),
        ("newer,,123,,New,Новое,Жаңы,Жаңа", "14-digit"),
        ("newer,,,yes,New,Новое,Жаңы,Жаңа", "inactive is empty or 1"),
        ("newer,,,,New,Новое,Жаңы", "wrong number of columns"),
    ],
)
def test_it_fails_loudly_on_a_malformed_file(tmp_path, line, message):
    directory = _copy_lists(tmp_path, "violation_status")
    _append(directory / "violation_status.csv", line)
    with pytest.raises(VocabularyError, match=message) as raised:
        load_vocabularies(directory)
    assert "violation_status.csv" in str(raised.value)


def test_it_accepts_a_child_listed_before_its_parent(tmp_path):
    directory = _copy_lists(tmp_path, "violation_status")
    _append(directory / "violation_status.csv", "newer.child,newer,,,Child,Дочернее,Бала,Бала")
    _append(directory / "violation_status.csv", "newer,,,,New,Новое,Жаңы,Жаңа")
    loaded = load_vocabularies(directory)["violation_status"]
    assert [t.code for t in loaded.ancestors("newer.child")] == ["newer"]


def test_it_fails_loudly_on_a_list_file_the_index_does_not_name(tmp_path):
    directory = _copy_lists(tmp_path, "violation_status")
    shutil.copy(DIRECTORY / "reliability.csv", directory / "reliability.csv")
    with pytest.raises(VocabularyError, match="not named in it: reliability.csv"):
        load_vocabularies(directory)
