"""What grid workers record on their rounds (每日巡), and the link to the city 12345 platform."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.querysets import ScopedQuerySet


class PatrolLog(models.Model):
    """One stop of a grid worker's daily round: where, when, what was seen."""

    written_by = "services.actions"

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="patrols",
        verbose_name=_("grid worker"),
    )
    grid = models.ForeignKey(
        "grids.Area", on_delete=models.PROTECT, related_name="patrols", verbose_name=_("grid")
    )
    place = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("place"),
    )
    at = models.DateTimeField(_("at"), db_index=True)
    seen = models.TextField(_("what was seen"), max_length=2000)
    all_well = models.BooleanField(_("all well"), default=True)
    case = models.ForeignKey(
        "services.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case raised"),
    )
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "grid"

    class Meta:
        verbose_name = _("patrol log entry")
        verbose_name_plural = _("patrol log")
        ordering = ["-at"]
        indexes = [models.Index(fields=["grid", "at"], name="services_patrol_grid_at")]

    def __str__(self) -> str:
        return f"{self.grid} {self.at:%Y-%m-%d %H:%M}"


class CityStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed (gave up)")


class CityOutbox(models.Model):
    """One event for the city 12345 platform: a case collected here, or a change of status.

    The row is written in the same transaction as the event (so nothing is lost when the city
    is down); the drain (services.city.drain) sends a case's rows in id order with their
    `event_id`, which the city uses to ignore a repeat, and commits each sent mark on its own
    (so nothing but a post cut off before its mark is ever sent again)."""

    written_by = "services.actions"

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("services.Case", on_delete=models.CASCADE, related_name="city_outbox")
    kind = models.CharField(_("kind"), max_length=24)
    payload = models.JSONField(_("payload"), default=dict)
    status = models.CharField(
        _("status"), max_length=8, choices=CityStatus.choices, default=CityStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("city 12345 outbox entry")
        verbose_name_plural = _("city 12345 outbox")
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                name="services_city_due",
                condition=Q(status="pending"),
            ),
            # "Is an earlier event of this case still unsent?" (services.actions.take_city_head)
            models.Index(
                fields=["case", "id"],
                name="services_city_case_unsent",
                condition=Q(status__in=["pending", "failed"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | ~Q(status="sent"),
                name="services_city_sent_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_id}"


class CityLink(models.Model):
    """What the city platform told us about a case (its reference, dispatch and result)."""

    written_by = "services.actions"

    case = models.OneToOneField(
        "services.Case", on_delete=models.CASCADE, related_name="city", primary_key=True
    )
    reference = models.CharField(_("city reference"), max_length=40, blank=True, db_index=True)
    dispatch = models.CharField(_("city dispatch decision"), max_length=200, blank=True)
    result = models.TextField(_("city result"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("city 12345 link")
        verbose_name_plural = _("city 12345 links")

    def __str__(self) -> str:
        return self.reference


class WebhookNonce(models.Model):
    """A webhook nonce seen once; the unique key refuses a replay."""

    nonce = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("webhook nonce")
        verbose_name_plural = _("webhook nonces")

    def __str__(self) -> str:
        return self.nonce
