"""Unlocking the vault from a command line: a staff member's passphrase, asked on the
terminal or read as one line from standard input, checked as at login."""

from __future__ import annotations

import getpass
import sys

from django.core.management.base import CommandError

from kalkan.accounts.models import User
from kalkan.accounts.roles import Capability
from kalkan.vault import services as vault
from kalkan.vault.keyring import Keyring


def unlock(username: str, capability: Capability, may_not: str) -> tuple[User, Keyring]:
    """The user and their keyring; a CommandError if the server is sealed, the passphrase is
    wrong, the account is locked or the user lacks the capability (`may_not` says what)."""
    if vault.is_sealed():
        raise CommandError("the server is sealed (panic): run `kalkan recover` first")
    username = username.strip().lower()
    if sys.stdin.isatty():
        passphrase = getpass.getpass(f"Passphrase of {username}: ")
    else:
        passphrase = sys.stdin.readline().rstrip("\n")
    user = User.objects.filter(username=username, is_active=True).first()
    if user is not None and user.is_locked():
        raise CommandError(f"{username} is locked after too many failed attempts")
    # One Argon2id run whether or not the person exists, as at login.
    keyring = vault.unlock(user, passphrase)
    if user is None or keyring is None:
        raise CommandError("the username or passphrase is not right")
    if not user.can(capability):
        raise CommandError(f"{username} {may_not}")
    return user, keyring
