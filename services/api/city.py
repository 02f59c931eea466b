"""The city 12345 platform's webhook: signed (HMAC-SHA256 over "timestamp.nonce.body" with the
shared secret), fresh (five-minute window) and used once (nonce table). Anything wrong is a
JSON 400/401 naming what, and changes nothing."""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portal import ratelimit, text
from services import actions, city
from services.models import WebhookNonce


def _webhook_rate() -> tuple[int, int]:
    """The API's "webhook" throttle rate (LINLI_THROTTLE_WEBHOOK) as (requests, seconds)."""
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    rate = api_settings.DEFAULT_THROTTLE_RATES["webhook"]
    requests, seconds = SimpleRateThrottle.parse_rate(None, rate)  # type: ignore[arg-type]
    return requests or 0, seconds or 60


def _error(field: str, message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"errors": {field: [message]}}, status=status)


@csrf_exempt
@require_POST
def webhook(request):
    # A write endpoint like the API's: throttled per client address (the DRF throttle's rate).
    if not ratelimit.hit(f"webhook:{ratelimit.client_ip(request)}", *_webhook_rate()):
        return _error("throttle", _("Too many requests. Try again later."), 429)
    secret = settings.LINLI.get("CITY_12345_WEBHOOK_SECRET", "")
    if not secret:
        return _error("signature", _("The city link is not configured."), 401)
    timestamp = request.headers.get("X-City-Timestamp", "")
    nonce = request.headers.get("X-City-Nonce", "")
    signature = request.headers.get("X-City-Signature", "")
    if not city.timestamp_fresh(timestamp, timezone.now()):
        return _error("timestamp", _("Missing or stale timestamp."))
    if not nonce or len(nonce) > 64 or text.problem(nonce):
        return _error("nonce", _("Missing nonce."))
    expected = city.sign(secret, timestamp, nonce, request.body)
    if not hmac.compare_digest(expected, signature):
        return _error("signature", _("Bad signature."), 401)
    try:
        body = json.loads(request.body.decode())
        if not isinstance(body, dict):
            raise ValueError
    except (ValueError, UnicodeDecodeError):
        return _error("body", _("The body is not a JSON object."))
    try:
        # The one input rule (portal.text) even for a signed sender: a NUL is a 400, not a 500.
        values = {
            name: text.clean_text(
                str(body.get(name) or ""), field=name, max_length=limit, multiline=True
            )
            for name, limit in (
                ("case", 40),
                ("reference", 40),
                ("dispatch", 2000),
                ("result", 2000),
            )
        }
        with transaction.atomic():
            WebhookNonce.objects.create(nonce=nonce)
            link = actions.record_city_update(
                values["case"],
                reference=values["reference"],
                dispatch=values["dispatch"],
                result=values["result"],
            )
    except IntegrityError:
        return _error("nonce", _("This message was already received (replay)."))
    except ValidationError as exc:
        return JsonResponse({"errors": exc.message_dict}, status=400)
    return JsonResponse({"ok": True, "case": link.case.number, "reference": link.reference})
