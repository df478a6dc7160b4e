"""Import and export of records: lossless round trips in JSON and CSV, all-or-nothing
imports with errors that name the file and the row, consent respected per purpose, real
names only on request, restricted cases only for their members, and the page's roles."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from kalkan.audit.models import AuditEntry
from kalkan.audit.services import read_details
from kalkan.core.testing import log_in
from kalkan.desk import services as desk
from kalkan.intake.models import Report as IntakeReport
from kalkan.intake.services import Submission, submit_report
from kalkan.records import consent, exchange, services
from kalkan.records.models import Act, ConsentEntry, Event, Person

URL = "/en/staff/exchange/"
REAL_NAME = "Тимур Касымов"
PHONE = "+996 555 000 111"


@pytest.fixture(autouse=True)
def in_english():
    """Messages are compared in English whatever language an earlier test left active."""
    with translation.override("en"):
        yield



@pytest.fixture
def corpus(chingiz):
    """Two linked events: Timur (consents to statistics) detained by district police and
    extorted; Azamat (no consent to anything) threatened; a lawyer's complaint."""
    keys = chingiz.keyring()
    timur = services.new_person(
        keys, pseudonym="Timur K.",
        profile={"kind": "individual", "age_band": "25_34",
                 "gender_identity": {"code": "man", "self_described": ""},
                 "sexual_orientation": {"code": "gay", "self_described": ""},
                 "characteristics": ["hrd"], "hrd_role": "outreach worker"},
        identity={"names": [REAL_NAME], "contacts": [PHONE], "notes": ""},
    )
    azamat = services.new_person(keys, pseudonym="Azamat", profile={"kind": "individual"})
    police = services.new_person(keys, pseudonym="District 4 police",
                                 profile={"kind": "organisation"})
    lawyer = services.new_person(keys, pseudonym="Lawyer A.", profile={"kind": "individual"})
    event = services.new_event(
        keys, chingiz.user, title="Entrapment and detention in Tokmok",
        description="Lured through a dating app, detained, money demanded.\nSecond line.",
        details={"start": {"year": 2025, "month": 3, "day": None, "precision": "month"},
                 "place": {"code": "kg.chuy", "detail": "the café by the bus station"},
                 "violation_status": "confirmed"},
    )
    detention = services.add_act(event, keys, victim=timur, details={
        "type": "detention", "start": {"year": 2025, "month": 3, "day": 14, "precision": "day"},
        "methods": [], "consequences": ["social.outing_family"],
        "detention": {"type": "unofficial", "legal_counsel": False},
        "extortion": {"amount": "500", "currency": "usd", "payment_method": "cash"},
        "notes": "=HYPERLINK(\"http://example.org\")",
    })
    services.add_involvement(detention, keys, perpetrator=police,
                             details={"perpetrator_types": ["police.district"],
                                      "degree": "direct"})
    services.add_act(event, keys, victim=azamat, details={"type": "threats"})
    services.add_information(event, keys, source=timur,
                             details={"source_type": "victim_testimony", "reliability": "high"})
    services.add_intervention(event, keys, victim=timur, party=lawyer,
                              details={"party_type": "lawyer", "type": "complaint_prosecutor",
                                       "status": "ongoing"})
    later = services.new_event(keys, chingiz.user, title="Fined under the propaganda law",
                               details={"place": {"code": "kg.bishkek", "detail": ""}})
    services.add_act(later, keys, victim=timur, details={"type": "threats"})
    services.link_events(event, later, keys, relation="causes", notes="the fine followed")
    consent.record(timur, "statistics", given=True, on=date(2025, 3, 20), how="interview",
                   keyring=keys, by=chingiz.user)
    consent.record(timur, "media", given=True, on=date(2025, 3, 20), how="interview",
                   keyring=keys, by=chingiz.user)
    consent.record(timur, "media", given=False, on=date(2025, 4, 2), how="phone call",
                   keyring=keys, by=chingiz.user)
    return {"keys": keys, "event": event, "later": later, "timur": timur, "azamat": azamat}


# --- helpers ----------------------------------------------------------------------------------


def json_tables(data: bytes) -> dict[str, list[dict[str, Any]]]:
    document = json.loads(data)
    return {table: document[table] for table in exchange.TABLES}


