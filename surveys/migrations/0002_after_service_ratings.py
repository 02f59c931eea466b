"""After-service ratings move into the surveys engine.

- Every co-building order's satisfaction score (centres.Order.satisfaction, dropped by centres
  0009 right after this) becomes a response to its community's built-in rating questionnaire,
  with the participation "o:<order>" that keeps it once per order.
- Every activity whose follow-up survey was already sent gets its built-in questionnaire and a
  round open for 30 days from the migration, so those invited can answer (the old survey
  stored no answers: there are none to copy).

Reversible: going back copies the scores onto the orders again."""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

ORDER_TITLE = "共建单位服务满意度"
ORDER_SCORE_TEXT = "满意度（1-5分）"
ACTIVITY_SCORE_TEXT = "您对本次活动满意吗？"


def forwards(apps, schema_editor):
    Order = apps.get_model("centres", "Order")
    Activity = apps.get_model("centres", "Activity")
    SignUp = apps.get_model("centres", "SignUp")
    Questionnaire = apps.get_model("surveys", "Questionnaire")
    Question = apps.get_model("surveys", "Question")
    Round = apps.get_model("surveys", "Round")
    Response = apps.get_model("surveys", "Response")
    Participation = apps.get_model("surveys", "Participation")
    Answer = apps.get_model("surveys", "Answer")
    now = timezone.now()

    rounds = {}
    orders = (
        Order.objects.filter(satisfaction__isnull=False)
        .select_related("item__centre")
        .order_by("pk")
    )
    for order in orders.iterator():
        if Response.objects.filter(order_id=order.pk).exists():
            continue  # moved already (a migration run forwards again after going back)
        community_id = order.item.centre.community_id
        if community_id not in rounds:
            questionnaire, _ = Questionnaire.objects.get_or_create(
                kind="order",
                area_id=community_id,
                defaults={"title": ORDER_TITLE, "audience": "staff"},
            )
            question, _ = Question.objects.get_or_create(
                questionnaire=questionnaire,
                position=1,
                defaults={"kind": "scale", "text": ORDER_SCORE_TEXT, "required": True},
            )
            round_ = Round.objects.filter(questionnaire=questionnaire).order_by("number").first()
            if round_ is None:
                first = order.completed_at or order.created_at
                round_ = Round.objects.create(
                    questionnaire=questionnaire, number=1, opens_at=min(first, now)
                )
            rounds[community_id] = (round_, question)
        round_, question = rounds[community_id]
        at = order.completed_at or order.updated_at
        if round_.opens_at > at:
            Round.objects.filter(pk=round_.pk).update(opens_at=at)
        Participation.objects.create(round=round_, key=f"o:{order.pk}", at=at)
        response = Response.objects.create(
            round=round_, channel="staff", area_id=community_id, order=order
        )
        Answer.objects.create(response=response, question=question, number=order.satisfaction)

    sent = SignUp.objects.filter(survey_sent_at__isnull=False).values("activity_id")
    for activity in Activity.objects.filter(pk__in=sent).select_related("centre"):
        if Questionnaire.objects.filter(activity=activity).exists():
            continue
        questionnaire = Questionnaire.objects.create(
            kind="activity",
            activity=activity,
            title=f"活动反馈：{activity.title}"[:100],
            area_id=activity.centre.community_id,
            audience="attendees",
        )
        Question.objects.create(
            questionnaire=questionnaire, position=1, kind="scale", text=ACTIVITY_SCORE_TEXT
        )
        if activity.survey_question:
            Question.objects.create(
                questionnaire=questionnaire,
                position=2,
                kind="text",
                text=activity.survey_question,
                required=False,
            )
        Round.objects.create(
            questionnaire=questionnaire, number=1, opens_at=now, closes_at=now + timedelta(days=30)
        )


def backwards(apps, schema_editor):
    Order = apps.get_model("centres", "Order")
    Answer = apps.get_model("surveys", "Answer")
    for answer in Answer.objects.filter(response__order__isnull=False).select_related("response"):
        Order.objects.filter(pk=answer.response.order_id).update(satisfaction=answer.number)


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0001_initial"),
        ("centres", "0008_notices_into_notifications"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
