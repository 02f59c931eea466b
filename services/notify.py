"""Notifications through one interface with several channels.

`queue(...)` is called inside an action's transaction: it writes NotificationOutbox rows (one
per recipient and channel) and, on commit, sends one Celery task to deliver them. Delivery
(services.tasks.deliver_notifications) calls `channel(name).send(row)`; a ChannelError is
retried with backoff. Channels: inbox (in-site), email (Django mail), sms and wechat (HTTP
clients posting JSON to settings.LINLI endpoints), log. Tests register fakes with `register`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from portal import http

logger = logging.getLogger("services.notify")


class ChannelError(Exception):
    """A delivery that may succeed if tried again later."""


class Channel:
    name = "base"

    def address_for(self, user) -> str:
        return ""

    def send(self, row) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class InboxChannel(Channel):
    name = "inbox"

    def send(self, row) -> None:
        from services.models import Notification

        if row.recipient_id is None:
            return
        # One inbox message per outbox row, however often delivery is retried.
        Notification.objects.get_or_create(
            outbox=row,
            defaults={
                "recipient_id": row.recipient_id,
                "case_id": row.case_id,
                "title": row.title,
                "body": row.body,
            },
        )


class EmailChannel(Channel):
    name = "email"

    def address_for(self, user) -> str:
        return getattr(user, "email", "") or ""

    def send(self, row) -> None:
        if not row.address:
            return
        try:
            send_mail(row.title, row.body, settings.DEFAULT_FROM_EMAIL, [row.address])
        except OSError as exc:
            raise ChannelError(str(exc)) from exc


class HttpJsonChannel(Channel):
    """POSTs {"to", "title", "body", "case"} as JSON with the key in a header."""

    url_setting = ""
    key_setting = ""
    timeout = 10

    def address_for(self, user) -> str:
        return getattr(user, "phone", "") or ""

    def payload(self, row) -> dict:
        return {"to": row.address, "title": row.title, "body": row.body, "case": row.case_id}

    def send(self, row) -> None:
        url = settings.LINLI.get(self.url_setting, "")
        if not url or not row.address:
            return
        key = settings.LINLI.get(self.key_setting, "")
        try:
            http.post_json(url, self.payload(row), key=key, timeout=self.timeout)
        except http.HttpError as exc:
            raise ChannelError(f"{self.name}: {exc}") from exc


class SmsChannel(HttpJsonChannel):
    name = "sms"
    url_setting, key_setting = "SMS_URL", "SMS_KEY"


class WeChatChannel(HttpJsonChannel):
    name = "wechat"
    url_setting, key_setting = "WECHAT_TEMPLATE_URL", "WECHAT_TEMPLATE_KEY"

    def payload(self, row) -> dict:
        return {
            "touser": row.address,
            "template": "case_update",
            "data": {"title": row.title, "body": row.body, "case": row.case_id},
        }


class LogChannel(Channel):
    name = "log"

    def send(self, row) -> None:
        logger.info("notify %s → %s: %s", row.kind, row.recipient_id or row.address, row.title)


class FakeChannel(Channel):
    """Records what it was asked to send (tests, and development without gateways)."""

    def __init__(self, name: str, fail_times: int = 0):
        self.name = name
        self.sent: list[tuple[int | None, str, str]] = []
        self.fail_times = fail_times

    def address_for(self, user) -> str:
        return getattr(user, "phone", "") or getattr(user, "username", "")

    def send(self, row) -> None:
        if self.fail_times > 0:
            self.fail_times -= 1
            raise ChannelError("fake failure")
        self.sent.append((row.recipient_id, row.address, row.title))


_CHANNELS: dict[str, Channel] = {
    c.name: c for c in (InboxChannel(), EmailChannel(), SmsChannel(), WeChatChannel(), LogChannel())
}


def register(channel: Channel) -> None:
    _CHANNELS[channel.name] = channel


def channel(name: str) -> Channel:
    try:
        return _CHANNELS[name]
    except KeyError as exc:
        raise ChannelError(f"unknown channel {name}") from exc


def enabled_channels() -> list[str]:
    return list(settings.LINLI.get("NOTIFY_CHANNELS", ["inbox", "log"]))


# The outbox columns a new row is written with (portal.bulk.insert_values; no model instances:
# the sweep writes thousands of rows a batch and building instances cost more than writing).
# A new NOT NULL column on NotificationOutbox needs its value here too.
OUTBOX_FIELDS = (
    "channel",
    "recipient",
    "address",
    "case",
    "kind",
    "title",
    "body",
    "status",
    "attempts",
    "last_error",
    "created_at",
)


def build_rows(*, users: Iterable, case=None, kind: str, title: str, body: str = "") -> list:
    """Outbox rows (tuples in OUTBOX_FIELDS order, for save_and_send) for these users on
    every enabled channel."""
    from django.utils import timezone

    now = timezone.now()
    case_id = getattr(case, "pk", case)
    title, body = str(title)[:120], str(body)
    channels = [(name, _CHANNELS.get(name)) for name in enabled_channels()]
    rows = []
    for user in users:
        if user is None:
            continue
        for name, ch in channels:
            address = ch.address_for(user)[:200] if ch else ""
            rows.append((name, user.pk, address, case_id, kind, title, body, "pending", 0, "", now))
    return rows


def save_and_send(rows: list) -> None:
    """Insert outbox rows (from build_rows) and send their delivery tasks after commit."""
    from portal.bulk import insert_values
    from services.models import NotificationOutbox

    if not rows:
        return
    ids = insert_values(NotificationOutbox, rows, OUTBOX_FIELDS, returning="id")

    def send() -> None:
        from services.tasks import deliver_notifications

        for start in range(0, len(ids), 500):
            deliver_notifications.delay(ids[start : start + 500])

    if ids:
        transaction.on_commit(send)


def queue(*, users: Iterable, case=None, kind: str, title: str, body: str = "") -> None:
    save_and_send(build_rows(users=users, case=case, kind=kind, title=title, body=body))


def queue_to_phone(*, phone: str, kind: str, title: str, body: str = "", case=None) -> bool:
    """Queue one text message to a phone number that may have no account behind it (the
    tracking number for a caller a desk operator filed for), sent on commit like `queue`.
    False, and nothing queued, without a number or without an SMS gateway to send it."""
    from django.utils import timezone

    sms = _CHANNELS.get("sms")
    if not phone or sms is None:
        return False
    if isinstance(sms, HttpJsonChannel) and not settings.LINLI.get(sms.url_setting):
        return False
    row = ("sms", None, phone[:200], getattr(case, "pk", case), kind, str(title)[:120], str(body))
    save_and_send([(*row, "pending", 0, "", timezone.now())])
    return True
