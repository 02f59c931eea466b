"""THE notify interface: every app tells people things through here.

`send([Message(...), ...])` (or `queue(users=..., kind=..., title=...)` for one message to
several people) is called inside the transaction of the change it reports. For each recipient
it reads their preferences (one query for the whole batch: the users with their preference
row joined), then writes

- the in-site inbox rows (`Notification`) at once, in that transaction;
- one `NotificationOutbox` row per other channel the user gets this kind on (SMS, WeChat,
  email), held until the end of their quiet hours for SMS and WeChat (`not_before`),

and on commit sends the delivery tasks (notifications.tasks) and clears the recipients' bell
counts. Delivery calls `channel(name).send(row)`; a ChannelError is retried with backoff.
Channels: email (Django mail), sms and wechat (HTTP clients posting JSON to settings.LINLI
endpoints), log (written to the log on commit, no outbox row). Tests register fakes with
`register`. Kinds are defined once, in notifications.kinds.

`queue_to_phone(...)` sends an SMS to a phone number with no account behind it (a hotline
caller's tracking number)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.core.mail import send_mail
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from notifications import kinds
from portal import http

logger = logging.getLogger("notifications.notify")

LOG = "log"


class ChannelError(Exception):
    """A delivery that may succeed if tried again later."""


class Channel:
    name = "base"

    def address_for(self, user) -> str:
        return ""

    def send(self, row) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class EmailChannel(Channel):
    name = kinds.EMAIL

    def address_for(self, user) -> str:
        return getattr(user, "email", "") or ""

    def send(self, row) -> None:
        if not row.address:
            return
        body = f"{row.body}\n\n{absolute(row.link)}" if row.link else row.body
        try:
            send_mail(row.title, body, settings.DEFAULT_FROM_EMAIL, [row.address])
        except OSError as exc:
            raise ChannelError(str(exc)) from exc


class HttpJsonChannel(Channel):
    """POSTs {"to", "title", "body", "case", "link"} as JSON with the key in a header."""

    url_setting = ""
    key_setting = ""
    timeout = 10

    def address_for(self, user) -> str:
        return getattr(user, "phone", "") or ""

    def payload(self, row) -> dict:
        return {
            "to": row.address,
            "title": row.title,
            "body": row.body,
            "case": row.case_id,
            "link": absolute(row.link),
        }

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
    name = kinds.SMS
    url_setting, key_setting = "SMS_URL", "SMS_KEY"


class WeChatChannel(HttpJsonChannel):
    name = kinds.WECHAT
    url_setting, key_setting = "WECHAT_TEMPLATE_URL", "WECHAT_TEMPLATE_KEY"

    def payload(self, row) -> dict:
        return {
            "touser": row.address,
            "template": row.kind,
            "url": absolute(row.link),
            "data": {"title": row.title, "body": row.body, "case": row.case_id},
        }


class LogChannel(Channel):
    """Development and operations: one log line per message, on commit; no outbox row."""

    name = LOG

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
    c.name: c for c in (EmailChannel(), SmsChannel(), WeChatChannel(), LogChannel())
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


def absolute(link: str) -> str:
    """A stored link (a path) as the address a phone opens from an SMS or WeChat."""
    if not link or "://" in link:
        return link
    return settings.LINLI.get("SITE_URL", "").rstrip("/") + link


# --- quiet hours ----------------------------------------------------------------------------


def parse_quiet_hours(text: str) -> tuple[time, time] | None:
    """ "22:00-07:00" → (22:00, 07:00); "" → None. Raises ValueError for anything else."""
    text = (text or "").strip()
    if not text:
        return None
    start, end = (time.fromisoformat(part.strip()) for part in text.replace("–", "-").split("-"))
    if start == end:
        raise ValueError("quiet hours must start and end at different times")
    return start, end


def site_quiet_hours() -> tuple[time, time] | None:
    """The quiet hours of users who have not set their own."""
    return parse_quiet_hours(settings.LINLI.get("NOTIFY_QUIET_HOURS", ""))


def quiet_hours_of(preference) -> tuple[time, time] | None:
    if preference is None:
        return site_quiet_hours()
    if not preference.quiet_hours:
        return None
    return preference.quiet_start, preference.quiet_end


def held_until(hours: tuple[time, time] | None, now: datetime) -> datetime | None:
    """When a message sent `now` may ring, if `now` falls in the quiet hours (local time,
    settings.TIME_ZONE; a window may run past midnight); None when it may ring now."""
    if hours is None:
        return None
    start, end = hours
    local = timezone.localtime(now)
    t = local.time()
    if start < end:
        quiet, end_day = start <= t < end, local.date()
    else:  # e.g. 22:00–07:00
        quiet = t >= start or t < end
        end_day = local.date() + timedelta(days=1) if t >= start else local.date()
    if not quiet:
        return None
    return timezone.make_aware(datetime.combine(end_day, end), local.tzinfo)


# --- who gets what, where ---------------------------------------------------------------------


def preference_of(user):
    """The user's NotificationPreference, or None; no query when the row was joined."""
    try:
        return user.notification_preference
    except ObjectDoesNotExist:
        return None


def channels_for(user, kind: kinds.Kind, enabled: Sequence[str], preference=None) -> list[str]:
    """The channels `user` gets `kind` on: their choice for its group (else the kind's
    defaults), and what the group requires, among those the site has switched on. Channels
    that are not people's choice (the log, a test's fake) get everything."""
    group = kinds.GROUPS[kind.group]
    chosen = preference.channels.get(kind.group) if preference is not None else None
    wanted = set(kind.channels if chosen is None else chosen) | group.required
    return [name for name in enabled if name in wanted or name not in kinds.USER_CHANNELS]


