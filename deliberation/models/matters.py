"""A matter (议题) and everything that happens to it: co-signers, meetings with their minutes
and attendance, comments, the vote (participation and ballots kept apart, so a secret ballot
names no voter while one vote per voter is still a unique index), evaluations and the log."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from deliberation.models.catalogue import MatterKind
from deliberation.models.choices import (
    Choice,
    MeetingKind,
    Outcome,
    Share,
    Source,
    Status,
    VoteUnit,
)
from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel


def _prefixes(path: str, steplen: int = 4) -> list[str]:
    return [path[:i] for i in range(steplen, len(path) + 1, steplen)]


class MatterQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> models.QuerySet:
        """Staff: matters in their territory. Residents: matters on their building, estate,
        grid or community (an area the building lies in)."""
        from deliberation.eligibility import building_paths
        from grids.scope import scope_for

        scope = scope_for(user)
        q = scope.q_for(self.model)
        paths = building_paths(user)
        if paths:
            q |= Q(area__path__in=sorted({p for path in paths for p in _prefixes(path)}))
        return self.filter(q)


class Matter(TimeStampedModel):
    """A matter for the residents of an area (community, grid, estate or building) to decide.
    Its rules are copied from its kind when raised and frozen when the vote opens."""

    written_by = "deliberation.actions"

    area = models.ForeignKey(
        "grids.Area", on_delete=models.PROTECT, related_name="matters", verbose_name=_("area")
    )
    kind = models.ForeignKey(
        MatterKind, on_delete=models.PROTECT, related_name="matters", verbose_name=_("kind")
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=4000)
    source = models.CharField(_("raised by"), max_length=16, choices=Source.choices)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("raised by"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PROPOSED, db_index=True
    )
    # The rules (copied from the kind, editable until the vote opens).
    vote_unit = models.CharField(_("who votes"), max_length=16, choices=VoteUnit.choices)
    quorum = models.CharField(_("quorum"), max_length=16, choices=Share.choices)
    majority = models.CharField(_("majority"), max_length=16, choices=Share.choices)
    weighted_by_area = models.BooleanField(_("weighted by floor area"), default=False)
    secret = models.BooleanField(_("secret ballot"), default=False)
    cosign_threshold = models.PositiveIntegerField(_("co-signers needed"), default=0)
    cosign_count = models.PositiveIntegerField(_("co-signers"), default=0)
    plan = models.TextField(_("plan put to the vote"), blank=True, max_length=4000)
    plan_published_at = models.DateTimeField(_("plan published at"), null=True, blank=True)
    # Cases promoted into this matter: "<place id>:<category id>" (one matter per pair while
    # open, a partial unique index), and the cases' numbers.
    promoted_key = models.CharField(max_length=40, blank=True, editable=False)
    case_numbers = models.JSONField(default=list, blank=True, editable=False)
    # The vote: the electorate frozen when it opens, so the tally is reproducible.
    vote_opens_at = models.DateTimeField(_("vote opened"), null=True, blank=True)
    vote_closes_at = models.DateTimeField(_("vote closes"), null=True, blank=True)
    eligible_count = models.PositiveIntegerField(_("eligible voters"), default=0)
    eligible_area = models.DecimalField(
        _("eligible floor area (m²)"), max_digits=12, decimal_places=2, default=0
    )
    # The published result (公开): the tally as it was announced.
    outcome = models.CharField(
        _("vote outcome"), max_length=16, choices=Outcome.choices, blank=True
    )
    tally = models.JSONField(_("tally"), default=dict, blank=True, editable=False)
    decided_at = models.DateTimeField(_("vote counted at"), null=True, blank=True)
    published_at = models.DateTimeField(_("result published at"), null=True, blank=True)
    done_at = models.DateTimeField(_("carried out at"), null=True, blank=True)
    declined_reason = models.CharField(_("reason not taken up"), max_length=200, blank=True)

    objects = MatterQuerySet.as_manager()
    scope_area_field = "area"

    class Meta:
        verbose_name = _("matter")
        verbose_name_plural = _("matters")
        indexes = [models.Index(fields=["status", "-created_at"], name="delib_matter_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["promoted_key"],
                condition=~Q(promoted_key="") & ~Q(status__in=["done", "declined"]),
                name="deliberation_one_open_matter_per_cases",
            ),
            models.CheckConstraint(
                condition=~Q(weighted_by_area=True, vote_unit=VoteUnit.PERSON),
                name="deliberation_matter_weighted_by_household",
                violation_error_message=_("Votes weighted by floor area are one per household."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Cosign(models.Model):
    """A resident's support (附议) for a matter: once per person."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="cosigns")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey("grids.Household", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("co-signature")
        verbose_name_plural = _("co-signatures")
        constraints = [
            models.UniqueConstraint(
                fields=["matter", "user"],
                name="deliberation_cosign_once",
                violation_error_message=_("You have already co-signed this matter."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.matter_id} · {self.user_id}"


class Meeting(TimeStampedModel):
    """One of the 四会 on a matter: notice and agenda, the booked 议事厅, then minutes."""

    written_by = "deliberation.actions"

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(_("meeting"), max_length=16, choices=MeetingKind.choices)
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    agenda = models.TextField(_("agenda"), max_length=4000)
    booking = models.ForeignKey(
        "centres.Booking",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("booking"),
    )
    place = models.CharField(_("place"), max_length=120, blank=True)
    minutes = models.TextField(_("minutes"), blank=True, max_length=20000)
    minutes_at = models.DateTimeField(_("minutes recorded at"), null=True, blank=True)
    minutes_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="deliberation_meeting_times"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.matter}"


class Attendance(models.Model):
    """Who attended a meeting (a name as signed on the sheet, and their household if known)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    name = models.CharField(_("name"), max_length=60)
    household = models.ForeignKey(
        "grids.Household", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    capacity = models.CharField(_("attending as"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "name"], name="deliberation_attendance_once")
        ]

    def __str__(self) -> str:
        return self.name


class Comment(models.Model):
    """Discussion on a matter (议): residents in the area and staff."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(_("comment"), max_length=1000)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return self.body[:40]


class Participation(models.Model):
    """That a voter voted (never how): one row per eligible voter per matter, written in the
    same transaction as the ballot. The unique index is what counts each voter once."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="participations")
    voter_key = models.CharField(max_length=24)  # "h<household id>" or "u<user id>"
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("grids.Household", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(
                fields=["matter", "voter_key"],
                name="deliberation_one_vote_per_voter",
                violation_error_message=_("This vote has already been cast."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.matter_id} · {self.voter_key}"


class Ballot(models.Model):
    """One vote as cast: the choice and its weight. On a secret matter it carries no voter and
    no time (a random id, so not even the order of rows links it to a participation)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="ballots")
    choice = models.CharField(_("vote"), max_length=8, choices=Choice.choices)
    weight = models.DecimalField(_("floor area (m²)"), max_digits=8, decimal_places=2, default=0)
    # Open ballots only (null on secret matters).
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    household = models.ForeignKey(
        "grids.Household", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")

    def __str__(self) -> str:
        return f"{self.matter_id} · {self.choice}"


class Evaluation(models.Model):
    """A resident's evaluation (评) of a matter carried out: 1-5 and a remark."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="evaluations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    remark = models.CharField(_("remark"), max_length=300, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [
            models.UniqueConstraint(
                fields=["matter", "user"],
                name="deliberation_evaluate_once",
                violation_error_message=_("You have already evaluated this matter."),
            ),
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="deliberation_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.matter_id} · {self.score}"


class MatterEvent(models.Model):
    """The matter's log, shown as its timeline: every operation writes one."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=1000, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.matter_id} · {self.action}"


class MatterNotice(models.Model):
    """One notice to the residents about one event of a matter (a meeting called, the vote
    opened, the result published). The unique key is what makes each notice go out once,
    whatever retries or second clicks happen: the notice is sent only by the insert that
    wrote this row."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="notices")
    key = models.CharField(max_length=40)
    recipients = models.PositiveIntegerField(default=0)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["matter", "key"], name="delib_notice_once"),
        ]

    def __str__(self) -> str:
        return f"{self.matter_id} · {self.key}"
