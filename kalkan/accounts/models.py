"""A staff member. Usernames and roles are the only plaintext facts about staff (security.md)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kalkan.accounts.roles import Capability, Role, role_can

username_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9._-]{2,39}$",
    _(
        "Use 3 to 40 lower-case Latin letters, digits, dots, dashes or underscores. "
        "A nickname is safer than a real name."
    ),
)


class UserManager(BaseUserManager["User"]):
    def create_user(self, username: str, role: str, **extra: Any) -> User:
        user = self.model(username=username, role=role, **extra)
        # Passphrases are checked by the vault's Argon2id verifier (StaffKey), not here.
        user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    username = models.CharField(
        _("username"), max_length=40, unique=True, validators=[username_validator]
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    # Failed logins since the last success, counted only while the account is not waiting;
    # locked_until is when the current wait ends (kalkan.accounts.services).
    failed_logins = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    # Wrong codes given with the right passphrase since the last success: only someone who
    # holds the passphrase can raise it, and it decides whether a wait binds them too.
    code_failures = models.PositiveSmallIntegerField(default=0)

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["role"]

    objects = UserManager()

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.username

    def can(self, capability: Capability) -> bool:
        return self.is_active and role_can(self.role, capability)

    def is_locked(self) -> bool:
        """Waiting after failed logins (refused until then, unless it is the owner)."""
        return self.locked_until is not None and self.locked_until > timezone.now()
