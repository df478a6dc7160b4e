"""{% once %}: the hidden one-time token of a coding form (kalkan.records.once)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from kalkan.records.once import FIELD, new_token

register = template.Library()


@register.simple_tag
def once() -> SafeString:
    """A fresh token for each form on each page: two forms of one page never share one."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_token())
