"""Volunteers, teams, the talent pool (能人库) and 双报到 (units and party members reporting to
their home community, with the posts and projects they claim)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel


class Skill(models.Model):
    name = models.CharField(_("skill name"), max_length=40, unique=True)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class VolunteerStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    SUSPENDED = "suspended", _("suspended")


class Volunteer(TimeStampedModel):
    """A registered volunteer. Real-name details are kept for the national volunteer record
    and shown only through grids.privacy (masked outside the staff's own area)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="volunteer",
        verbose_name=_("account"),
    )
    community = models.ForeignKey(
        "grids.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    real_name = models.CharField(_("real name"), max_length=60)
    phone = models.CharField(_("mobile phone"), max_length=20)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    skills = models.ManyToManyField(Skill, blank=True, verbose_name=_("skills"))
    availability = models.CharField(
        _("availability"), max_length=200, blank=True, help_text=_("e.g. weekday evenings")
    )
    is_party_member = models.BooleanField(_("party member"), default=False)
    consent_at = models.DateTimeField(
        _("consented at"),
        help_text=_("When the volunteer agreed to the uses of their data (service records)."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=VolunteerStatus.choices, default="active"
    )
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "community"
    scope_user_field = "user"

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")

    def __str__(self) -> str:
        return self.real_name


class TeamKind(models.TextChoices):
    FUNCTIONAL = "functional", _("functional team")
    PARTY = "party", _("party-member service team")


class Team(TimeStampedModel):
    community = models.ForeignKey(
        "grids.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    name = models.CharField(_("team name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=12, choices=TeamKind.choices)
    leader = models.ForeignKey(
        Volunteer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("leader"),
    )
    description = models.TextField(_("description"), blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "community"

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class MembershipStatus(models.TextChoices):
    PENDING = "pending", _("awaiting approval")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class TeamMembership(TimeStampedModel):
    written_by = "volunteers.actions"  # portal.write_path: only its operations change rows

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="memberships")
    status = models.CharField(
        _("status"), max_length=10, choices=MembershipStatus.choices, default="pending"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "team__community"
    scope_user_field = "volunteer__user"

    class Meta:
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        constraints = [
            models.UniqueConstraint(fields=["team", "volunteer"], name="volunteers_one_membership")
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.team}"


class Talent(TimeStampedModel):
    """An entry in the talent pool 能人库: a doctor, teacher, lawyer … and what they offer."""

    volunteer = models.OneToOneField(
        Volunteer, on_delete=models.CASCADE, related_name="talent", verbose_name=_("volunteer")
    )
    profession = models.CharField(_("profession"), max_length=40)
    service_menu = models.TextField(_("service menu"))
    hours_offered = models.CharField(_("hours offered"), max_length=100, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "volunteer__community"
    scope_user_field = "volunteer__user"

    class Meta:
        verbose_name = _("talent")
        verbose_name_plural = _("talent pool")

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.profession}"


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("waiting for the community to confirm")
    CONFIRMED = "confirmed", _("confirmed by the community")
    REFUSED = "refused", _("not confirmed")


class PartyReport(TimeStampedModel):
    """双报到: an in-service party member (or a co-building unit) reports to the home
    community, showing identity and promise (亮身份、亮承诺). The member (or a member of the
    unit) sends the report; the community confirms it (or refuses it, with a reason), and only
    a confirmed report claims posts and counts towards the yearly target."""

    written_by = "volunteers.actions"  # portal.write_path: only its operations change rows

    community = models.ForeignKey(
        "grids.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="party_reports",
        verbose_name=_("party member"),
    )
    unit = models.ForeignKey(
        "grids.CoBuildingUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="party_reports",
        verbose_name=_("unit"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    work_unit = models.CharField(_("work unit"), max_length=100, blank=True)
    promise = models.TextField(_("promise"), help_text=_("亮承诺: what I promise to do"))
    target_hours = models.DecimalField(
        _("yearly target hours"), max_digits=6, decimal_places=2, default=Decimal("50")
    )
    party_branch = models.CharField(
        _("party branch"),
        max_length=100,
        blank=True,
        help_text=_("亮身份: the party organisation the member belongs to"),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ReportStatus.choices,
        default=ReportStatus.PENDING,
        db_index=True,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    refusal_reason = models.CharField(_("reason for not confirming"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "community"
    scope_user_field = "member"
    scope_unit_field = "unit"

    class Meta:
        verbose_name = _("report to community (双报到)")
        verbose_name_plural = _("reports to community (双报到)")
        constraints = [
            models.CheckConstraint(
                condition=Q(member__isnull=False) ^ Q(unit__isnull=False),
                name="volunteers_report_member_xor_unit",
            ),
            models.UniqueConstraint(
                fields=["member", "year"],
                condition=Q(member__isnull=False),
                name="volunteers_report_member_once",
            ),
            models.UniqueConstraint(
                fields=["unit", "year"],
                condition=Q(unit__isnull=False),
                name="volunteers_report_unit_once",
            ),
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(refusal_reason=""),
                name="volunteers_report_refused_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member or self.unit} → {self.community} ({self.year})"


class PostKind(models.TextChoices):
    POST = "post", _("volunteer post")
    PROJECT = "project", _("co-building project")


class ServicePost(TimeStampedModel):
    """A volunteer post or co-building project with a quota; reporters claim places."""

    community = models.ForeignKey(
        "grids.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("community")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=PostKind.choices, default="post")
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    quota = models.PositiveIntegerField(_("quota"))
    claimed_count = models.PositiveIntegerField(_("claimed"), default=0)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "community"

    class Meta:
        verbose_name = _("post or project")
        verbose_name_plural = _("posts and projects")
        constraints = [
            models.CheckConstraint(
                condition=Q(claimed_count__lte=F("quota")), name="volunteers_post_within_quota"
            )
        ]

    def __str__(self) -> str:
        return self.title


class PostClaim(TimeStampedModel):
    written_by = "volunteers.actions"  # portal.write_path: only its operations change rows

    post = models.ForeignKey(ServicePost, on_delete=models.CASCADE, related_name="claims")
    report = models.ForeignKey(PartyReport, on_delete=models.CASCADE, related_name="claims")

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "post__community"
    scope_user_field = "report__member"

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        constraints = [
            models.UniqueConstraint(fields=["post", "report"], name="volunteers_claim_once")
        ]

    def __str__(self) -> str:
        return f"{self.report} · {self.post}"
