"""The link to the city 12345 platform.

Out: every case collected here and every later change of its status becomes a CityOutbox row,
written in the same transaction as the case's timeline event (`note_events`, called by the
actions), so an outage of the city platform never blocks anyone and loses nothing. `drain()`
(run by the task services.tasks.drain_city_outbox, kicked on commit and every 30 s by beat)
sends them. Its guarantees, as the city sees them:

- **in order per case**: only the head of a case's queue is sent (no earlier event of that
  case still pending or failed), locked while it is sent; a second drain skips it and all that
  is behind it. An event the city refused (4xx) stops its case until staff requeue it.
- **exactly once per event, as far as the receiver can tell**: each event carries its
  `event_id` (in the body, `X-Linli-Event-Id` and `Idempotency-Key`) and `seq` (increasing
  within a case). Each event is its own transaction: sent, then marked sent and committed. A
  drain killed between the two resends that one event later with the same id, which the city
  drops as a repeat; nothing else is ever sent twice.
- **no drain past its time limit**: before each post the drain checks that the post, even
  one that runs into its timeout, ends before the task's soft time limit; it also hands over
  after `DRAIN_BUDGET` seconds. Out of time, it queues the next drain and ends, holding
  nothing.
- **no deadlock**: a drain holds one row at a time.
- **one failing case never holds the others**: a failure backs off its own case
  (`next_attempt_at`, 5 s doubling up to `CASE_BACKOFF_CAP`); after `CITY_DOWN_AFTER`
  failures in a row the city is taken as down and the drain stops until the earliest retry,
  so an outage costs a few requests a minute and the backlog goes as soon as the city answers.

In: the city's replies (its reference, dispatch decisions, results) come to the webhook
(`services.api.city.webhook`), signed with HMAC-SHA256 over "timestamp.nonce.body" with the
shared secret, refused outside a five-minute window or when the nonce was seen before.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal import http
from services.choices import Action

logger = logging.getLogger("services.city")

# Seconds; doubles per failed attempt of one case's head event (settings.LINLI
# CITY_12345_BACKOFF_BASE). A case's own wait is short (CITY_12345_BACKOFF_CAP): a backlog after
# an outage goes within this long of the city's return, and one broken event costs one request
# per this interval.
BACKOFF_BASE = 5.0
CASE_BACKOFF_CAP = 60.0
CITY_DOWN_AFTER = 3  # failures in a row (of different cases) after which a drain stops
DRAIN_BUDGET = 60.0  # seconds a drain may post before it hands over to a fresh task
WINDOW = 300  # seconds either side of now for a webhook timestamp
KICK_DEBOUNCE = 2  # seconds: at most one drain task queued per this interval


class CityError(Exception):
    """The city platform did not accept an event. `permanent` = it refused the payload (4xx):
    retrying will not help, the row is marked failed for staff to look at."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class HttpCityClient:
    """POSTs one event as JSON, with the key as a bearer token and the event id in headers
    (X-Linli-Event-Id, and Idempotency-Key for receivers that de-duplicate on that)."""

    def __init__(self, url: str, key: str, timeout: float = 10):
        self.url, self.key, self.timeout = url, key, timeout

    def send(self, event: dict) -> None:
        try:
            http.post_json(
                self.url,
                event,
                key=self.key,
                headers={
                    "X-Linli-Event-Id": str(event["event_id"]),
                    "Idempotency-Key": str(event["event_id"]),
                },
                timeout=self.timeout,
            )
        except http.HttpError as exc:
            raise CityError(str(exc), permanent=exc.permanent) from exc


def enabled() -> bool:
    return bool(settings.LINLI.get("CITY_12345_URL"))


def client():
    """The sender for the outbox: Linli's JSON (HttpCityClient), or GeoReport v2 calls when
    LINLI["CITY_12345_MODE"] is "open311" (open311.client); None without a city URL."""
    url = settings.LINLI.get("CITY_12345_URL", "")
    if not url:
        return None
    key = settings.LINLI.get("CITY_12345_KEY", "")
    if settings.LINLI.get("CITY_12345_MODE") == "open311":
        from open311.client import GeoReportClient

        return GeoReportClient(url, key, settings.LINLI.get("CITY_12345_JURISDICTION", ""))
    return HttpCityClient(url, key)