def csv_tables(data: bytes) -> dict[str, list[dict[str, str]]]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {
        table: list(csv.DictReader(io.StringIO(archive.read(f"{table}.csv").decode("utf-8-sig"))))
        for table in exchange.TABLES
    }


def mapped(tables: dict[str, list[dict[str, Any]]], ids: dict[str, dict[str, str]]) -> dict:
    """The tables with every id (own and referred to) replaced by the import's new id,
    each table keyed by id so that row order does not matter."""
    out = {}
    for table, rows in tables.items():
        keyed = {}
        for row in rows:
            row = dict(row)
            for column, kind in exchange.COLUMNS[table].items():
                target = table if kind == "id" else kind.split(":", 1)[-1]
                if (kind == "id" or ":" in kind) and row.get(column):
                    row[column] = ids[target][row[column]]
            keyed[row["id"]] = row
        out[table] = keyed
    return out


def keyed(tables: dict[str, list[dict[str, Any]]]) -> dict:
    return {table: {row["id"]: row for row in rows} for table, rows in tables.items()}


def counts() -> tuple[int, ...]:
    return (Event.objects.count(), Act.objects.count(), Person.objects.count(),
            ConsentEntry.objects.count())


def rewrite_zip(data: bytes, name: str, change) -> bytes:
    """The ZIP with one table's rows changed by `change(rows)` (a list of dicts)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == name:
                reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
                rows = list(reader)
                change(rows)
                text = io.StringIO()
                writer = csv.DictWriter(text, fieldnames=reader.fieldnames or [])
                writer.writeheader()
                writer.writerows(rows)
                content = text.getvalue().encode("utf-8")
            target.writestr(info.filename, content)
    return out.getvalue()


# --- round trips -------------------------------------------------------------------------------


def test_it_exports_everything_the_keys_open(corpus):
    data, report = exchange.export_json(corpus["keys"], purpose=None)
    tables = json_tables(data)
    assert report.exported == {"events": 2, "acts": 3, "involvements": 1, "persons": 4,
                               "sources": 1, "interventions": 1, "links": 1, "consents": 3}
    assert sum(report.left_out.values()) == 0
    first = next(e for e in tables["events"] if e["id"] == str(corpus["event"].pk))
    assert first["details"]["place"] == {"code": "kg.chuy",
                                         "detail": "the café by the bus station"}
    detention = next(a for a in tables["acts"] if a["details"]["type"] == "detention")
    assert detention["details"]["extortion"]["currency"] == "usd"
    assert tables["links"][0]["details"] == {"relation": "causes", "notes": "the fine followed"}
    assert [c["given"] for c in tables["consents"]] == [True, True, False]
    assert json.loads(data)["format"] == "kalkan-records"


def test_the_json_round_trip_is_lossless(corpus, chingiz):
    keys = corpus["keys"]
    first, _report = exchange.export_json(keys, purpose=None, include_identity=True)
    result = exchange.import_json(first, keys, chingiz.user)
    assert result.ok, [str(e) for e in result.errors]
    assert result.unchecked == []  # every code was checked against its vocabulary
    assert result.created == {"events": 2, "acts": 3, "involvements": 1, "persons": 4,
                              "sources": 1, "interventions": 1, "links": 1, "consents": 3}
    assert Event.objects.count() == 4
    again, _report = exchange.export_json(keys, purpose=None, include_identity=True,
                                          events=result.ids["events"].values())
    assert keyed(json_tables(again)) == mapped(json_tables(first), result.ids)
    # The imported person's consent history reads as the original's.
    new_timur = Person.objects.get(pk=result.ids["persons"][str(corpus["timur"].pk)])
    assert consent.permitted(new_timur, "statistics", keys)
    assert not consent.permitted(new_timur, "media", keys)


def test_the_csv_round_trip_is_lossless(corpus, chingiz):
    keys = corpus["keys"]
    first, _report = exchange.export_csv(keys, purpose=None, include_identity=True)
    names = sorted(zipfile.ZipFile(io.BytesIO(first)).namelist())
    assert names == sorted([f"{t}.csv" for t in exchange.TABLES] + ["export.csv"])
    result = exchange.import_csv(first, keys, chingiz.user)
    assert result.ok, [str(e) for e in result.errors]
    again, _report = exchange.export_csv(keys, purpose=None, include_identity=True,
                                         events=result.ids["events"].values())
    assert keyed(csv_tables(again)) == mapped(csv_tables(first), result.ids)
    # And what the CSV carried is what was coded, formula-looking text included.
    copies = json_tables(exchange.export_json(keys, purpose=None,
                                              events=result.ids["events"].values())[0])
    act = next(a for a in copies["acts"] if a["details"]["type"] == "detention")
    assert act["details"]["notes"] == "=HYPERLINK(\"http://example.org\")"
    assert act["details"]["detention"] == {"type": "unofficial", "legal_counsel": False}


def test_a_csv_cell_that_looks_like_a_formula_is_defused(corpus):
    person = services.new_person(corpus["keys"], pseudonym="=1+1", profile={})
    services.add_act(corpus["event"], corpus["keys"], victim=person, details={"type": "threats"})
    data, _report = exchange.export_csv(corpus["keys"], purpose=None)
    archive = zipfile.ZipFile(io.BytesIO(data))
    persons = archive.read("persons.csv").decode("utf-8-sig")
    assert f"\r\n{person.pk},'=1+1,{{}},false\r\n" in persons
    assert exchange._uncell("'=1+1") == "=1+1"
    assert exchange._uncell("'plain") == "'plain"


# --- imports that are refused ----------------------------------------------------------------


def test_a_bad_row_stores_nothing_and_names_file_row_and_problem(corpus, chingiz):
    keys = corpus["keys"]
    data, _report = exchange.export_csv(keys, purpose=None)
    before = counts()

    def dangle(rows):
        rows[1]["victim"] = "1f3c0000-dead-beef-0000-000000000000"

    result = exchange.import_csv(rewrite_zip(data, "acts.csv", dangle), keys, chingiz.user)
    assert not result.ok
    assert [str(e) for e in result.errors] == [
        "acts.csv row 3: victim 1f3c0000-dead-beef-0000-000000000000 is not in persons.csv"
    ]
    assert result.created == {} and result.ids == {}
    assert counts() == before


def test_every_problem_is_listed_at_once(corpus, chingiz):
    keys = corpus["keys"]
    data, _report = exchange.export_json(keys, purpose=None)
    document = json.loads(data)
    document["acts"][0]["details"]["type"] = "no_such_act"
    document["events"][0]["details"]["place"]["code"] = "kg.atlantis"
    document["events"][1]["details"]["start"] = {"year": 2025, "month": 13, "day": None}
    document["consents"][0]["purpose"] = "gossip"
    document["involvements"][0]["perpetrator"] = ""
    document["links"][0]["to_event"] = document["links"][0]["from_event"]
    document["persons"][1]["pseudonym"] = ""
    before = counts()
    result = exchange.import_json(json.dumps(document).encode(), keys, chingiz.user)
    problems = [str(e) for e in result.errors]
    assert "acts item 1: type “no_such_act” is not in the vocabulary act_types" in problems
    assert "events item 1: place “kg.atlantis” is not in the gazetteer" in problems
    assert "events item 2: date start is not a real date" in problems
    assert any(p.startswith("consents item 1: “gossip” is not a purpose") for p in problems)
    assert "involvements item 1: perpetrator is missing" in problems
    assert "links item 1: an event cannot be linked to itself" in problems
    assert "persons item 2: pseudonym is missing" in problems
    # ...and the rows naming that person are not blamed for it a second time.
    assert len(problems) == 7, problems
    assert counts() == before


def test_it_refuses_what_is_not_an_export(chingiz, organisation):
    keys = chingiz.keyring()
    assert [str(e) for e in exchange.import_json(b"\xff\xfe", keys, chingiz.user).errors] == [
        "JSON: this is not a JSON file in UTF-8"]
    assert [str(e) for e in exchange.import_csv(b"PK nothing", keys, chingiz.user).errors] == [
        "ZIP: this is not a ZIP file"]
    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("events.csv", "id,title,colour\r\n")
    problems = [str(e) for e in exchange.import_csv(empty.getvalue(), keys, chingiz.user).errors]
    assert problems == ["events.csv: unknown column “colour”"]


def test_a_foreign_csv_without_the_optional_columns_imports(chingiz, organisation):
    """The tables can be written by hand or by another system: ids of its own, only the
    columns that must be there."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("events.csv", "id,title\r\ne1,Raid on a private party\r\n")
        archive.writestr("persons.csv", "id,pseudonym\r\np1,Guest 1\r\n")
        archive.writestr("acts.csv", 'id,event,victim,details\r\n'
                                     'a1,e1,p1,"{""type"": ""detention""}"\r\n')
    result = exchange.import_csv(out.getvalue(), chingiz.keyring(), chingiz.user)
    assert result.ok, [str(e) for e in result.errors]
    assert set(result.ids["events"]) == {"e1"} and result.created["acts"] == 1


