"""The linkage export of an organisation: only victims who consent to anonymised statistics,
every known spelling (merged duplicates included), no names in the file or the audit log,
the same file for the same scope, and a page for the roles that make statistics. The
`kalkan linkage match` command gives the counts table. All people are invented."""

from __future__ import annotations

import base64
import io
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kalkan.analysis import linkage
from kalkan.analysis.linkage_export import export
from kalkan.audit.models import AuditEntry
from kalkan.core.testing import log_in
from kalkan.records import consent, services
from kalkan.records.models import Person
from kalkan.vault import workingset

SECRET = linkage.Secret(b"\x07" * 32)
PAGE = "/en/staff/linkage/"


def _victim(keys, user, name: str, *, agrees: bool | None = True, region: str = "kg.chuy",
            act: str = "detention", year: int = 2025, kind: str = "individual") -> Person:
    person = services.new_person(keys, pseudonym=f"Victim {name[:3]}",
                                 identity={"names": [name] if name else []},
                                 profile={"kind": kind, "age_band": "25_34",
                                          "gender_identity": {"code": "woman"}})
    event = services.new_event(keys, user, title="Event",
                               details={"start": {"year": year, "month": 3, "day": None,
                                                         "precision": "month"},
                                        "place": {"code": region, "detail": ""}})
    services.add_act(event, keys, victim=person, details={"type": act})
    if agrees is not None:
        consent.record(person, "statistics", given=agrees, on=date(2026, 1, 10),
                       how="in person", keyring=keys, by=user)
    return person


@pytest.fixture
def victims(chingiz):
    keys = chingiz.keyring()
    user = chingiz.user
    aigerim = _victim(keys, user, "Асанова Айгерим")
    _victim(keys, user, "Токтогулов Нурлан", act="assault")
    _victim(keys, user, "Есенова Дана", agrees=False)  # withdrew: never exported
    _victim(keys, user, "Орозбакова Зере", agrees=None)  # never asked: never exported
    _victim(keys, user, "", region="kg.naryn")  # no known name: cannot be linked
    _victim(keys, user, "Community of Naryn", kind="community")
    _victim(keys, user, "Шерипов Талгат", region="kz.almaty")  # another country
    # A duplicate merged into Aigerim brings her other spelling.
    other = services.new_person(keys, pseudonym="Old record",
                                identity={"names": ["Aigerim Asanova-Bekova"]},
                                profile={"kind": "individual"})
    Person.objects.filter(pk=other.pk).update(merged_into=aigerim)
    return keys


def _export(keys, actor_id, scope=None):
    working = workingset.for_session("linkage-test", keys)
    return export(working, keys, scope or {"country": ["kg"], "year": ["2025"]}, SECRET,
                  actor_id=actor_id)


def test_only_consenting_named_individuals_are_exported_and_logged_as_counts(victims, chingiz):
    made = _export(victims, chingiz.user.pk)
    assert (made.victims, made.without_consent, made.without_name, made.collectives) == (
        2, 2, 1, 1)
    opened = linkage.read_export(made.data, SECRET, "ours")
    assert opened.victims == 2 and opened.scope == "country=kg;year=2025"
    assert opened.clks.shape[0] == 3  # Aigerim: two spellings
    text = made.data.decode("ascii")
    for needle in ("Асанова", "Asanova", "Bekova", "Нурлан", "kg.chuy", "detention"):
        assert needle not in text
        assert needle.encode() not in base64.b64decode(text.split('"data": "')[1].split('"')[0])
    entry = AuditEntry.objects.filter(action="analysis.linkage_export").get()
    assert entry.actor_id == chingiz.user.pk
    assert made.data == _export(victims, chingiz.user.pk).data  # the same scope: the same file
    only_assaults = _export(victims, chingiz.user.pk,
                            {"country": ["kg"], "year": ["2025"], "act_type": ["assault"]})
    assert only_assaults.victims == 1


