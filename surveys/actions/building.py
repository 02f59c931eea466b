"""Staff build questionnaires: questions in order, rounds, named indices, kiosks."""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import Area
from grids.scope import may, scope_for
from portal.text import clean_text
from surveys.models import (
    INDEX_NAME_MAX,
    INTRO_MAX,
    OPTION_MAX,
    OPTIONS_MAX,
    QUESTION_MAX,
    TITLE_MAX,
    Audience,
    Index,
    IndexWeight,
    Kiosk,
    Question,
    QuestionKind,
    Questionnaire,
    Round,
)


def require_staff(actor, area: Area) -> None:
    """Staff whose scope covers the area; anyone else is told the thing does not exist."""
    scope = scope_for(actor)
    if not (scope.is_staff and may(actor, "change", Questionnaire) and scope.covers_area(area)):
        raise ValidationError({"area": _("No such area in your scope.")})


def _text(value, max_length: int, field: str, *, required: bool = True, multiline=False) -> str:
    return clean_text(
        value, field=field, max_length=max_length, multiline=multiline, required=required
    )


def create_questionnaire(
    actor,
    *,
    title: str,
    area: Area,
    audience: str = Audience.RESIDENTS,
    intro: str = "",
    per_household: bool = False,
    anonymous: bool = False,
    kiosk: bool = False,
) -> Questionnaire:
    """A new questionnaire for the people of `area` in `audience`, without questions yet."""
    require_staff(actor, area)
    if audience not in (
        Audience.RESIDENTS,
        Audience.HOUSEHOLDS,
        Audience.ELDERLY,
        Audience.PARTY_MEMBERS,
    ):
        raise ValidationError({"audience": _("Choose a group of residents.")})
    return Questionnaire.objects.create(
        title=_text(title, TITLE_MAX, "title"),
        intro=_text(intro, INTRO_MAX, "intro", required=False, multiline=True),
        area=area,
        audience=audience,
        per_household=per_household or audience == Audience.HOUSEHOLDS,
        anonymous=anonymous,
        kiosk=kiosk,
        created_by=actor,
    )


def _editable(questionnaire: Questionnaire) -> None:
    if Round.objects.filter(questionnaire=questionnaire, responses__isnull=False).exists():
        raise ValidationError(
            {"questions": _("People have answered already: the questions can no longer change.")}
        )


def add_question(
    questionnaire: Questionnaire,
    actor,
    *,
    kind: str,
    text: str,
    required: bool = True,
    options: list[str] | None = None,
    scale_min: int = 1,
    scale_max: int = 5,
) -> Question:
    """Add a question at the end. Choice questions need 2-12 distinct options; a scale runs
    upwards from 0 or more to 10 at most. Refused once anyone has answered."""
    require_staff(actor, questionnaire.area)
    if kind not in QuestionKind.values:
        raise ValidationError({"kind": _("Choose a kind of question.")})
    text = _text(text, QUESTION_MAX, "text")
    cleaned: list[str] = []
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        for option in options or []:
            option = _text(option, OPTION_MAX, "options", required=False)
            if option and option not in cleaned:
                cleaned.append(option)
        if not 2 <= len(cleaned) <= OPTIONS_MAX:
            raise ValidationError(
                {"options": _("A choice question needs 2 to %(n)s options.") % {"n": OPTIONS_MAX}}
            )
    if kind == QuestionKind.SCALE and not 0 <= scale_min < scale_max <= 10:
        raise ValidationError(
            {"scale_max": _("A scale runs upwards, from 0 or more to 10 at most.")}
        )
    with transaction.atomic():
        questionnaire = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
        _editable(questionnaire)
        last = questionnaire.questions.aggregate(m=Max("position"))["m"] or 0
        return Question.objects.create(
            questionnaire=questionnaire,
            position=last + 1,
            kind=kind,
            text=text,
            required=required,
            options=cleaned,
            scale_min=scale_min if kind == QuestionKind.SCALE else 1,
            scale_max=scale_max if kind == QuestionKind.SCALE else 5,
        )


def remove_question(question: Question, actor) -> None:
    """Remove a question (before anyone answered); the ones after it move up."""
    questionnaire = question.questionnaire
    require_staff(actor, questionnaire.area)
    with transaction.atomic():
        Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
        _editable(questionnaire)
        position = question.position
        question.delete()
        for q in questionnaire.questions.filter(position__gt=position).order_by("position"):
            q.position -= 1
            q.save(update_fields=["position", "updated_at"])


