"""The notifications app's write path: inbox and outbox rows (written for notify.send),
delivery of outbox rows (for the tasks), marking read, and preferences. Views, the API, the
admin and tasks call these; a refused step raises ValidationError naming its field."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import bell, kinds
from notifications.models import (
    Notification,
    NotificationOutbox,
    NotificationPreference,
    OutboxStatus,
)
from portal.bulk import insert_values

logger = logging.getLogger("notifications.notify")

MAX_ATTEMPTS = 6
TASK_CHUNK = 500  # outbox ids per delivery task


def record(
    inbox: Sequence[tuple],
    outbox: Sequence[tuple],
    logged: Sequence[tuple] = (),
    recipients: Iterable = (),
) -> None:
    """Write inbox rows (notify.INBOX_FIELDS) and outbox rows (notify.OUTBOX_FIELDS) in the
    caller's transaction; on commit, send delivery tasks for the outbox rows due now, log the
    log channel's lines, and clear the recipients' bell counts."""
    from notifications.notify import INBOX_FIELDS, OUTBOX_FIELDS

    insert_values(Notification, inbox, INBOX_FIELDS)
    ids = insert_values(NotificationOutbox, outbox, OUTBOX_FIELDS, returning="id")
    due = [pk for pk, row in zip(ids, outbox, strict=True) if row[-1] is None]
    if inbox:
        bell.forget(recipients)

    def after_commit() -> None:
        from notifications.tasks import deliver_notifications

        for kind, recipient, title in logged:
            logger.info("notify %s → %s: %s", kind, recipient, title)
        for start in range(0, len(due), TASK_CHUNK):
            deliver_notifications.delay(due[start : start + TASK_CHUNK])

    if due or logged:
        transaction.on_commit(after_commit)


def deliver(pk: int, skip_locked: bool = False) -> str | None:
    """Deliver one pending outbox row now, under its row lock: "sent", "retry", "failed",
    or None when there is nothing to do (sent by an earlier run, or held for quiet hours).
    A failing channel is retried with backoff (10 s, 20 s, 40 s … up to an hour), then
    marked failed after MAX_ATTEMPTS. `skip_locked` (the flush): a row another task is
    delivering right now is left to it (None) instead of waited for."""
    from notifications import notify

    with transaction.atomic():
        row = (
            NotificationOutbox.objects.select_for_update(of=("self",), skip_locked=skip_locked)
            .filter(pk=pk, status=OutboxStatus.PENDING)
            .first()
        )
        if row is None:
            return None
        if row.not_before is not None and row.not_before > timezone.now():
            return None  # the flush sends it when the quiet hours end
        try:
            notify.channel(row.channel).send(row)
        except notify.ChannelError as exc:
            row.attempts += 1
            row.last_error = str(exc)[:500]
            if row.attempts >= MAX_ATTEMPTS:
                row.status = OutboxStatus.FAILED
            row.save(update_fields=["attempts", "last_error", "status"])
            if row.status == OutboxStatus.FAILED:
                return "failed"
            countdown = min(2**row.attempts * 5, 3600)

            def retry() -> None:
                from notifications.tasks import deliver_notification

                deliver_notification.apply_async((pk,), countdown=countdown)

            transaction.on_commit(retry)
            return "retry"
        row.status = OutboxStatus.SENT
        row.sent_at = timezone.now()
        row.attempts += 1
        row.save(update_fields=["status", "sent_at", "attempts"])
        return "sent"


def retry_failed(ids: Iterable[int]) -> int:
    """Give failed outbox rows another round of attempts (the admin's "send again")."""
    ids = list(ids)
    with transaction.atomic():
        count = NotificationOutbox.objects.filter(pk__in=ids, status=OutboxStatus.FAILED).update(
            status=OutboxStatus.PENDING, attempts=0, last_error=""
        )

        def send() -> None:
            from notifications.tasks import deliver_notifications

            deliver_notifications.delay(ids)

        if count:
            transaction.on_commit(send)
    return count


def prune_sent(before, batch: int = 10_000) -> int:
    """Delete the outbox rows sent before `before` (in batches of `batch`, each its own
    transaction); returns how many. A sent row is never read again (the bell and the inbox
    read Notification, not the outbox), and each case step writes one per channel and
    recipient: kept for ever the table grows by tens of millions of rows a year at a province's
    volume. Pending and failed rows stay whatever their age."""
    total = 0
    while True:
        ids = list(
            NotificationOutbox.objects.filter(
                status=OutboxStatus.SENT, sent_at__lt=before
            ).values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return total
        total += NotificationOutbox.objects.filter(pk__in=ids).delete()[0]


# --- reading --------------------------------------------------------------------------------


def mark_read(user, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read (again is harmless). Anyone else's is
    Notification.DoesNotExist, as if it did not exist. One UPDATE (a single statement needs
    no transaction of its own), then the row."""
    mine = Notification.objects.filter(pk=notification_id, recipient=user)
    if mine.filter(read_at__isnull=True).update(read_at=timezone.now()):
        bell.forget([user])
    return mine.get()


def mark_all_read(user) -> int:
    """Mark every unread notification of the user read; returns how many. One UPDATE."""
    count = Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if count:
        bell.forget([user])
    return count


def mark_case_read(user, case_id: int) -> int:
    """The user opened the case: what they were told about it is read. Asks the bell first
    (which the page shows anyway, so its count is kept for the page): nothing unread, no
    query; else one UPDATE."""
    if bell.unread_count(user) == 0:
        return 0
    count = Notification.objects.filter(
        recipient=user, case_id=case_id, read_at__isnull=True
    ).update(read_at=timezone.now())
    if count:
        bell.forget([user])
    return count


# --- preferences -----------------------------------------------------------------------------


def save_preferences(
    user,
    *,
    channels: Mapping[str, Iterable[str]],
    quiet_hours: bool,
    quiet_start: time | None = None,
    quiet_end: time | None = None,
) -> NotificationPreference:
    """Keep the user's choice of channels per kind group and their quiet hours. A group's
    required channels stay on whatever is sent; an unknown group or channel is refused."""
    errors: dict[str, list[str]] = {}
    chosen: dict[str, list[str]] = {}
    for group_code, names in channels.items():
        group = kinds.GROUPS.get(group_code)
        if group is None:
            errors.setdefault("channels", []).append(_("Unknown kind of notification."))
            continue
        names = set(names)
        if names - set(kinds.USER_CHANNELS):
            errors.setdefault(group_code, []).append(_("Unknown channel."))
            continue
        chosen[group_code] = [c for c in kinds.USER_CHANNELS if c in names | group.required]
    if quiet_hours:
        if quiet_start is None:
            errors.setdefault("quiet_start", []).append(_("Give the time quiet hours start."))
        if quiet_end is None:
            errors.setdefault("quiet_end", []).append(_("Give the time quiet hours end."))
        if quiet_start is not None and quiet_start == quiet_end:
            errors.setdefault("quiet_end", []).append(
                _("Quiet hours must start and end at different times.")
            )
    if errors:
        raise ValidationError(errors)
    defaults = {"channels": chosen, "quiet_hours": quiet_hours}
    if quiet_start is not None:
        defaults["quiet_start"] = quiet_start
    if quiet_end is not None:
        defaults["quiet_end"] = quiet_end
    with transaction.atomic():
        preference, _created = NotificationPreference.objects.update_or_create(
            user=user, defaults=defaults
        )
    return preference
