"""`{% if user|can:"manage_staff" %}`: menus follow the same matrix as the views."""

from __future__ import annotations

from django import template

from kalkan.accounts.models import User
from kalkan.accounts.roles import Capability

register = template.Library()


@register.filter
def can(user: object, capability: str) -> bool:
    return isinstance(user, User) and user.can(Capability(capability))
