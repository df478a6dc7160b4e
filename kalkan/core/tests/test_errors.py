"""Friendly error pages: no stack trace, a way on, in the person's language."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path

from kalkan.urls import urlpatterns as real_urlpatterns


def explode(request):
    raise RuntimeError("secret detail that must never reach the browser")


urlpatterns = [path("explode/", explode), *real_urlpatterns]
handler500 = "kalkan.core.views.server_error"


@pytest.mark.urls("kalkan.core.tests.test_errors")
def test_it_hides_a_crash_behind_a_friendly_page(db):
    client = Client(raise_request_exception=False)
    response = client.get("/explode/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body or "Что-то пошло не так" in body
    assert "secret detail" not in body
    assert "Traceback" not in body
    assert "RuntimeError" not in body


def test_it_explains_a_missing_page_in_the_persons_language(client):
    response = client.get("/kk/staff/no-such-page/")
    assert response.status_code == 404
    assert response.content.decode().count("Бет табылмады") == 1


def test_it_answers_an_unknown_language_with_a_clear_page(client):
    response = client.get("/de/staff/", HTTP_ACCEPT_LANGUAGE="ky")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Барак табылган жок" in body
    assert 'href="/ky/"' in body


def test_it_explains_an_expired_form_and_offers_a_retry(csrf_client):
    response = csrf_client.post("/ru/staff/login/", {"username": "x"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "Срок действия формы истёк" in body
    assert 'href="/ru/staff/login/"' in body
    assert "CSRF" not in body
