"""Template helpers of the deliberation pages."""

from __future__ import annotations

import uuid

from django import template
from django.utils.html import format_html

from portal.idempotency import FIELD

register = template.Library()


@register.simple_tag
def delib_once_key() -> str:
    """A hidden idempotency key (portal.idempotency): a double tap is done once."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, uuid.uuid4().hex)
