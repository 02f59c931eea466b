"""Named indices (微指数, e.g. 安全 健康 便利 服务): a weighted mean of scale questions, each
scored 0-100 ((mean - lowest) / (highest - lowest) x 100). Computed per round and per area by
surveys.results; nothing is stored but the recipe."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grids.querysets import ScopedQuerySet
from portal.models import TimeStampedModel
from surveys.models.questionnaires import SURVEY_SCOPE_ROLES, Question, Questionnaire

INDEX_NAME_MAX = 40


class Index(TimeStampedModel):
    questionnaire = models.ForeignKey(
        Questionnaire,
        on_delete=models.CASCADE,
        related_name="indices",
        verbose_name=_("questionnaire"),
    )
    name = models.CharField(_("name"), max_length=INDEX_NAME_MAX)

    written_by = "surveys.actions"
    objects = ScopedQuerySet.as_manager()
    scope_area_field = "questionnaire__area"
    scope_roles = SURVEY_SCOPE_ROLES

    class Meta:
        verbose_name = _("index")
        verbose_name_plural = _("indices")
        ordering = ["questionnaire", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "name"],
                name="surveys_index_name",
                violation_error_message=_("This questionnaire already has an index of that name."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class IndexWeight(models.Model):
    index = models.ForeignKey(
        Index, on_delete=models.CASCADE, related_name="weights", verbose_name=_("index")
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="+", verbose_name=_("question")
    )
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2)

    written_by = "surveys.actions"

    class Meta:
        verbose_name = _("index weight")
        verbose_name_plural = _("index weights")
        constraints = [
            models.UniqueConstraint(
                fields=["index", "question"],
                name="surveys_index_weight_once",
                violation_error_message=_("A question counts once in an index."),
            ),
            models.CheckConstraint(
                condition=Q(weight__gt=0),
                name="surveys_index_weight_positive",
                violation_error_message=_("A weight is more than 0."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.index_id}/{self.question_id} × {self.weight}"


class Kiosk(TimeStampedModel):
    """A tablet at a centre: its page answers the centre's kiosk surveys without a login,
    reached by the secret token in its address."""

    centre = models.ForeignKey(
        "centres.Centre", on_delete=models.CASCADE, related_name="kiosks", verbose_name=_("centre")
    )
    name = models.CharField(_("name"), max_length=40)
    token = models.CharField(_("token"), max_length=64, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    written_by = "surveys.actions"
    objects = ScopedQuerySet.as_manager()
    scope_area_field = "centre__community"
    scope_centre_field = "centre"
    scope_roles = SURVEY_SCOPE_ROLES

    class Meta:
        verbose_name = _("kiosk")
        verbose_name_plural = _("kiosks")

    def __str__(self) -> str:
        return self.name