def test_the_page_downloads_the_export_for_an_analyst(victims, dana, client):
    log_in(client, dana)
    page = client.get(PAGE)
    assert page.status_code == 200 and "The coalition&#x27;s secret" in page.content.decode()
    secret_line = base64.b64encode(SECRET.raw).decode()
    response = client.post(PAGE, {"country": "kg", "year_from": 2025, "year_to": 2025,
                                  "secret": secret_line})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert linkage.read_export(response.content, SECRET, "download").victims == 2
    refused = client.post(PAGE, {"country": "kg", "year_from": 2025, "year_to": 2025,
                                 "secret": "not a secret"})
    assert refused.status_code == 200
    assert "This is not a Kalkan linkage secret" in refused.content.decode()


def test_match_command_writes_the_counts_and_refuses_a_foreign_file(tmp_path: Path):
    secret_file = tmp_path / "coalition.secret"
    call_command("linkage", "secret", "--output", str(secret_file), stdout=io.StringIO())
    secret = linkage.Secret.from_file(secret_file)
    record = {"name": "Асанова Айгерим", "birth": "y1990", "gender": "woman",
              "region": "kg.r1", "month": "2025-03", "act": "detention"}
    latin = dict(record, name="Aigerim Asanova")
    other = dict(record, name="Токтогулов Нурлан", gender="man", birth="y1970")
    files = []
    for name, people in (("ngo_a", [[record]]), ("ngo_b", [[latin], [other]]),
                         ("ngo_c", [[other]])):
        path = tmp_path / f"{name}.kalkan-linkage"
        path.write_bytes(linkage.write_export(secret, {"country": ["kg"]}, people))
        files.append(str(path))
    out = tmp_path / "counts.csv"
    call_command("linkage", "match", *files, "--secret-file", str(secret_file), "--output",
                 str(out), stderr=io.StringIO())
    assert out.read_text() == ("ngo_a,ngo_b,ngo_c,n\n1,1,1,0\n1,1,0,1\n1,0,1,0\n1,0,0,0\n"
                               "0,1,1,1\n0,1,0,0\n0,0,1,0\n")
    foreign = tmp_path / "foreign.kalkan-linkage"
    foreign.write_bytes(linkage.write_export(SECRET, {"country": ["kg"]}, [[record]]))
    with pytest.raises(CommandError, match="foreign.kalkan-linkage: made with another"):
        call_command("linkage", "match", files[0], str(foreign), "--secret-file",
                     str(secret_file))


def test_the_command_exports_the_same_file_as_the_page(victims, dana, tmp_path,
                                                      monkeypatch, client):
    secret_file = tmp_path / "coalition.secret"
    secret_file.write_text(linkage.FILE_WARNING + base64.b64encode(SECRET.raw).decode() + "\n")
    out = tmp_path / "ngo.kalkan-linkage"
    said = io.StringIO()
    monkeypatch.setattr("sys.stdin", io.StringIO(dana.passphrase + "\n"))
    call_command("linkage", "export", "--scope", "country=kg&year=2025", "--secret-file",
                 str(secret_file), "--output", str(out), "--as", "dana", stdout=said)
    assert "2 victims" in said.getvalue() and "2 without statistics consent" in said.getvalue()
    assert out.stat().st_mode & 0o777 == 0o600
    log_in(client, dana)
    page = client.post(PAGE, {"country": "kg", "year_from": 2025, "year_to": 2025,
                              "secret": base64.b64encode(SECRET.raw).decode()})
    assert page.content == out.read_bytes()
    monkeypatch.setattr("sys.stdin", io.StringIO(dana.passphrase + "\n"))
    with pytest.raises(CommandError, match="exists already"):
        call_command("linkage", "export", "--scope", "country=kg", "--secret-file",
                     str(secret_file), "--output", str(out), "--as", "dana")
    monkeypatch.setattr("sys.stdin", io.StringIO(dana.passphrase + "\n"))
    with pytest.raises(CommandError, match="not a Kalkan linkage secret"):
        call_command("linkage", "export", "--scope", "country=kg", "--secret-file",
                     str(out), "--output", str(tmp_path / "x"), "--as", "dana")