# --- consent and identity ----------------------------------------------------------------------


def test_a_purpose_export_leaves_out_who_does_not_consent_and_says_how_many(corpus):
    data, report = exchange.export_json(corpus["keys"], purpose="statistics")
    tables = json_tables(data)
    assert {p["pseudonym"] for p in tables["persons"]} == {
        "Timur K.", "District 4 police", "Lawyer A."}
    assert b"Azamat" not in data
    assert [a["details"]["type"] for a in tables["acts"]].count("threats") == 1
    assert report.left_out["persons"] == 1 and report.left_out["acts"] == 1
    assert json.loads(data)["left_out"] == {"persons": 1, "acts": 1}
    assert "statistics" in report.why()


def test_a_withdrawn_consent_applies_to_the_next_export(corpus, chingiz):
    data, report = exchange.export_json(corpus["keys"], purpose="media")
    # Timur withdrew consent to media: he and all three acts go; so do both events (their
    # acts all went), the source he was and the intervention for him.
    assert b"Timur" not in data and b"Tokmok" not in data
    assert report.exported["events"] == 0 and report.exported["persons"] == 0
    assert report.left_out["persons"] == 4 and report.left_out["acts"] == 3
    assert report.left_out["events"] == 2 and report.left_out["links"] == 1
    _data, csv_report = exchange.export_csv(corpus["keys"], purpose="media")
    manifest = zipfile.ZipFile(io.BytesIO(_data)).read("export.csv").decode("utf-8-sig")
    assert "left_out.persons,4" in manifest and csv_report.left_out == report.left_out


