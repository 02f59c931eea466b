"""The ladder as configuration: a city's post sequences (岗位序列) and grades (等级), its pay
tables with their history, the rules to move up and the norms the staffing report checks.

Putian's 三岗十八级 is three sequences (主管, 助理, 办事员) of eighteen grades; Quanzhou's
四岗十八级 four sequences; elsewhere three of twelve. Nothing of that is in code: a city keeps
one Ladder row with its Sequences, PayTables (one per period, never overlapping: an exclusion
constraint) and PromotionRules, edited in the admin by city staff.
"""

from __future__ import annotations

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from grids.models.roles import CATALOGUE_EDITORS, OFFICE_ROLES
from grids.models.teams import TeamPeriod
from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel

CATALOGUE_SCOPE_ROLES = {
    "view": OFFICE_ROLES,
    "add": CATALOGUE_EDITORS,
    "change": CATALOGUE_EDITORS,
    "delete": CATALOGUE_EDITORS,
}


class Qualification(models.TextChoices):
    """社会工作者职业资格, lowest first (the order is the rank the rules compare)."""

    NONE = "none", _("no qualification")
    ASSISTANT = "assistant", _("assistant social worker (助理社会工作师)")
    SOCIAL_WORKER = "social_worker", _("social worker (社会工作师)")
    SENIOR = "senior", _("senior social worker (高级社会工作师)")

    @classmethod
    def rank(cls, value: str) -> int:
        return list(cls.values).index(value) if value in cls.values else 0


class AssessmentResult(models.TextChoices):
    """The yearly 考核 result, best first in the UI; rank() is higher for better."""

    EXCELLENT = "excellent", _("excellent (优秀)")
    COMPETENT = "competent", _("competent (称职)")
    BASIC = "basic", _("basically competent (基本称职)")
    INCOMPETENT = "incompetent", _("incompetent (不称职)")

    @classmethod
    def rank(cls, value: str) -> int:
        order: list[str] = ["incompetent", "basic", "competent", "excellent"]
        return order.index(value) if value in order else -1