def move_question(question: Question, actor, *, up: bool) -> None:
    """Swap a question with its neighbour above (or below)."""
    questionnaire = question.questionnaire
    require_staff(actor, questionnaire.area)
    with transaction.atomic():
        Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
        qs = questionnaire.questions.all()
        other = (
            qs.filter(position__lt=question.position).order_by("-position").first()
            if up
            else qs.filter(position__gt=question.position).order_by("position").first()
        )
        if other is None:
            return
        a, b = question.position, other.position
        Question.objects.filter(pk=question.pk).update(position=30000)
        Question.objects.filter(pk=other.pk).update(position=a)
        Question.objects.filter(pk=question.pk).update(position=b)


def open_round(
    questionnaire: Questionnaire,
    actor,
    *,
    opens_at: datetime,
    closes_at: datetime,
    label: str = "",
) -> Round:
    """The next round of a questionnaire, from `opens_at` to `closes_at`."""
    require_staff(actor, questionnaire.area)
    if closes_at <= opens_at:
        raise ValidationError({"closes_at": _("A round closes after it opens.")})
    label = _text(label, 40, "label", required=False)
    try:
        with transaction.atomic():
            questionnaire = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
            if not questionnaire.questions.exists():
                raise ValidationError({"questions": _("Add a question first.")})
            last = questionnaire.rounds.aggregate(m=Max("number"))["m"] or 0
            return Round.objects.create(
                questionnaire=questionnaire,
                number=last + 1,
                opens_at=opens_at,
                closes_at=closes_at,
                label=label,
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"opens_at": _("Rounds of one questionnaire cannot overlap.")}
        ) from exc


def close_round(round: Round, actor, *, now: datetime | None = None) -> Round:
    """Close an open round now (early). A closed round stays closed."""
    now = now or timezone.now()
    require_staff(actor, round.questionnaire.area)
    with transaction.atomic():
        round = Round.objects.select_for_update().get(pk=round.pk)
        if not round.is_open(now):
            raise ValidationError({"round": _("This round is not open.")})
        round.closes_at = now
        round.save(update_fields=["closes_at", "updated_at"])
    return round


def define_index(
    questionnaire: Questionnaire, actor, *, name: str, weights: dict[int, object]
) -> Index:
    """Create or redefine the index `name` as the weighted mean of scale questions of this
    questionnaire (question id → weight > 0; a weight of 0 or empty leaves it out)."""
    require_staff(actor, questionnaire.area)
    name = _text(name, INDEX_NAME_MAX, "name")
    scale_ids = set(
        questionnaire.questions.filter(kind=QuestionKind.SCALE).values_list("pk", flat=True)
    )
    chosen: dict[int, Decimal] = {}
    for qid, raw in weights.items():
        if raw in (None, ""):
            continue
        try:
            weight = Decimal(str(raw))
        except InvalidOperation as exc:
            raise ValidationError({"weights": _("A weight is a number.")}) from exc
        if not weight.is_finite() or weight < 0 or weight >= 1000:
            raise ValidationError({"weights": _("A weight is a number from 0 to 999.")})
        if weight == 0:
            continue
        if int(qid) not in scale_ids:
            raise ValidationError(
                {"weights": _("An index is made of this questionnaire's scale questions.")}
            )
        chosen[int(qid)] = weight.quantize(Decimal("0.01"))
    if not chosen:
        raise ValidationError({"weights": _("Give at least one scale question a weight.")})
    with transaction.atomic():
        index, _created = Index.objects.get_or_create(questionnaire=questionnaire, name=name)
        index.weights.all().delete()
        IndexWeight.objects.bulk_create(
            IndexWeight(index=index, question_id=qid, weight=w) for qid, w in chosen.items()
        )
    return index


def create_kiosk(centre, actor, *, name: str) -> Kiosk:
    """A kiosk page for a centre's tablet, reached by a secret token."""
    require_staff(actor, centre.community)
    return Kiosk.objects.create(
        centre=centre, name=_text(name, 40, "name"), token=secrets.token_urlsafe(24)
    )