def backoff(attempts: int) -> timedelta:
    """How long a case waits after its head event failed `attempts` times."""
    base = float(settings.LINLI.get("CITY_12345_BACKOFF_BASE", BACKOFF_BASE))
    cap = float(settings.LINLI.get("CITY_12345_BACKOFF_CAP", CASE_BACKOFF_CAP))
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


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


def kick(countdown: float = 0) -> None:
    """Queue a drain in `countdown` seconds: at most one per KICK_DEBOUNCE-second window of the
    time it will run (beat covers the rest). A retry asked by a drain is at least a window
    later, so the drain that runs cannot swallow the one it asks for. Neither a cache nor a
    broker that is down stops the caller: the beat entry drains later."""
    from django.core.cache import cache

    from services.tasks import drain_city_outbox

    window = int((time.time() + countdown) // KICK_DEBOUNCE)
    try:
        if cache.add(f"linli:city:kick:{window}", 1, countdown + 2 * KICK_DEBOUNCE):
            drain_city_outbox.apply_async(countdown=countdown)
    except Exception as exc:  # the outbox row is stored; only the nudge is lost
        logger.warning("city drain not queued (%s): beat will drain", exc.__class__.__name__)


def event_body(row) -> dict:
    """What the city receives for an outbox row: its id to de-duplicate on, its place in its
    case's sequence (outbox ids increase), and the payload written with the event."""
    return {"event_id": str(row.event_id), "seq": row.pk, **row.payload}


@dataclass
class Drained:
    delivered: int = 0
    failed: int = 0
    stopped: str = "empty"  # empty | budget | city_down


def time_limit() -> float:
    """Seconds a drain must be done by: the task's soft time limit, less a margin for the last
    sent mark's commit (inf when the worker sets none)."""
    soft = getattr(settings, "CELERY_TASK_SOFT_TIME_LIMIT", None)
    return float(soft) - 2 if soft else float("inf")


def drain(
    sender: HttpCityClient,
    budget: float = DRAIN_BUDGET,
    limit: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Drained:
    """Send due events, one per transaction, until none is due, the city looks down, `budget`
    seconds have gone (it hands over to a fresh task) or a post could run past `limit` (the
    time limit, see time_limit(): a post that hit its full timeout would). See the module
    docstring for what this guarantees."""
    from services import actions

    limit = time_limit() if limit is None else limit
    started = clock()
    result = Drained()
    failures_in_a_row = 0
    while True:
        # Checked before each post: time for one more, its timeout included? Else stop,
        # holding nothing (every mark so far is committed).
        elapsed = clock() - started
        if elapsed >= budget or elapsed + sender.timeout > limit:
            result.stopped = "budget"
            return result
        with transaction.atomic():
            now = timezone.now()
            row = actions.take_city_head(now)
            if row is None:
                result.stopped = "empty"
                return result
            try:
                sender.send(event_body(row))
            except CityError as exc:
                retry_at = timezone.now() + backoff(row.attempts + 1)
                actions.city_event_failed(row, str(exc), permanent=exc.permanent, retry_at=retry_at)
                result.failed += 1
                if exc.permanent:
                    logger.warning("city 12345 refused event %s: %s", row.event_id, exc)
                    failures_in_a_row = 0  # the city answered: it is up
                    continue
                failures_in_a_row += 1
                logger.info("city 12345: event %s not delivered (%s)", row.event_id, exc)
                if failures_in_a_row >= CITY_DOWN_AFTER:
                    result.stopped = "city_down"
                    return result
                continue
            actions.city_event_sent(row)
            result.delivered += 1
            failures_in_a_row = 0


def next_retry_in() -> float | None:
    """Seconds until the earliest pending event is due (None: nothing pending)."""
    from django.db.models import Min

    from services.models import CityOutbox, CityStatus

    first = CityOutbox.objects.filter(status=CityStatus.PENDING).aggregate(
        at=Min("next_attempt_at")
    )["at"]
    if first is None:
        return None
    return max(0.0, (first - timezone.now()).total_seconds())


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