def _link_maker() -> Callable[[Any, bool], str]:
    """A function (case, staff) → the case's page for a staff member (the desk) or for a
    resident (their phone page); URLs are reversed once per batch, not per row."""
    templates: dict[str, str] = {}

    def link(case, staff: bool) -> str:
        name = "desk:case" if staff else "services:case"
        if name not in templates:
            try:
                templates[name] = reverse(name, args=["__number__"])
            except NoReverseMatch:
                templates[name] = ""
        return templates[name].replace("__number__", case.number) if templates[name] else ""

    return link


@dataclass(frozen=True)
class Message:
    """One notification to one user. `user`: a user or a user id. `link`: the page it is
    about; for a message about a `case` left empty, the case's page (the desk's for staff,
    the phone page for residents)."""

    user: Any
    kind: str
    title: str
    body: str = ""
    link: str | None = None
    case: Any = None


INBOX_FIELDS = ("recipient", "kind", "title", "body", "link", "case", "created_at")
# The outbox columns a new row is written with (portal.bulk.insert_values; no model instances:
# the sweep writes thousands of rows a batch). A new NOT NULL column needs its value here.
OUTBOX_FIELDS = (
    "channel",
    "recipient",
    "address",
    "case",
    "kind",
    "title",
    "body",
    "link",
    "status",
    "attempts",
    "last_error",
    "created_at",
    "not_before",
)


def send(messages: Iterable[Message | None], now: datetime | None = None) -> int:
    """Write these messages on every channel each recipient gets their kind on, inside the
    caller's transaction; deliveries go out on commit. Inactive or unknown users get nothing.
    One query reads the recipients and their preferences, whatever the batch size; then one
    INSERT for the inbox and one for the outbox. Returns how many inbox rows were written."""
    from notifications import actions

    batch = [m for m in messages if m is not None and m.user]
    if not batch:
        return 0
    ids = {getattr(m.user, "pk", m.user) for m in batch}
    users = {
        u.pk: u
        for u in get_user_model()
        .objects.filter(pk__in=ids, is_active=True)
        .select_related("notification_preference")
    }
    now = now or timezone.now()
    enabled = enabled_channels()
    link_for = _link_maker()
    inbox: list[tuple] = []
    outbox: list[tuple] = []
    logged: list[tuple] = []
    for m in batch:
        user = users.get(getattr(m.user, "pk", m.user))
        if user is None:
            continue
        kind = kinds.get(m.kind)
        title, body = str(m.title)[:200], str(m.body)
        case_id = getattr(m.case, "pk", m.case)
        link = m.link
        if link is None:
            link = link_for(m.case, user.is_staff) if hasattr(m.case, "number") else ""
        preference = preference_of(user)
        held = None
        for name in channels_for(user, kind, enabled, preference):
            if name == kinds.INBOX:
                inbox.append((user.pk, kind.code, title, body, link, case_id, now))
            elif name == LOG:
                logged.append((kind.code, user.pk, title))
            else:
                address = channel(name).address_for(user)[:200] if name in _CHANNELS else ""
                if not address and name in kinds.USER_CHANNELS:
                    continue  # no phone, no email: nothing to send on that channel
                not_before = None
                if name in kinds.QUIET_CHANNELS:
                    if held is None:
                        held = (held_until(quiet_hours_of(preference), now),)
                    not_before = held[0]
                outbox.append(
                    (name, user.pk, address, case_id, kind.code, title, body, link)
                    + ("pending", 0, "", now, not_before)
                )
    actions.record(inbox, outbox, logged, [users[r[0]] for r in inbox])
    return len(inbox)


def queue(
    *,
    users: Iterable,
    kind: str,
    title: str,
    body: str = "",
    case=None,
    link: str | None = None,
) -> int:
    """One message to several users (users or user ids; None is skipped)."""
    return send(
        Message(user=u, kind=kind, title=title, body=body, link=link, case=case) for u in users if u
    )


def can_text() -> bool:
    """Can an SMS be sent at all: a gateway configured (SMS_URL), or a fake registered in
    its place. Texts to a phone with no account go by this, not by NOTIFY_CHANNELS (which is
    what the site's notices to its users go out on), as one-time login codes do."""
    sms = _CHANNELS.get(kinds.SMS)
    if sms is None:
        return False
    if isinstance(sms, HttpJsonChannel):
        return bool(settings.LINLI.get(sms.url_setting))
    return True


def queue_to_phone(
    *, phone: str, kind: str, title: str, body: str = "", case=None, link: str = ""
) -> bool:
    """An SMS to a phone number that may have no account behind it (the tracking number for
    a caller a desk operator filed for), sent on commit, not held for quiet hours (it answers
    something they just did). False, and nothing queued, without a number or without an SMS
    gateway to send it."""
    from notifications import actions

    kinds.get(kind)  # a known kind, like every other message
    phone = (phone or "").strip()[:200]
    if not phone or not can_text():
        return False
    case_id = getattr(case, "pk", case)
    row = (kinds.SMS, None, phone, case_id, kind, str(title)[:200], str(body), link)
    actions.record([], [(*row, "pending", 0, "", timezone.now(), None)], [], [])
    return True
