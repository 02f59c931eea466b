"""The link to the city 12345 platform.

Out: every case collected here and every later change of its status becomes a CityOutbox row,
written in the same transaction as the case's timeline event (`note_events`, called by the
actions), so an outage of the city platform never blocks anyone and loses nothing. The task
`services.tasks.drain_city_outbox` sends the rows oldest first through `client()`; a failure
pauses the whole queue with exponential backoff (so events of a case stay in order) and the
task schedules itself for the retry; the beat entry picks up anything a lost message left.
Each event carries its `event_id`, and a row is marked sent once.

In: the city's replies (its reference, dispatch decisions, results) come to the webhook
(`services.api.city.webhook`), signed with HMAC-SHA256 over "timestamp.nonce.body" with the
shared secret, refused outside a five-minute window or when the nonce was seen before.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from portal import http
from services.choices import Action

BACKOFF_BASE = 5.0  # seconds; doubles per failed attempt of the head of the queue
BACKOFF_CAP = 3600.0
WINDOW = 300  # seconds either side of now for a webhook timestamp
KICK_DEBOUNCE = 2  # seconds: at most one drain task queued per this interval


class CityError(Exception):
    """The city platform did not accept an event. `permanent` = it refused the payload (4xx):
    retrying will not help, the row is marked failed for staff to look at."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class HttpCityClient:
    """POSTs one event as JSON, with the key as a bearer token and the event id in a header."""

    def __init__(self, url: str, key: str, timeout: float = 10):
        self.url, self.key, self.timeout = url, key, timeout

    def send(self, event: dict) -> None:
        try:
            http.post_json(
                self.url,
                event,
                key=self.key,
                headers={"X-Linli-Event-Id": str(event["event_id"])},
                timeout=self.timeout,
            )
        except http.HttpError as exc:
            raise CityError(str(exc), permanent=exc.permanent) from exc


def enabled() -> bool:
    return bool(settings.LINLI.get("CITY_12345_URL"))


def client() -> HttpCityClient | None:
    url = settings.LINLI.get("CITY_12345_URL", "")
    return HttpCityClient(url, settings.LINLI.get("CITY_12345_KEY", "")) if url else None


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1)))


# --- out ---------------------------------------------------------------------------------------


def _payload(event) -> dict:
    case = event.case
    body = {
        "kind": "collected" if event.action == Action.SUBMIT else "status",
        "case": case.number,
        "action": str(event.action),
        "from_state": event.from_state,
        "state": event.to_state,
        "at": event.at.isoformat(),
        "note": (event.note or "")[:500],
    }
    if event.action == Action.SUBMIT:
        body.update(
            channel=case.channel,
            case_type=case.case_type,
            category=case.category_id,
            description=case.description,
            place=case.place_id,
            lat=case.lat,
            lng=case.lng,
            address=case.address,
            urgency=case.urgency,
            raised_before_complaint=case.raised_before_complaint,
        )
    return body


def note_events(events) -> None:
    """Queue the events the city must hear about (collected, or the status changed), in the
    caller's transaction. Nothing is queued while no city URL is configured."""
    if not enabled():
        return
    from django.utils import timezone

    from services.models import CityOutbox

    rows = [
        CityOutbox(
            case_id=e.case_id,
            kind="collected" if e.action == Action.SUBMIT else "status",
            payload=_payload(e),
            next_attempt_at=e.at or timezone.now(),
        )
        for e in events
        if e.action == Action.SUBMIT or (e.from_state and e.from_state != e.to_state)
    ]
    if not rows:
        return
    CityOutbox.objects.bulk_create(rows)
    transaction.on_commit(kick)


def kick() -> None:
    """Queue a drain soon (at most one per KICK_DEBOUNCE seconds; beat covers the rest)."""
    from django.core.cache import cache

    from services.tasks import drain_city_outbox

    if cache.add("linli:city:kick", 1, KICK_DEBOUNCE):
        drain_city_outbox.delay()


# --- in ------------------------------------------------------------------------------------------


def sign(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = timestamp.encode() + b"." + nonce.encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def timestamp_fresh(value: str, now: datetime) -> bool:
    try:
        ts = int(value)
    except (TypeError, ValueError):
        return False
    return abs(now.timestamp() - ts) <= WINDOW
