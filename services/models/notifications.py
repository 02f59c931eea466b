"""Notifications: the in-site inbox, and the outbox every channel sends from.

An action writes outbox rows inside its transaction and sends a task on commit; the task
delivers and marks the row. A lost message is picked up again by the outbox sweep, and the
timer sweep queues each notice once because it writes it together with the stage marker."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """A message in a user's in-site inbox."""

    written_by = "services.actions"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(
        "services.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    outbox = models.OneToOneField(
        "services.NotificationOutbox",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbox_message",
    )
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="services_notif_unread")]

    def __str__(self) -> str:
        return self.title


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class NotificationOutbox(models.Model):
    """One message for one channel to one recipient; the database is the source of truth."""

    written_by = "services.actions"

    channel = models.CharField(_("channel"), max_length=12)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    case = models.ForeignKey(
        "services.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="outbox"
    )
    kind = models.CharField(_("kind"), max_length=24)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("message"), blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=OutboxStatus.choices, default="pending"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing notification")
        verbose_name_plural = _("outgoing notifications")
        indexes = [
            models.Index(
                fields=["created_at"],
                name="services_outbox_pending",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.address or self.recipient_id}: {self.title}"
