"""Mediation (调解): a dispute between parties, its mediators, sessions in centre spaces, the
outcome (an agreement signed by every party, or a referral), and follow-up visits.

Only mediation.actions writes these rows (`written_by`). A dispute hangs on the tree by its
place (a grid, estate or building of one community): territorial staff covering the place see
it, masked; the parties' details (names, phones, addresses, the terms) are for the assigned
mediators and the community's head only (mediation.privacy), each reveal written to the access
log. A resident sees the disputes they asked for themselves."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.models.roles import STAFF_ROLES, TERRITORIAL_ROLES, Role
from grids.querysets import ScopedQuerySet
from mediation.choices import (
    DisputeKind,
    FollowUpResult,
    MediatorKind,
    PartyKind,
    ReferredTo,
    Side,
    SignMethod,
    Source,
    Status,
)
from portal.models import TimeStampedModel

# Territorial staff read and take in disputes; unit members (a lawyer, a judge's studio) read
# those they mediate; writes go through mediation.actions (which check who acts).
SCOPE_ROLES = {
    "view": frozenset(STAFF_ROLES) | {Role.UNIT_MEMBER, Role.RESIDENT},
    "add": frozenset(TERRITORIAL_ROLES),
    "change": frozenset(TERRITORIAL_ROLES) | {Role.UNIT_MEMBER},
    "delete": frozenset(),
}


class DisputeQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> models.QuerySet:
        """The area scope (territorial staff, the resident who asked), plus the disputes the
        user mediates (a lawyer from a co-building unit has no territory)."""
        from grids.scope import scope_for

        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        q = scope.q_for(Dispute)
        if user is not None and getattr(user, "is_authenticated", False):
            q |= Q(pk__in=Mediator.objects.filter(user_id=user.pk).values("dispute_id"))
        return self.filter(q)

    changeable_by = visible_to


class Dispute(TimeStampedModel):
    """One dispute (纠纷) taken in for mediation."""

    written_by = "mediation.actions"

    number = models.CharField(_("number"), max_length=20, unique=True)
    community = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        related_name="disputes",
        verbose_name=_("community"),
        limit_choices_to={"kind": "community"},
    )
    place = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("place"),
        help_text=_("The grid, estate or building where the dispute arose."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=DisputeKind.choices)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    # Shown to everyone in scope: no names, no numbers (the desk writes it that way).
    summary = models.CharField(_("summary"), max_length=120)
    facts = models.TextField(_("facts and claims"), max_length=4000)
    case = models.OneToOneField(
        "services.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dispute",
        verbose_name=_("12345 case"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("asked for by"),
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("received by"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    terms = models.TextField(_("terms of the agreement"), blank=True, max_length=4000)
    agreed_at = models.DateTimeField(_("agreed at"), null=True, blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    referred_to = models.CharField(
        _("referred to"), max_length=16, choices=ReferredTo.choices, blank=True
    )
    referral_note = models.TextField(_("referral note"), blank=True, max_length=2000)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    signed_scan = models.FileField(
        _("scanned signed agreement"), upload_to="mediation/%Y/%m/", blank=True
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = DisputeQuerySet.as_manager()
    scope_area_field = "place"
    scope_user_field = "requested_by"
    scope_roles = SCOPE_ROLES

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["community", "status"], name="mediation_dispute_comm")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=Status.SETTLED) | Q(settled_at__isnull=False, terms__gt=""),
                name="mediation_settled_has_terms",
                violation_error_message=_("A settled dispute needs its terms and date."),
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.REFERRED) | Q(referred_to__gt=""),
                name="mediation_referred_has_body",
                violation_error_message=_("Say where the dispute was referred."),
            ),
            models.CheckConstraint(
                condition=~Q(source=Source.CASE) | Q(case__isnull=False),
                name="mediation_case_source_has_case",
                violation_error_message=_("A converted case must name its case."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.summary}"

    @property
    def is_open(self) -> bool:
        return self.status in (Status.RECEIVED, Status.MEDIATING, Status.AGREED)


class Party(models.Model):
    """One party to a dispute. Name, phone and address are private (mediation.privacy)."""

    written_by = "mediation.actions"

    dispute = models.ForeignKey(
        Dispute, on_delete=models.CASCADE, related_name="parties", verbose_name=_("dispute")
    )
    side = models.CharField(_("side"), max_length=12, choices=Side.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=PartyKind.choices)
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    resident = models.ForeignKey(
        "grids.Resident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resident"),
    )
    household = models.ForeignKey(
        "grids.Household",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("household"),
    )
    unit = models.ForeignKey(
        "grids.CoBuildingUnit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unit"),
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    sign_method = models.CharField(
        _("signed how"), max_length=12, choices=SignMethod.choices, blank=True
    )
    signature_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signature recorded by"),
    )

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["dispute", "side", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True, sign_method="")
                | Q(signed_at__isnull=False, sign_method__gt=""),
                name="mediation_party_signature_whole",
                violation_error_message=_("A signature needs its time and how it was given."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dispute.number} · {self.get_side_display()}"


class Mediator(TimeStampedModel):
    """A mediator assigned to a dispute: a community mediator, a judge's studio or a lawyer on
    duty from a co-building unit. Each sees the parties' details (logged)."""

    written_by = "mediation.actions"

    dispute = models.ForeignKey(
        Dispute, on_delete=models.CASCADE, related_name="mediators", verbose_name=_("dispute")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="mediations",
        verbose_name=_("account"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=MediatorKind.choices)
    unit = models.ForeignKey(
        "grids.CoBuildingUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("co-building unit"),
    )
    name = models.CharField(_("name"), max_length=60)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )

    class Meta:
        verbose_name = _("mediator")
        verbose_name_plural = _("mediators")
        ordering = ["dispute", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispute", "user"],
                name="mediation_one_assignment_per_person",
                violation_error_message=_("This person already mediates this dispute."),
            ),
            models.CheckConstraint(
                condition=Q(kind=MediatorKind.COMMUNITY) | Q(unit__isnull=False),
                name="mediation_outside_mediator_has_unit",
                violation_error_message=_("A judge's studio or lawyer comes from a unit."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class Session(TimeStampedModel):
    """A mediation session, held in a centre space booked through centres.actions."""

    written_by = "mediation.actions"

    dispute = models.ForeignKey(
        Dispute, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("dispute")
    )
    booking = models.OneToOneField(
        "centres.Booking",
        on_delete=models.PROTECT,
        related_name="mediation_session",
        verbose_name=_("booking"),
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    held_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    attended = models.ManyToManyField(Party, blank=True, related_name="+", verbose_name=_("came"))
    others_present = models.CharField(_("others present"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=4000)
    cancelled = models.BooleanField(_("cancelled"), default=False)

    class Meta:
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")
        ordering = ["dispute", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="mediation_session_ordered",
                violation_error_message=_("The end must be after the start."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.dispute.number} {self.starts_at:%Y-%m-%d %H:%M}"


class FollowUp(TimeStampedModel):
    """A follow-up visit (回访) after the agreement: was it kept?"""

    written_by = "mediation.actions"

    dispute = models.ForeignKey(
        Dispute, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("dispute")
    )
    visited_on = models.DateField(_("visited on"))
    result = models.CharField(_("result"), max_length=8, choices=FollowUpResult.choices)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("visited by"),
    )

    class Meta:
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        ordering = ["dispute", "visited_on"]

    def __str__(self) -> str:
        return f"{self.dispute.number} {self.visited_on}"


class Event(models.Model):
    """The dispute's timeline: one row per step (no private details in `note`)."""

    written_by = "mediation.actions"

    dispute = models.ForeignKey(
        Dispute, on_delete=models.CASCADE, related_name="events", verbose_name=_("dispute")
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    action = models.CharField(_("step"), max_length=24)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("mediation step")
        verbose_name_plural = _("mediation steps")
        ordering = ["dispute", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.action}"

    @property
    def label(self) -> str:
        from mediation.choices import EVENT_LABELS

        return str(EVENT_LABELS.get(self.action, self.action))
