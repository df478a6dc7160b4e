"""Logout and the idle timeout end the session."""

from __future__ import annotations

import time

from django.test import override_settings

from kalkan.accounts.middleware import LAST_SEEN_KEY
from kalkan.core.testing import log_in

HOME = "/en/staff/"


def test_it_logs_out(client, bota):
    log_in(client, bota)
    response = client.post("/en/staff/logout/", follow=True)
    assert b"You are logged out." in response.content
    assert client.get(HOME).status_code == 302


def test_it_logs_out_only_by_post(client, bota):
    log_in(client, bota)
    assert client.get("/en/staff/logout/").status_code == 405
    assert client.get(HOME).status_code == 200


def test_it_requires_csrf_to_log_out(csrf_client, bota):
    log_in(csrf_client, bota)
    assert csrf_client.post("/en/staff/logout/").status_code == 403
    assert csrf_client.get(HOME).status_code == 200


@override_settings(IDLE_MINUTES=5)
def test_it_logs_out_after_the_idle_timeout(client, bota):
    log_in(client, bota)
    assert client.get(HOME).status_code == 200
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - 6 * 60
    session.save()
    response = client.get(HOME, follow=True)
    assert response.redirect_chain[-1][0].startswith("/en/staff/login/")
    assert b"You were logged out after 5 minutes without activity." in response.content


@override_settings(IDLE_MINUTES=5)
def test_it_keeps_an_active_session(client, bota):
    log_in(client, bota)
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - 4 * 60
    session.save()
    assert client.get(HOME).status_code == 200


def test_it_marks_staff_pages_no_store(client, bota):
    log_in(client, bota)
    assert client.get(HOME)["Cache-Control"] == "no-store"