def test_real_names_go_out_only_when_asked(corpus):
    keys = corpus["keys"]
    for make in (exchange.export_json, exchange.export_csv):
        data, report = make(keys, purpose=None)
        assert not report.identity_included
        assert REAL_NAME.encode() not in data and PHONE.encode() not in data
        if make is exchange.export_csv:
            persons = zipfile.ZipFile(io.BytesIO(data)).read("persons.csv").decode("utf-8-sig")
            assert persons.splitlines()[0] == "id,pseudonym,profile,restricted"
        else:
            assert all("identity" not in person for person in json_tables(data)["persons"])
    data, report = exchange.export_json(keys, purpose=None, include_identity=True)
    assert REAL_NAME in data.decode() and report.identity_included
    data, _report = exchange.export_csv(keys, purpose="services", include_identity=True)
    assert REAL_NAME.encode() not in data  # no consent to services: Timur left out
    with pytest.raises(ValueError):
        exchange.export_json(keys, purpose="statistics", include_identity=True)


def test_an_import_without_real_names_makes_persons_without_them(corpus, chingiz):
    keys = corpus["keys"]
    data, _report = exchange.export_json(keys, purpose=None)
    result = exchange.import_json(data, keys, chingiz.user)
    assert result.ok
    new_timur = Person.objects.get(pk=result.ids["persons"][str(corpus["timur"].pk)])
    assert services.opened(new_timur, keys)["identity"] == {}


# --- restricted cases -------------------------------------------------------------------------


