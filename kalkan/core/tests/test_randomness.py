"""CSRF tokens drawn in one read of the system's randomness are still uniform, still of
Django's alphabet and length, and still accepted by Django's check."""

from __future__ import annotations

import string
from collections import Counter

import pytest
from django.middleware import csrf
from django.test import Client

from kalkan.core.randomness import random_string


def test_every_character_is_about_equally_likely():
    alphabet = string.ascii_letters + string.digits
    drawn = Counter(random_string(62_000, alphabet))
    assert set(drawn) == set(alphabet)
    # 1,000 expected each; a bias toward the first 8 characters (256 % 62 = 8 without the
    # rejection) would give them about 1,240.
    assert max(drawn.values()) < 1150 and min(drawn.values()) > 850


def test_lengths_and_bad_alphabets():
    assert len(random_string(32, "ab")) == 32 and set(random_string(200, "ab")) == {"a", "b"}
    assert random_string(0, "ab") == ""
    with pytest.raises(ValueError):
        random_string(4, "")


def test_django_draws_its_csrf_secrets_with_it_and_accepts_its_tokens(organisation):
    assert getattr(csrf, "get_random_string").__module__ == "kalkan.core.randomness"  # noqa: B009
    secret = csrf._get_new_csrf_string()
    assert len(secret) == csrf.CSRF_SECRET_LENGTH
    assert set(secret) <= set(csrf.CSRF_ALLOWED_CHARS)
    client = Client(enforce_csrf_checks=True)
    page = client.get("/en/report/")
    token = page.context["csrf_token"] if page.context else None
    assert token
    sent = client.post("/en/report/", {"csrfmiddlewaretoken": str(token),
                                       "reporter_role": "witness", "narrative": "A test."})
    assert sent.status_code != 403
