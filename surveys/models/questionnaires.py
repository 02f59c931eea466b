"""Questionnaires, their questions and their rounds (one run of a questionnaire).

A questionnaire targets an area (everything under it) and a group of people; it is answered
in rounds, and named indices (微指数) are weighted means of its scale questions, so the same
index can be compared round after round and area by area."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateTimeRangeField, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models.roles import TERRITORIAL_ROLES
from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel

TITLE_MAX = 100
INTRO_MAX = 1000
QUESTION_MAX = 200
OPTION_MAX = 100
OPTIONS_MAX = 12
ANSWER_TEXT_MAX = 1000  # a free-text answer
PAPER_NUMBER_MAX = 20

# Who may build and read questionnaires: territorial staff (grid workers key paper forms and
# read results of their grid, community staff and above build). Residents answer through
# surveys.actions, never through the scoped querysets.
SURVEY_SCOPE_ROLES: dict[str, frozenset[str]] = {
    "view": frozenset(TERRITORIAL_ROLES),
    "add": frozenset(TERRITORIAL_ROLES),
    "change": frozenset(TERRITORIAL_ROLES),
    "delete": frozenset(),
}


class Audience(models.TextChoices):
    RESIDENTS = "residents", _("all residents")
    HOUSEHOLDS = "households", _("households (one answer each)")
    ELDERLY = "elderly", _("the elderly (60 and over)")
    PARTY_MEMBERS = "party_members", _("party members")
    ATTENDEES = "attendees", _("those who came to the activity")
    STAFF = "staff", _("community staff (rating a service)")


class Kind(models.TextChoices):
    GENERAL = "general", _("survey")
    ACTIVITY = "activity", _("after an activity")
    ORDER = "order", _("after a co-building order")


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("single choice")
    MULTIPLE = "multiple", _("multiple choice")
    SCALE = "scale", _("scale")
    TEXT = "text", _("free text")


class Questionnaire(TimeStampedModel):
    """A questionnaire for the people of one area. Built-in ones (after an activity, after a
    co-building order) are made by the operations that need them, not by staff."""

    title = models.CharField(_("title"), max_length=TITLE_MAX)
    intro = models.TextField(_("introduction"), max_length=INTRO_MAX, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.GENERAL)
    area = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        related_name="questionnaires",
        verbose_name=_("area"),
        help_text=_("Everyone under this area who is in the group may answer."),
    )
    audience = models.CharField(
        _("group"), max_length=16, choices=Audience.choices, default=Audience.RESIDENTS
    )
    per_household = models.BooleanField(
        _("one answer per household"),
        default=False,
        help_text=_("Otherwise one answer per person."),
    )
    anonymous = models.BooleanField(
        _("anonymous"),
        default=False,
        help_text=_("Answers are kept without the name; only the fact of answering is kept."),
    )
    kiosk = models.BooleanField(_("answerable at the centre's kiosk"), default=False)
    activity = models.OneToOneField(
        "centres.Activity",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="questionnaire",
        verbose_name=_("activity"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    written_by = "surveys.actions"
    objects = ScopedQuerySet.as_manager()
    scope_area_field = "area"
    scope_roles = SURVEY_SCOPE_ROLES

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="activity", activity__isnull=False)
                | Q(~Q(kind="activity"), activity__isnull=True),
                name="surveys_questionnaire_activity_kind",
                violation_error_message=_("Only an after-activity survey names an activity."),
            ),
            models.UniqueConstraint(
                fields=["area"],
                condition=Q(kind="order"),
                name="surveys_one_order_questionnaire_per_area",
                violation_error_message=_("This area already has its co-building rating."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def one_per_household(self) -> bool:
        return self.per_household or self.audience == Audience.HOUSEHOLDS


class Question(TimeStampedModel):
    questionnaire = models.ForeignKey(
        Questionnaire,
        on_delete=models.CASCADE,
        related_name="questions",
        verbose_name=_("questionnaire"),
    )
    position = models.PositiveSmallIntegerField(_("order"))
    kind = models.CharField(_("kind"), max_length=10, choices=QuestionKind.choices)
    text = models.CharField(_("question"), max_length=QUESTION_MAX)
    required = models.BooleanField(_("required"), default=True)
    options = ArrayField(
        models.CharField(max_length=OPTION_MAX),
        size=OPTIONS_MAX,
        default=list,
        blank=True,
        verbose_name=_("options"),
    )
    scale_min = models.SmallIntegerField(_("scale from"), default=1)
    scale_max = models.SmallIntegerField(_("scale to"), default=5)

    written_by = "surveys.actions"
    objects = ScopedQuerySet.as_manager()
    scope_area_field = "questionnaire__area"
    scope_roles = SURVEY_SCOPE_ROLES

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["questionnaire", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "position"],
                name="surveys_question_position",
                violation_error_message=_("Another question has this place."),
            ),
            models.CheckConstraint(
                condition=Q(scale_max__gt=F("scale_min"), scale_max__lte=10, scale_min__gte=0),
                name="surveys_question_scale",
                violation_error_message=_("A scale runs upwards, from 0 or more to 10 at most."),
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["single", "multiple"]) | Q(options__len__gte=2),
                name="surveys_question_choice_options",
                violation_error_message=_("A choice question needs at least two options."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"

    @property
    def is_choice(self) -> bool:
        return self.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE)

    def scale_values(self) -> list[int]:
        return list(range(self.scale_min, self.scale_max + 1))


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class Round(TimeStampedModel):
    """One run of a questionnaire, open from `opens_at` until `closes_at` (or for good, for
    the built-in ratings). Rounds of a questionnaire never overlap (database-enforced)."""

    questionnaire = models.ForeignKey(
        Questionnaire,
        on_delete=models.CASCADE,
        related_name="rounds",
        verbose_name=_("questionnaire"),
    )
    number = models.PositiveSmallIntegerField(_("round"))
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    label = models.CharField(_("label"), max_length=40, blank=True)

    written_by = "surveys.actions"
    objects = ScopedQuerySet.as_manager()
    scope_area_field = "questionnaire__area"
    scope_roles = SURVEY_SCOPE_ROLES

    class Meta:
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        ordering = ["questionnaire", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "number"],
                name="surveys_round_number",
                violation_error_message=_(
                    "This questionnaire already has a round with that number."
                ),
            ),
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True) | Q(closes_at__gt=F("opens_at")),
                name="surveys_round_closes_after_opening",
                violation_error_message=_("A round closes after it opens."),
            ),
            ExclusionConstraint(
                name="surveys_round_no_overlap",
                index_type="gist",
                expressions=[
                    (F("questionnaire"), RangeOperators.EQUAL),
                    (TsTzRange("opens_at", "closes_at"), RangeOperators.OVERLAPS),
                ],
                violation_error_message=_("Rounds of one questionnaire cannot overlap."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire} · {self.name}"

    @property
    def name(self) -> str:
        return self.label or str(_("round %(n)s") % {"n": self.number})

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now and (self.closes_at is None or now < self.closes_at)

    def state(self, now=None) -> str:
        now = now or timezone.now()
        if now < self.opens_at:
            return "upcoming"
        return "open" if self.is_open(now) else "closed"