@pytest.fixture
def restricted_event(organisation, bota, chingiz):
    """Bota takes a report into a case restricted to herself and Chingiz; Chingiz codes an
    event from it."""
    submit_report(Submission(narrative="Hidden in a flat in Osh"), [])
    keys = bota.keyring()
    report = IntakeReport.objects.select_related("content_key").get()
    case = desk.open_case([report], keys, bota.user, title="Osh flat")
    desk.restrict(case, [chingiz.user], keys, bota.user)
    report = IntakeReport.objects.select_related("content_key__compartment").get(pk=report.pk)
    member = chingiz.keyring()
    victim = services.new_person(member, pseudonym="Sanjar in Osh", profile={},
                                 compartment=report.content_key.compartment)
    event = services.new_event(member, chingiz.user, title="Raid on the Osh flat",
                               reports=[report])
    services.add_act(event, member, victim=victim, details={"type": "detention"})
    assert event.content_key.compartment_id is not None
    return event


def test_a_restricted_case_is_not_exported_for_a_non_member(restricted_event, amir, chingiz):
    data, report = exchange.export_json(amir.keyring(), purpose=None)
    assert b"Osh" not in data and str(restricted_event.pk).encode() not in data
    assert report.exported["events"] == 0
    data, report = exchange.export_json(chingiz.keyring(), purpose=None)
    assert b"Raid on the Osh flat" in data and report.exported["events"] == 1
    assert json_tables(data)["events"][0]["restricted"] is True


def test_an_imported_restricted_event_stays_with_its_case(restricted_event, amir, chingiz):
    member = chingiz.keyring()
    data, _report = exchange.export_json(member, purpose=None)
    # Here, with its report: back into the case's compartment, still hidden from Amir.
    result = exchange.import_json(data, member, chingiz.user)
    assert result.ok, [str(e) for e in result.errors]
    copy = Event.objects.get(pk=result.ids["events"][str(restricted_event.pk)])
    assert copy.content_key.compartment_id == restricted_event.content_key.compartment_id
    person = Person.objects.get(pk=result.ids["persons"][json_tables(data)["persons"][0]["id"]])
    assert person.content_key.compartment_id == copy.content_key.compartment_id
    assert b"Osh" not in exchange.export_json(amir.keyring(), purpose=None)[0]
    # Someone without the case's key cannot make it visible to all by importing it.
    refused = exchange.import_json(data, amir.keyring(), amir.user)
    assert [str(e) for e in refused.errors] == [
        "events item 1: it was restricted to a case's members, and its reports are not here "
        "in a restricted case, so every documenter would see it. Import it where its case "
        "is, or remove the restricted mark if everyone may see it.",
        "persons item 1: this person was restricted to a case's members, and no single "
        "restricted event imported here names them, so every documenter would see them. "
        "Remove the restricted mark if everyone may see them."]


