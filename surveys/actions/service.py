"""After-service surveys on the same engine: the follow-up survey of an activity (a built-in
questionnaire per activity, answered by those who came) and the community's rating of a
co-building order when it closes (one built-in questionnaire per community, one open-ended
round, one response per order — the participation "o:<order>" and a unique constraint)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.models import (
    Answer,
    Audience,
    Channel,
    Kind,
    Participation,
    Question,
    QuestionKind,
    Questionnaire,
    Response,
    Round,
)

FOLLOW_UP_OPEN = timedelta(days=30)
# The built-in questions' words, kept here so the data migration and the code agree.
ACTIVITY_SCORE_TEXT = "您对本次活动满意吗？"
ORDER_SCORE_TEXT = "满意度（1-5分）"
ORDER_TITLE = "共建单位服务满意度"


def activity_questionnaire(activity, *, now: datetime | None = None) -> Round:
    """The follow-up survey of an activity: a 1-5 satisfaction score, and the activity's own
    follow-up question as free text. Made once; its one round opens now for 30 days."""
    now = now or timezone.now()
    with transaction.atomic():
        questionnaire, created = Questionnaire.objects.get_or_create(
            activity=activity,
            defaults={
                "kind": Kind.ACTIVITY,
                "title": _("Follow-up: %(title)s") % {"title": activity.title},
                "area": activity.centre.community,
                "audience": Audience.ATTENDEES,
            },
        )
        if created:
            Question.objects.create(
                questionnaire=questionnaire,
                position=1,
                kind=QuestionKind.SCALE,
                text=ACTIVITY_SCORE_TEXT,
                required=True,
            )
            if activity.survey_question:
                Question.objects.create(
                    questionnaire=questionnaire,
                    position=2,
                    kind=QuestionKind.TEXT,
                    text=activity.survey_question,
                    required=False,
                )
            return Round.objects.create(
                questionnaire=questionnaire, number=1, opens_at=now, closes_at=now + FOLLOW_UP_OPEN
            )
        return questionnaire.rounds.order_by("-number").first()  # type: ignore[return-value]


def order_round(community, *, now: datetime | None = None) -> Round:
    """The community's built-in rating of co-building orders (made on first use)."""
    now = now or timezone.now()
    questionnaire, created = Questionnaire.objects.get_or_create(
        kind=Kind.ORDER,
        area=community,
        defaults={"title": ORDER_TITLE, "audience": Audience.STAFF},
    )
    if created:
        Question.objects.create(
            questionnaire=questionnaire,
            position=1,
            kind=QuestionKind.SCALE,
            text=ORDER_SCORE_TEXT,
            required=True,
        )
        return Round.objects.create(questionnaire=questionnaire, number=1, opens_at=now)
    return questionnaire.rounds.order_by("number").first()  # type: ignore[return-value]


def rate_order(order, *, actor, score: int, now: datetime | None = None) -> Response:
    """The community's 1-5 satisfaction with a unit's order, once per order. Called by
    centres.actions.complete_order inside its transaction (which checked the actor)."""
    now = now or timezone.now()
    if not 1 <= int(score) <= 5:
        raise ValidationError({"satisfaction": _("Satisfaction runs from 1 to 5.")})
    community = order.item.centre.community
    try:
        with transaction.atomic():
            round = order_round(community, now=now)
            question = round.questionnaire.questions.get(position=1)
            Participation.objects.create(round=round, key=f"o:{order.pk}", user=actor, at=now)
            response = Response.objects.create(
                round=round, channel=Channel.STAFF, keyed_by=actor, area=community, order=order
            )
            Answer.objects.create(response=response, question=question, number=int(score))
            return response
    except IntegrityError as exc:
        raise ValidationError({"satisfaction": _("This order has been rated already.")}) from exc


def order_scores(order_ids) -> dict[int, int]:
    """Order id → its satisfaction score, for lists (one query)."""
    rows = Answer.objects.filter(
        response__order_id__in=list(order_ids), response__channel=Channel.STAFF
    ).values_list("response__order_id", "number")
    return {order_id: number for order_id, number in rows if number is not None}


def mean_order_score(orders) -> float | None:
    return Answer.objects.filter(response__order__in=orders).aggregate(m=Avg("number"))["m"]


def with_scores(orders):
    """Orders annotated with `satisfaction`: the community's rating, or None (one subquery)."""
    from django.db.models import OuterRef, Subquery

    return orders.annotate(
        satisfaction=Subquery(
            Answer.objects.filter(response__order=OuterRef("pk")).values("number")[:1]
        )
    )
