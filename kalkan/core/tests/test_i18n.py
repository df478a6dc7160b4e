"""Four languages chosen by URL prefix, switched by plain links."""

from __future__ import annotations

import pytest

from kalkan.core.testing import log_in

# The login page asks the vault whether the server is sealed.
pytestmark = pytest.mark.django_db


def test_it_redirects_the_root_to_a_language(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="kk")
    assert response.status_code == 302
    assert response["Location"] == "/kk/"


def test_it_defaults_to_russian(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="de")
    assert response["Location"] == "/ru/"


@pytest.mark.parametrize(
    ("lang", "title"),
    [
        ("en", "Staff login"),
        ("ru", "Вход для сотрудников"),
        ("ky", "Кызматкерлер үчүн кирүү"),
        ("kk", "Қызметкерлерге арналған кіру"),
    ],
)
def test_it_shows_the_login_page_in_each_language(client, lang, title):
    response = client.get(f"/{lang}/staff/login/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f'<html lang="{lang}">' in body
    assert f"<h1>{title}</h1>" in body


def test_it_links_to_the_same_page_in_every_language(client):
    body = client.get("/en/staff/login/").content.decode()
    for lang in ("ru", "ky", "kk"):
        assert f'href="/{lang}/staff/login/"' in body


def test_it_keeps_the_query_when_switching(client):
    body = client.get("/en/staff/login/?next=/en/staff/team/").content.decode()
    assert 'href="/ky/staff/login/?next=/en/staff/team/"' in body


@pytest.mark.parametrize(
    ("lang", "required"),
    [
        ("kk", "Бұл өрісті толтыру міндетті."),
        ("ky", "Бул талаа керектүү."),
        ("ru", "Обязательное поле."),
    ],
)
def test_it_explains_form_errors_in_the_language(db, client, lang, required):
    response = client.post(f"/{lang}/staff/login/", {"username": "", "passphrase": "", "code": ""})
    assert required in response.content.decode()


def test_kazakh_covers_strings_django_lacks(client, amir):
    log_in(client, amir)
    response = client.post("/kk/staff/team/add/", {"username": "x" * 41, "role": "analyst"})
    body = response.content.decode()
    # Django's own Kazakh catalogue lacks the max-length error; untranslated Kazakh would
    # fall back to Russian. Ours has it.
    assert "Бұл мәнде ең көбі 40 таңба болуы керек (қазір 41)." in body
    assert "Убедитесь" not in body


def test_the_staff_home_is_in_kyrgyz(client, chingiz):
    log_in(client, chingiz)
    body = client.get("/ky/staff/").content.decode()
    assert "Кош келиңиз, chingiz" in body