# --- the page ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["amir", "chingiz"])
def test_admins_and_documenters_may_export(request, corpus, who):
    client = log_in(Client(), request.getfixturevalue(who))
    page = client.get(URL)
    assert page.status_code == 200 and b"Download the export" in page.content
    response = client.post(URL + "export/", {"format": "json", "purpose": "internal"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "no-store"
    document = json.loads(response.content)
    assert len(document["events"]) == 2 and REAL_NAME not in response.content.decode()
    response = client.post(URL + "export/", {"format": "csv", "purpose": "statistics"})
    assert response["Content-Type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(response.content)).read("events.csv")


@pytest.mark.parametrize("who", ["bota", "dana"])
def test_responders_and_analysts_may_not(request, corpus, who):
    client = log_in(Client(), request.getfixturevalue(who))
    assert client.get(URL).status_code == 403
    assert client.post(URL + "export/", {"format": "json", "purpose": "internal"}
                       ).status_code == 403
    upload = io.BytesIO(b"{}")
    upload.name = "x.json"
    assert client.post(URL + "import/", {"file": upload}).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, corpus):
    for response in (client.get(URL),
                     client.post(URL + "export/", {"format": "json", "purpose": "internal"})):
        assert response.status_code == 302 and "/staff/login/" in response["Location"]


def test_posts_need_the_csrf_token(csrf_client, corpus, chingiz):
    log_in(csrf_client, chingiz)
    assert csrf_client.post(URL + "export/", {"format": "json", "purpose": "internal"}
                            ).status_code == 403
    upload = io.BytesIO(b"{}")
    upload.name = "x.json"
    assert csrf_client.post(URL + "import/", {"file": upload}).status_code == 403
    assert Event.objects.count() == 2


def test_real_names_need_a_fresh_login(corpus, chingiz):
    client = log_in(Client(), chingiz, recent=False)
    asked = {"format": "json", "purpose": "internal", "include_identity": "on",
             "back": URL}
    response = client.post(URL + "export/", asked)
    assert response.status_code == 302 and "/staff/confirm/" in response["Location"]
    assert not AuditEntry.objects.filter(action="records.export").exists()
    plain = client.post(URL + "export/", {"format": "json", "purpose": "internal"})
    assert plain.status_code == 200 and REAL_NAME not in plain.content.decode()
    fresh = log_in(Client(), chingiz)
    response = fresh.post(URL + "export/", asked)
    assert response.status_code == 200 and REAL_NAME in response.content.decode()
    refused = fresh.post(URL + "export/", {**asked, "purpose": "un_submission"})
    assert refused.status_code == 400 and b"anonymised" in refused.content


def test_an_import_through_the_page(corpus, chingiz):
    client = log_in(Client(), chingiz)
    data = client.post(URL + "export/", {"format": "csv", "purpose": "internal"}).content
    upload = io.BytesIO(data)
    upload.name = "records.zip"
    response = client.post(URL + "import/", {"file": upload})
    assert response.status_code == 200
    assert b"Imported" in response.content and Event.objects.count() == 4
    document = json.loads(exchange.export_json(corpus["keys"], purpose=None)[0])
    document["acts"][1]["victim"] = "nobody"
    upload = io.BytesIO(json.dumps(document).encode())
    upload.name = "records.json"
    response = client.post(URL + "import/", {"file": upload})
    assert response.status_code == 400
    assert "acts item 2: victim nobody is not in persons" in response.content.decode()
    assert Event.objects.count() == 4


def test_every_export_and_import_is_audited_with_counts_only(corpus, chingiz, amir):
    client = log_in(Client(), chingiz)
    client.post(URL + "export/", {"format": "json", "purpose": "statistics"})
    upload = io.BytesIO(exchange.export_json(corpus["keys"], purpose=None)[0])
    upload.name = "records.json"
    client.post(URL + "import/", {"file": upload})
    keys = amir.keyring()
    exported = read_details(AuditEntry.objects.get(action="records.export"), keys)
    assert exported == {"format": "json", "purpose": "statistics", "identity": False,
                        "events": 2, "acts": 2, "involvements": 1, "persons": 3,
                        "sources": 1, "interventions": 1, "links": 1, "consents": 3,
                        "left_out.acts": 1, "left_out.persons": 1}
    imported = read_details(AuditEntry.objects.get(action="records.import"), keys)
    assert imported == {"format": "json", "errors": 0, "events": 2, "acts": 3,
                        "involvements": 1, "persons": 4, "sources": 1, "interventions": 1,
                        "links": 1, "consents": 3}
    for entry in AuditEntry.objects.filter(action__startswith="records."):
        assert "Timur" not in entry.details and "Tokmok" not in json.dumps(
            read_details(entry, keys))


def test_a_restricted_cases_counts_are_sealed_to_its_members(restricted_event, amir, chingiz):
    client = log_in(Client(), chingiz)
    client.post(URL + "export/", {"format": "json", "purpose": "internal"})
    entries = list(AuditEntry.objects.filter(action="records.export").order_by("seq"))
    assert len(entries) == 2
    organisation, sealed = entries
    # Amir, who may read the log but is not a member, learns no number of the case's records.
    assert "events" not in (read_details(organisation, amir.keyring()) or {})
    assert "acts" not in (read_details(organisation, amir.keyring()) or {})
    assert read_details(sealed, amir.keyring()) is None
    assert (read_details(sealed, chingiz.keyring()) or {})["events"] == 1


def test_an_upload_over_the_limit_is_refused_unread(corpus, chingiz, monkeypatch):
    from kalkan.records import exchange_views

    monkeypatch.setattr(exchange_views, "MAX_IMPORT_BYTES", 1000)
    client = log_in(Client(), chingiz)
    upload = io.BytesIO(exchange.export_json(corpus["keys"], purpose=None)[0])
    upload.name = "records.json"
    response = client.post(URL + "import/", {"file": upload})
    assert response.status_code == 400 and b"larger than" in response.content
    assert Event.objects.count() == 2
