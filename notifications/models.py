"""Notifications: the in-site inbox, the outbox the other channels send from, and each user's
preferences (which channels for which kinds, and quiet hours).

An inbox message is written in the transaction of the change it reports (notify.send). A
message for another channel (SMS, WeChat, email) is an outbox row written in that same
transaction; a task sent on commit delivers it, and the periodic flush picks up any whose
message was lost, or which waited for the end of the recipient's quiet hours (`not_before`).

The tables were services' until the inbox became everyone's; the rows were kept (migration
notifications 0001)."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.querysets import ScopedQuerySet
from notifications import kinds


class Notification(models.Model):
    """A message in a user's in-site inbox, about one thing (a case, a booking, an order) that
    `link` opens."""

    written_by = "notifications.actions"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
        db_index=False,  # notifications_inbox leads with it
    )
    kind = models.CharField(_("kind"), max_length=24, default="")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True, default="")
    link = models.CharField(_("link"), max_length=300, blank=True, default="")
    case = models.ForeignKey(
        "services.Case",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case"),
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    # Everyone sees their own messages only, staff included: a notice is personal, not a
    # record of the territory (the API and the inbox answer 404 for anyone else's).
    objects = ScopedQuerySet.as_manager()
    scope_user_field = "recipient"
    scope_roles: dict[str, frozenset[str]] = {"view": frozenset()}  # the admin: superusers

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The inbox, newest first.
            models.Index(fields=["recipient", "-created_at"], name="notifications_inbox"),
            # The bell (an index-only count of one user's unread rows), the unread filter, and
            # the "new" marks on a grid worker's list.
            models.Index(
                fields=["recipient", "-created_at"],
                name="notifications_unread",
                condition=Q(read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def kind_label(self) -> str:
        return kinds.label(self.kind)


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class NotificationOutbox(models.Model):
    """One message for one channel to one recipient (a user, or a phone number without an
    account); the database is the source of truth."""

    written_by = "notifications.actions"

    channel = models.CharField(_("channel"), max_length=12)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    case = models.ForeignKey(
        "services.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="outbox"
    )
    kind = models.CharField(_("kind"), max_length=24)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True, default="")
    status = models.CharField(
        _("status"), max_length=8, choices=OutboxStatus.choices, default="pending"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Held until then (the recipient's quiet hours); delivery and the flush leave it alone.
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing notification")
        verbose_name_plural = _("outgoing notifications")
        indexes = [
            models.Index(
                fields=["created_at"],
                name="notifications_outbox_pending",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.address or self.recipient_id}: {self.title}"


def _default_quiet_start() -> time:
    return time(22, 0)


def _default_quiet_end() -> time:
    return time(7, 0)


class NotificationPreference(models.Model):
    """What one user wants: the channels for each kind group (a group left out keeps the
    kinds' defaults) and quiet hours, local time, when SMS and WeChat wait. A user without a
    row has the defaults, and the site's quiet hours (settings.LINLI["NOTIFY_QUIET_HOURS"])."""

    written_by = "notifications.actions"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_preference",
        verbose_name=_("user"),
    )
    # {"case_work": ["inbox", "sms"], ...}: group code → chosen channels.
    channels = models.JSONField(_("channels"), default=dict, blank=True)
    quiet_hours = models.BooleanField(_("quiet hours"), default=True)
    quiet_start = models.TimeField(_("quiet from"), default=_default_quiet_start)
    quiet_end = models.TimeField(_("quiet until"), default=_default_quiet_end)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_user_field = "user"
    scope_roles: dict[str, frozenset[str]] = {"view": frozenset()}

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.CheckConstraint(
                condition=~Q(quiet_hours=True, quiet_start=models.F("quiet_end")),
                name="notifications_quiet_hours_not_empty",
                violation_error_message=_("Quiet hours must start and end at different times."),
            )
        ]

    def __str__(self) -> str:
        return str(self.user)
