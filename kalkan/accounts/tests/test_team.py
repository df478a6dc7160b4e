"""Administrators add, disable, re-enrol and unlock staff; nobody else can."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from kalkan.accounts.models import User
from kalkan.accounts.roles import Role
from kalkan.audit.models import AuditEntry
from kalkan.core.testing import log_in

TEAM = "/en/staff/team/"
ADD = "/en/staff/team/add/"


def member_url(user: User, action: str = "") -> str:
    return f"/en/staff/team/{user.pk}/" + (f"{action}/" if action else "")


def passphrase_on(page: bytes) -> str:
    match = re.search(rb'<p class="secret">([a-z-]+)</p>', page)
    assert match, "no passphrase shown"
    return match.group(1).decode()


# --- who may see the team pages -----------------------------------------------------------


@pytest.mark.parametrize("url", [TEAM, ADD])
def test_it_sends_anonymous_visitors_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/en/staff/login/")


@pytest.mark.parametrize("who", ["bota", "chingiz", "dana"])
@pytest.mark.parametrize("url", [TEAM, ADD])
def test_it_refuses_other_roles(client, request, who, url):
    log_in(client, request.getfixturevalue(who))
    response = client.get(url)
    assert response.status_code == 403
    assert b"Your role does not allow this." in response.content


def test_it_refuses_other_roles_on_actions(client, bota, dana):
    log_in(client, bota)
    response = client.post(member_url(dana.user, "disable"), {"back": member_url(dana.user)})
    assert response.status_code == 403
    dana.user.refresh_from_db()
    assert dana.user.is_active


def test_it_treats_a_disabled_account_as_logged_out(client, erlan):
    log_in(client, erlan)
    response = client.get(TEAM)
    assert response.status_code == 302
    assert response["Location"].startswith("/en/staff/login/")


def test_it_lists_the_team(client, amir, bota, dana):
    log_in(client, amir)
    response = client.get(TEAM)
    assert response.status_code == 200
    for name in (b"amir", b"bota", b"dana"):
        assert name in response.content
    assert b"Responder" in response.content


# --- adding staff -------------------------------------------------------------------------


def test_it_adds_a_staff_member_who_can_then_log_in(client, amir):
    log_in(client, amir)
    response = client.post(ADD, {"username": "gulnara", "role": Role.DOCUMENTER})
    assert response.status_code == 200
    assert b"This page is shown only once." in response.content
    assert b"<svg" in response.content
    assert b"otpauth://totp/" in response.content
    passphrase = passphrase_on(response.content)
    new = User.objects.get(username="gulnara")
    assert new.role == Role.DOCUMENTER
    assert AuditEntry.objects.filter(action="staff.add", object_id=str(new.pk)).exists()

    from kalkan.core.testing import Character

    newcomer = Client()
    login = newcomer.post(
        "/en/staff/login/",
        {"username": "gulnara", "passphrase": passphrase, "code": Character(new, "").code()},
    )
    assert login.status_code == 302


def test_it_refuses_a_taken_or_bad_username(client, amir, bota):
    log_in(client, amir)
    taken = client.post(ADD, {"username": "bota", "role": Role.ANALYST})
    assert b"This username is already taken." in taken.content
    bad = client.post(ADD, {"username": "Bad Name!", "role": Role.ANALYST})
    assert b"Use 3 to 40 lower-case Latin letters" in bad.content
    assert User.objects.count() == 2


def test_it_requires_csrf_to_add(csrf_client, amir):
    log_in(csrf_client, amir)
    response = csrf_client.post(ADD, {"username": "gulnara", "role": Role.ANALYST})
    assert response.status_code == 403
    assert not User.objects.filter(username="gulnara").exists()


# --- re-authentication before sensitive actions ---------------------------------------------


def test_it_asks_to_confirm_before_adding_when_the_login_is_old(client, amir):
    log_in(client, amir, recent=False)
    response = client.get(ADD)
    assert response.status_code == 302
    assert response["Location"].startswith("/en/staff/confirm/")
    confirmed = client.post(
        response["Location"], {"passphrase": amir.passphrase, "code": amir.code()}
    )
    assert confirmed["Location"] == ADD
    assert client.get(ADD).status_code == 200


def test_it_does_not_act_on_a_late_post_and_asks_to_confirm(client, amir, bota):
    log_in(client, amir, recent=False)
    response = client.post(member_url(bota.user, "disable"), {"back": member_url(bota.user)})
    assert response.status_code == 302
    assert response["Location"].startswith("/en/staff/confirm/")
    bota.user.refresh_from_db()
    assert bota.user.is_active


def test_it_refuses_a_wrong_confirmation(client, amir):
    log_in(client, amir, recent=False)
    response = client.post("/en/staff/confirm/", {"passphrase": "wrong", "code": amir.code()})
    assert response.status_code == 403
    assert client.get(ADD).status_code == 302


# --- disabling, re-enrolling, unlocking, roles --------------------------------------------------


def test_it_cuts_off_a_disabled_member_at_once(client, amir, bota):
    theirs = log_in(Client(), bota)
    assert theirs.get("/en/staff/").status_code == 200
    log_in(client, amir)
    response = client.post(member_url(bota.user, "disable"), follow=True)
    assert b"The account is disabled" in response.content
    assert theirs.get("/en/staff/").status_code == 302
    assert AuditEntry.objects.filter(action="staff.disable", object_id=str(bota.user.pk))


def test_it_refuses_to_disable_yourself_or_the_last_admin(client, amir):
    log_in(client, amir)
    response = client.post(member_url(amir.user, "disable"), follow=True)
    assert b"You cannot disable your own account." in response.content
    amir.user.refresh_from_db()
    assert amir.user.is_active


def test_it_refuses_to_demote_the_last_admin(client, amir):
    log_in(client, amir)
    response = client.post(member_url(amir.user, "role"), {"role": Role.ANALYST}, follow=True)
    assert b"You cannot take the administrator role from yourself." in response.content
    amir.user.refresh_from_db()
    assert amir.user.role == Role.ADMIN


def test_it_changes_a_role(client, amir, dana):
    log_in(client, amir)
    client.post(member_url(dana.user, "role"), {"role": Role.RESPONDER})
    dana.user.refresh_from_db()
    assert dana.user.role == Role.RESPONDER


def test_it_refuses_an_unknown_role(client, amir, dana):
    log_in(client, amir)
    response = client.post(member_url(dana.user, "role"), {"role": "king"}, follow=True)
    assert b"Choose one of the roles." in response.content
    dana.user.refresh_from_db()
    assert dana.user.role == Role.ANALYST


def test_it_reenrols_a_member_who_forgot_the_passphrase(client, amir, bota):
    log_in(client, amir)
    response = client.post(member_url(bota.user, "reenrol"))
    assert response.status_code == 200
    new_passphrase = passphrase_on(response.content)
    assert new_passphrase != bota.passphrase
    old = Client().post(
        "/en/staff/login/",
        {"username": "bota", "passphrase": bota.passphrase, "code": bota.code()},
    )
    assert old.status_code == 403
    new = Client().post(
        "/en/staff/login/",
        {"username": "bota", "passphrase": new_passphrase, "code": bota.code()},
    )
    assert new.status_code == 302


def test_it_unlocks_a_locked_member(client, amir, bota, settings):
    settings.LOCKOUT_FAILURES = 3
    # Wrong codes with the right passphrase: the wait then binds the owner too.
    for _ in range(3):
        Client().post(
            "/en/staff/login/",
            {"username": "bota", "passphrase": bota.passphrase, "code": "000000"},
        )
    refused = Client().post(
        "/en/staff/login/",
        {"username": "bota", "passphrase": bota.passphrase, "code": bota.code()},
    )
    assert refused.status_code == 403
    log_in(client, amir)
    assert b"locked" in client.get(member_url(bota.user)).content
    client.post(member_url(bota.user, "unlock"))
    assert AuditEntry.objects.filter(action="staff.unlock", actor_id=amir.user.pk).exists()
    login = Client().post(
        "/en/staff/login/",
        {"username": "bota", "passphrase": bota.passphrase, "code": bota.code()},
    )
    assert login.status_code == 302


def test_it_answers_404_for_an_unknown_member_or_action(client, amir):
    log_in(client, amir)
    assert client.get("/en/staff/team/999999/").status_code == 404
    assert client.post(member_url(amir.user, "promote")).status_code == 404
