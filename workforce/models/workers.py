"""Workers (社区工作者), the history of every change to them, their yearly assessment and the
yearly promotion proposals. Only workforce.actions writes these rows.

Who holds a grid is not stored here: grids.GridTeamMember (with its grid_worker role) is the
one source; a worker's grids are read from it through the worker's account, and a worker is put
on a grid through grids.actions.appoint_team_member (workforce.actions.assign_to_grid).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models.roles import OFFICE_ROLES, Role
from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel
from workforce.models.ladder import AssessmentResult, Qualification


class Position(models.TextChoices):
    SECRETARY_DIRECTOR = "secretary_director", _("secretary and director (书记兼主任)")
    SECRETARY = "secretary", _("party secretary (书记)")
    DIRECTOR = "director", _("residents' committee director (主任)")
    COMMITTEE = "committee", _("committee member (两委委员)")
    GENERAL = "general", _("general social worker (全科社工)")
    GRID = "grid", _("grid social worker (网格社工)")
    FULL_TIME_GRID = "full_time_grid", _("full-time grid worker (专职网格员)")
    OTHER = "other", _("other post")


# The community's head (书记/主任) sees the pay and assessment of the community's workers.
HEAD_POSITIONS = frozenset({Position.SECRETARY_DIRECTOR, Position.SECRETARY, Position.DIRECTOR})
# Secretaries are assessed 双述双评双考: a party-building report and review besides the rest.
SECRETARY_POSITIONS = frozenset({Position.SECRETARY_DIRECTOR, Position.SECRETARY})


class ContractKind(models.TextChoices):
    LABOUR = "labour", _("labour contract (劳动合同)")
    SERVICE = "service", _("service contract (聘用合同)")
    DISPATCH = "dispatch", _("agency dispatch (劳务派遣)")
    ELECTED = "elected", _("elected to the committee (选任)")


class Education(models.TextChoices):
    SECONDARY = "secondary", _("secondary school or below")
    COLLEGE = "college", _("college (大专)")
    BACHELOR = "bachelor", _("bachelor's degree")
    MASTER = "master", _("master's degree or above")


WORKER_SCOPE_ROLES = {
    "view": OFFICE_ROLES,
    "add": OFFICE_ROLES,
    "change": OFFICE_ROLES,
    "delete": frozenset(),
}
STREET_ROLES = frozenset({Role.STREET_STAFF})


class WorkerQuerySet(ScopedQuerySet):
    def active(self, on=None) -> WorkerQuerySet:
        """Workers in service on `on` (today by default)."""
        on = on or timezone.localdate()
        return self.filter(Q(left_on__isnull=True) | Q(left_on__gt=on), started_on__lte=on)


class Worker(TimeStampedModel):
    """One community worker: where, which post, which sequence and grade, on what terms."""

    written_by = "workforce.actions"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="worker",
        verbose_name=_("account"),
    )
    name = models.CharField(_("name"), max_length=60)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    community = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        related_name="workers",
        limit_choices_to={"kind": "community"},
        verbose_name=_("community"),
    )
    position = models.CharField(_("position"), max_length=20, choices=Position.choices)
    sequence = models.ForeignKey(
        "workforce.Sequence",
        on_delete=models.PROTECT,
        related_name="workers",
        verbose_name=_("post sequence"),
    )
    grade = models.PositiveSmallIntegerField(_("grade"))
    grade_since = models.DateField(_("in this grade since"))
    contract_kind = models.CharField(
        _("contract"), max_length=12, choices=ContractKind.choices, default=ContractKind.LABOUR
    )
    contract_ends_on = models.DateField(_("contract ends on"), null=True, blank=True)
    qualification = models.CharField(
        _("social work qualification"),
        max_length=16,
        choices=Qualification.choices,
        default=Qualification.NONE,
    )
    education = models.CharField(
        _("education"), max_length=12, choices=Education.choices, default=Education.COLLEGE
    )
    started_on = models.DateField(_("started on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)

    objects = WorkerQuerySet.as_manager()
    scope_area_field = "community"
    scope_user_field = "user"
    scope_roles = WORKER_SCOPE_ROLES

    class Meta:
        verbose_name = _("community worker")
        verbose_name_plural = _("community workers")
        ordering = ["community", "sequence__rank", "-grade", "name"]
        indexes = [models.Index(fields=["community", "left_on"], name="workforce_worker_comm")]
        constraints = [
            models.CheckConstraint(
                condition=Q(grade__gte=1),
                name="workforce_worker_grade_positive",
                violation_error_message=_("Grades start at 1."),
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("started_on")),
                name="workforce_worker_left_after_start",
                violation_error_message=_("The leaving date is before the start date."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_head(self) -> bool:
        return self.position in HEAD_POSITIONS

    @property
    def is_secretary(self) -> bool:
        return self.position in SECRETARY_POSITIONS


class ChangeKind(models.TextChoices):
    CREATED = "created", _("entered")
    CHANGED = "changed", _("details changed")
    GRADE = "grade", _("grade changed")
    GRID = "grid", _("put on a grid")
    ASSESSED = "assessed", _("assessed")
    LEFT = "left", _("left the service")


class WorkerChange(models.Model):
    """One entry of a worker's history: append-only, written by the operation that changed
    the worker, in the same transaction. `changes` is {field: [before, after]}."""

    written_by = "workforce.actions"

    worker = models.ForeignKey(
        Worker, on_delete=models.CASCADE, related_name="changes", verbose_name=_("worker")
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ChangeKind.choices)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "worker__community"
    scope_roles = WORKER_SCOPE_ROLES

    class Meta:
        verbose_name = _("worker history entry")
        verbose_name_plural = _("worker history")
        ordering = ["worker", "-at", "-pk"]
        indexes = [models.Index(fields=["worker", "at"], name="workforce_change_worker_at")]

    def __str__(self) -> str:
        return f"{self.worker} {self.get_kind_display()} {self.at:%Y-%m-%d}"


def _score(name):
    return models.DecimalField(name, max_digits=5, decimal_places=2, null=True, blank=True)


class Assessment(TimeStampedModel):
    """The yearly assessment: 述职 (a written report and its score), 评议 by residents and by
    the street, and for secretaries the party-building report and review (双述双评双考); the
    total is the ladder's weighted mean and sets the 考核 result."""

    written_by = "workforce.actions"

    worker = models.ForeignKey(
        Worker, on_delete=models.CASCADE, related_name="assessments", verbose_name=_("worker")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    report = models.TextField(_("work report (述职)"), max_length=20000)
    report_score = _score(_("report score"))
    residents_score = _score(_("residents' review score"))
    street_score = _score(_("street's review score"))
    party_report = models.TextField(
        _("party-building report (secretaries)"), max_length=20000, blank=True
    )
    party_score = _score(_("party-building review score"))
    total = models.DecimalField(_("total score"), max_digits=5, decimal_places=2)
    result = models.CharField(
        _("assessment result"), max_length=12, choices=AssessmentResult.choices
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "worker__community"
    scope_roles = {"view": STREET_ROLES, "add": STREET_ROLES, "change": STREET_ROLES}

    class Meta:
        verbose_name = _("yearly assessment")
        verbose_name_plural = _("yearly assessments")
        ordering = ["worker", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "year"],
                name="workforce_assessment_once_a_year",
                violation_error_message=_("This worker already has an assessment for that year."),
            ),
            models.CheckConstraint(
                condition=Q(total__gte=0, total__lte=100),
                name="workforce_assessment_total_range",
                violation_error_message=_("Scores run from 0 to 100."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker} {self.year} {self.get_result_display()}"


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("awaiting approval")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class PromotionProposal(TimeStampedModel):
    """The system's proposal to move a worker up after a year, by the ladder's rules; the
    street approves (the grade changes, in the history) or rejects it with a reason."""

    written_by = "workforce.actions"

    worker = models.ForeignKey(
        Worker, on_delete=models.CASCADE, related_name="proposals", verbose_name=_("worker")
    )
    year = models.PositiveSmallIntegerField(_("assessment year"))
    sequence = models.ForeignKey(
        "workforce.Sequence", on_delete=models.PROTECT, related_name="+", verbose_name=_("sequence")
    )
    from_grade = models.PositiveSmallIntegerField(_("from grade"))
    to_grade = models.PositiveSmallIntegerField(_("to grade"))
    rule = models.ForeignKey(
        "workforce.PromotionRule",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rule"),
    )
    reasons = models.TextField(_("why"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "worker__community"
    scope_roles = {"view": OFFICE_ROLES, "change": STREET_ROLES}

    class Meta:
        verbose_name = _("promotion proposal")
        verbose_name_plural = _("promotion proposals")
        ordering = ["-year", "worker__community", "worker__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "year"],
                name="workforce_proposal_once_a_year",
                violation_error_message=_("This worker already has a proposal for that year."),
            ),
            models.CheckConstraint(
                condition=Q(to_grade__gt=F("from_grade")),
                name="workforce_proposal_moves_up",
                violation_error_message=_("A proposal moves a worker up."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker} {self.year}: {self.from_grade}→{self.to_grade}"
