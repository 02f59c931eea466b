"""What people answered. A Response holds the answers; a Participation records that someone
(a person, a household, or a rated order) has answered a round. The two are written in one
transaction, and the participation's unique constraint is what makes a second answer
impossible, even where the response itself carries no name (anonymous questionnaires)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel
from surveys.models.questionnaires import (
    ANSWER_TEXT_MAX,
    PAPER_NUMBER_MAX,
    SURVEY_SCOPE_ROLES,
    Question,
    Round,
)

models.CharField.register_lookup(Length)
models.TextField.register_lookup(Length)


class Channel(models.TextChoices):
    PHONE = "phone", _("on the phone")
    PAPER = "paper", _("on paper (keyed in)")
    KIOSK = "kiosk", _("at the centre's kiosk")
    STAFF = "staff", _("by staff (service rating)")


class Response(TimeStampedModel):
    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="responses", verbose_name=_("round")
    )
    channel = models.CharField(_("answered via"), max_length=8, choices=Channel.choices)
    # Who answered: empty on anonymous questionnaires, paper forms and the kiosk.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
        verbose_name=_("respondent"),
    )
    household = models.ForeignKey(
        "grids.Household",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
        verbose_name=_("household"),
    )
    # Where the answer comes from, for the per-area breakdown: the respondent's building, the
    # area written on a paper form, or the kiosk centre's community.
    area = models.ForeignKey(
        "grids.Area",
        on_delete=models.PROTECT,
        related_name="survey_responses",
        verbose_name=_("area"),
    )
    keyed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("keyed in by"),
    )
    paper_number = models.CharField(_("paper form number"), max_length=PAPER_NUMBER_MAX, blank=True)
    centre = models.ForeignKey(
        "centres.Centre",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kiosk centre"),
    )
    order = models.ForeignKey(
        "centres.Order",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="ratings",
        verbose_name=_("co-building order"),
    )

    written_by = "surveys.actions"
    objects = ScopedQuerySet.as_manager()
    scope_area_field = "round__questionnaire__area"
    scope_roles = SURVEY_SCOPE_ROLES

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["round", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(channel="paper") | Q(keyed_by__isnull=False),
                name="surveys_response_paper_keyed_by",
                violation_error_message=_("A paper form says who keyed it in."),
            ),
            models.UniqueConstraint(
                fields=["round", "paper_number"],
                condition=~Q(paper_number=""),
                name="surveys_response_paper_number_once",
                violation_error_message=_("This paper form has been keyed in already."),
            ),
            models.UniqueConstraint(
                fields=["round", "order"],
                condition=Q(order__isnull=False),
                name="surveys_response_order_once",
                violation_error_message=_("This order has been rated already."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} #{self.pk}"


class Participation(models.Model):
    """That someone answered a round: "u:<user>" for a person, "h:<household>" for a
    household, "o:<order>" for a rated order. Never linked to the response it goes with."""

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="participations", verbose_name=_("round")
    )
    key = models.CharField(_("who"), max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_participations",
        verbose_name=_("answered by"),
    )
    at = models.DateTimeField(_("answered at"))

    written_by = "surveys.actions"

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(
                fields=["round", "key"],
                name="surveys_participation_once",
                violation_error_message=_("You have already answered this survey."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.round_id} {self.key}"


class Answer(models.Model):
    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="answers", verbose_name=_("response")
    )
    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, related_name="answers", verbose_name=_("question")
    )
    choices = ArrayField(models.PositiveSmallIntegerField(), default=list, blank=True)
    number = models.SmallIntegerField(_("score"), null=True, blank=True)
    text = models.TextField(_("text"), blank=True)

    written_by = "surveys.actions"

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question"],
                name="surveys_answer_once_per_question",
                violation_error_message=_("A question is answered once per response."),
            ),
            models.CheckConstraint(
                condition=Q(text__length__lte=ANSWER_TEXT_MAX),
                name="surveys_answer_text_max",
                violation_error_message=_("The answer is too long."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.response_id}/{self.question_id}"