class Ladder(TimeStampedModel):
    """One city's ladder, its norms and the weights of the yearly assessment."""

    city = models.OneToOneField(
        "grids.Area",
        on_delete=models.PROTECT,
        related_name="workforce_ladder",
        limit_choices_to={"kind": "city"},
        verbose_name=_("city"),
    )
    name = models.CharField(_("name"), max_length=60, help_text=_("For example 三岗十八级."))
    grade_count = models.PositiveSmallIntegerField(_("grades per sequence"), default=18)
    staffing_norm = models.DecimalField(
        _("workers per 10,000 residents (norm)"), max_digits=5, decimal_places=2, default=18
    )
    facility_norm = models.DecimalField(
        _("centre floor area per 100 households (m²)"), max_digits=6, decimal_places=2, default=30
    )
    # 述职 (the written report), 评议 by residents and by the street; secretaries add the party
    # building 述职评议 (双述双评双考). Weights are relative: the total is the weighted mean.
    weight_report = models.PositiveSmallIntegerField(_("weight: report (述职)"), default=20)
    weight_residents = models.PositiveSmallIntegerField(_("weight: residents' review"), default=40)
    weight_street = models.PositiveSmallIntegerField(_("weight: street's review"), default=40)
    weight_party = models.PositiveSmallIntegerField(
        _("weight: party-building review (secretaries)"), default=25
    )
    excellent_from = models.PositiveSmallIntegerField(_("excellent from (score)"), default=90)
    competent_from = models.PositiveSmallIntegerField(_("competent from (score)"), default=75)
    basic_from = models.PositiveSmallIntegerField(_("basically competent from (score)"), default=60)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "city"
    scope_roles = CATALOGUE_SCOPE_ROLES

    class Meta:
        verbose_name = _("ladder")
        verbose_name_plural = _("ladders")
        constraints = [
            models.CheckConstraint(
                condition=Q(grade_count__gte=1, grade_count__lte=40),
                name="workforce_ladder_grade_count",
                violation_error_message=_("A ladder has between 1 and 40 grades."),
            ),
            models.CheckConstraint(
                condition=Q(weight_report__gt=0)
                | Q(weight_residents__gt=0)
                | Q(weight_street__gt=0),
                name="workforce_ladder_some_weight",
                violation_error_message=_("At least one assessment weight must be above zero."),
            ),
            models.CheckConstraint(
                condition=Q(excellent_from__lte=100)
                & Q(excellent_from__gt=F("competent_from"))
                & Q(competent_from__gt=F("basic_from")),
                name="workforce_ladder_thresholds_ordered",
                violation_error_message=_(
                    "The score thresholds must fall: excellent > competent > basically competent."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.city.name} · {self.name}"


class Sequence(models.Model):
    """A post sequence (主管, 助理, 办事员 …): rank 1 is the highest; max_grade is its cap."""

    ladder = models.ForeignKey(
        Ladder, on_delete=models.CASCADE, related_name="sequences", verbose_name=_("ladder")
    )
    name = models.CharField(_("name"), max_length=30)
    rank = models.PositiveSmallIntegerField(_("rank (1 = highest)"))
    entry_grade = models.PositiveSmallIntegerField(_("entry grade"), default=1)
    max_grade = models.PositiveSmallIntegerField(_("highest grade (cap)"))

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "ladder__city"
    scope_roles = CATALOGUE_SCOPE_ROLES

    class Meta:
        verbose_name = _("post sequence")
        verbose_name_plural = _("post sequences")
        ordering = ["ladder", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["ladder", "rank"],
                name="workforce_sequence_rank_unique",
                violation_error_message=_("The ladder already has a sequence of that rank."),
            ),
            models.UniqueConstraint(
                fields=["ladder", "name"],
                name="workforce_sequence_name_unique",
                violation_error_message=_("The ladder already has a sequence of that name."),
            ),
            models.CheckConstraint(
                condition=Q(entry_grade__gte=1) & Q(max_grade__gte=F("entry_grade")),
                name="workforce_sequence_grades_ordered",
                violation_error_message=_("The cap is below the entry grade."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PayTable(TimeStampedModel):
    """The monthly pay per sequence and grade for a period (effective_to inclusive; open when
    empty). Periods of one ladder never overlap (exclusion constraint): that is the history."""

    written_by = "workforce.actions"

    ladder = models.ForeignKey(
        Ladder, on_delete=models.CASCADE, related_name="pay_tables", verbose_name=_("ladder")
    )
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "ladder__city"
    scope_roles = CATALOGUE_SCOPE_ROLES

    class Meta:
        verbose_name = _("pay table")
        verbose_name_plural = _("pay tables")
        ordering = ["ladder", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="workforce_paytable_period_ordered",
                violation_error_message=_("The end date is before the start date."),
            ),
            ExclusionConstraint(
                name="workforce_paytable_no_overlap",
                expressions=[
                    ("ladder", RangeOperators.EQUAL),
                    (
                        TeamPeriod("effective_from", "effective_to", RangeBoundary(True, True)),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                violation_error_message=_("Another pay table of this ladder covers that period."),
            ),
        ]

    def __str__(self) -> str:
        end = self.effective_to.isoformat() if self.effective_to else "…"
        return f"{self.ladder} {self.effective_from.isoformat()}–{end}"


class PayRate(models.Model):
    """One cell of a pay table: the monthly pay of a grade in a sequence."""

    written_by = "workforce.actions"

    table = models.ForeignKey(
        PayTable, on_delete=models.CASCADE, related_name="rates", verbose_name=_("pay table")
    )
    sequence = models.ForeignKey(
        Sequence, on_delete=models.CASCADE, related_name="pay_rates", verbose_name=_("sequence")
    )
    grade = models.PositiveSmallIntegerField(_("grade"))
    monthly_pay = models.DecimalField(_("monthly pay (yuan)"), max_digits=9, decimal_places=2)

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "table__ladder__city"
    scope_roles = CATALOGUE_SCOPE_ROLES

    class Meta:
        verbose_name = _("pay rate")
        verbose_name_plural = _("pay rates")
        ordering = ["table", "sequence__rank", "grade"]
        constraints = [
            models.UniqueConstraint(
                fields=["table", "sequence", "grade"],
                name="workforce_payrate_unique",
                violation_error_message=_("This grade already has a pay in this table."),
            ),
            models.CheckConstraint(
                condition=Q(grade__gte=1) & Q(monthly_pay__gte=0),
                name="workforce_payrate_positive",
                violation_error_message=_("Grades start at 1 and pay is not negative."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sequence} {self.grade}: {self.monthly_pay}"


class PromotionRule(models.Model):
    """A rule to move up: after `min_years_in_grade` years in the grade, with the last
    `result_years` yearly results at least `min_result` and at least `min_qualification`, a
    worker of `sequence` (any when empty) moves up `steps` grades, never above `max_grade`
    (nor the sequence's cap). Where several rules hold, the one giving most steps wins."""

    ladder = models.ForeignKey(
        Ladder, on_delete=models.CASCADE, related_name="rules", verbose_name=_("ladder")
    )
    name = models.CharField(_("name"), max_length=60)
    sequence = models.ForeignKey(
        Sequence,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rules",
        verbose_name=_("sequence"),
        help_text=_("Empty: every sequence."),
    )
    min_years_in_grade = models.PositiveSmallIntegerField(_("years in the grade"), default=2)
    min_result = models.CharField(
        _("lowest assessment result"),
        max_length=12,
        choices=AssessmentResult.choices,
        default=AssessmentResult.COMPETENT,
    )
    result_years = models.PositiveSmallIntegerField(
        _("years of results"), default=1, help_text=_("How many latest years must meet it.")
    )
    min_qualification = models.CharField(
        _("lowest qualification"),
        max_length=16,
        choices=Qualification.choices,
        default=Qualification.NONE,
    )
    steps = models.PositiveSmallIntegerField(_("grades up"), default=1)
    max_grade = models.PositiveSmallIntegerField(
        _("not above grade"), null=True, blank=True, help_text=_("Empty: the sequence's cap.")
    )

    objects = ScopedQuerySet.as_manager()
    scope_area_field = "ladder__city"
    scope_roles = CATALOGUE_SCOPE_ROLES

    class Meta:
        verbose_name = _("promotion rule")
        verbose_name_plural = _("promotion rules")
        ordering = ["ladder", "-steps", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(steps__gte=1, steps__lte=5),
                name="workforce_rule_steps",
                violation_error_message=_("A rule moves between 1 and 5 grades."),
            ),
        ]

    def __str__(self) -> str:
        return self.name
