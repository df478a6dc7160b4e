"""Unlocked keys between requests: in the server-side session, encrypted under a random key
that exists only in the person's cookie. The database alone opens nothing; the cookie alone
holds no data. Logout, the idle timeout and panic delete the session, and the keys with it.
"""

from __future__ import annotations

import base64
import binascii

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from kalkan.vault import crypto
from kalkan.vault.keyring import Keyring
from kalkan.vault.services import current_epoch, sync_compartments, take_new_wraps

COOKIE_NAME = "kalkan_keys"
SESSION_FIELD = "kalkan_sealed_keys"


def _aad(user_id: object) -> bytes:
    return crypto.aad("session-keys", str(user_id))


def seal_into(session: SessionBase, user_id: int, keyring: Keyring) -> str:
    """Seal the keyring into the session under a new random key; return the cookie value."""
    cookie_key = crypto.random_key()
    blob = crypto.encrypt(cookie_key, keyring.to_bytes(), _aad(user_id))
    session[SESSION_FIELD] = base64.b64encode(blob).decode("ascii")
    return base64.urlsafe_b64encode(cookie_key).decode("ascii")


def keep(request: HttpRequest, keyring: Keyring) -> None:
    """After login: seal the keyring into the session; the middleware sets the cookie."""
    request._kalkan_cookie = seal_into(request.session, request.user.pk, keyring)  # type: ignore[attr-defined,arg-type]
    request._kalkan_keyring = keyring  # type: ignore[attr-defined]


def keyring_of(request: HttpRequest) -> Keyring | None:
    """The keyring for this request, or None when the session has none that opens."""
    cached = getattr(request, "_kalkan_keyring", None)
    if cached is not None:
        return cached
    sealed = request.session.get(SESSION_FIELD)
    cookie = request.COOKIES.get(COOKIE_NAME)
    if not sealed or not cookie:
        return None
    try:
        cookie_key = base64.urlsafe_b64decode(cookie.encode("ascii"))
        data = crypto.decrypt(cookie_key, base64.b64decode(sealed), _aad(request.user.pk))
    except (binascii.Error, ValueError, crypto.Tampered):
        return None
    keyring = Keyring.from_bytes(data)
    if keyring.user_id != request.user.pk:
        return None
    latest = current_epoch()
    renewed = latest is not None and latest.number not in keyring.org_secrets and (
        take_new_wraps(keyring)
    )
    # Added to or taken out of a restricted case since the last request: effective now.
    if sync_compartments(keyring) or renewed:
        keep(request, keyring)
    request._kalkan_keyring = keyring  # type: ignore[attr-defined]
    return keyring


def keyring_required(request: HttpRequest) -> Keyring:
    """The logged-in person's unlocked keys (the vault middleware ends sessions without)."""
    keyring = keyring_of(request)
    if keyring is None:
        raise PermissionDenied
    return keyring


def write_cookie(request: HttpRequest, response: HttpResponse) -> None:
    cookie = getattr(request, "_kalkan_cookie", None)
    if cookie is not None:
        response.set_cookie(
            COOKIE_NAME,
            cookie,
            httponly=True,
            samesite="Strict",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    elif COOKIE_NAME in request.COOKIES and not request.user.is_authenticated:
        response.delete_cookie(COOKIE_NAME, samesite="Strict")
