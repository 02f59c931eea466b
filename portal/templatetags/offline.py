"""{% offline_script %}: the outbox and service worker script with its settings and strings
(static/portal/offline.js reads them from a JSON block: no inline script, ready for a strict CSP).
"""

from __future__ import annotations

import uuid

from django import template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


def strings() -> dict[str, str]:
    return {
        "sending": _("Sending…"),
        "queued": _(
            "No network. Your submission is saved on this phone and will be sent when the "
            "network comes back."
        ),
        "outbox": _("Sent from this phone"),
        "waiting": _("Waiting to send"),
        "saved_at": _("saved"),
        "n_waiting": _("%s waiting to send; sent when the network is back."),
        "login": _("Log in again and it is sent then."),
        "sent_badge": _("Sent"),
        "refused_badge": _("Refused by the server"),
        "refused": _("It was not accepted. Open the form and send it again."),
        "open": _("Open it"),
        "again": _("Open the form again"),
        "clear": _("Clear the sent ones"),
    }


@register.simple_tag(takes_context=True)
def offline_script(context) -> SafeString:
    request = context.get("request")
    user = getattr(request, "user", None)
    config = {
        "user": str(user.pk) if user is not None and user.is_authenticated else "",
        "sw": reverse("service-worker"),
        "i18n": strings(),
    }
    return format_html(
        '{}\n<script src="{}" defer></script>',
        json_script(config, "linli-offline"),
        static("portal/offline.js"),
    )


@register.simple_tag
def idempotency_field() -> SafeString:
    """A key for a form sent without JavaScript, so a double tap saves once there too
    (offline.js replaces it with a fresh one: a page kept offline would repeat it)."""
    return format_html('<input type="hidden" name="idempotency_key" value="{}">', uuid.uuid4().hex)
