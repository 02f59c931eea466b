"""Answering a round: on the phone (eligible residents, once per person or household), on
paper (keyed in by staff, with the form's number so it is keyed once), at a centre's kiosk
(no login, one answer per submission). Every answer is checked whole before anything is
written; a response and its participation land in one transaction or not at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from grids.models import Area, Household, PartyMember, Resident
from grids.scope import scope_for
from portal.text import clean_text
from surveys.actions.building import require_staff
from surveys.models import (
    ANSWER_TEXT_MAX,
    PAPER_NUMBER_MAX,
    Answer,
    Audience,
    Channel,
    Kind,
    Kiosk,
    Participation,
    Question,
    QuestionKind,
    Questionnaire,
    Response,
    Round,
)

ELDERLY_AGE = 60


@dataclass(frozen=True)
class Respondent:
    """Who answers on the phone: the participation key, and what the response may keep."""

    key: str
    household: Household | None
    area: Area


# --- checking answers -------------------------------------------------------------------------
def _field(question: Question) -> str:
    return f"q{question.pk}"


def _as_list(raw) -> list:
    if raw is None or raw == "":
        return []
    return list(raw) if isinstance(raw, (list, tuple)) else [raw]


def clean_answers(questions: list[Question], raw: dict) -> list[Answer]:
    """Unsaved answers for `raw` ({"q<id>" or id: value}); ValidationError naming each
    question that is wrong. An answer with nothing answered at all is refused."""
    errors: dict[str, list[str]] = {}
    answers: list[Answer] = []
    for question in questions:
        name = _field(question)
        value = raw.get(name, raw.get(question.pk, raw.get(str(question.pk))))
        answer = Answer(question=question)
        try:
            if question.kind == QuestionKind.TEXT:
                answer.text = clean_text(
                    value if value is not None else "",
                    field=name,
                    max_length=ANSWER_TEXT_MAX,
                    multiline=True,
                )
                given = bool(answer.text)
            elif question.kind == QuestionKind.SCALE:
                given = value not in (None, "")
                if given:
                    try:
                        number = int(str(value))
                    except (TypeError, ValueError):
                        raise ValidationError({name: _("Choose a score.")}) from None
                    if not question.scale_min <= number <= question.scale_max:
                        raise ValidationError(
                            {
                                name: _("Choose a score from %(a)s to %(b)s.")
                                % {"a": question.scale_min, "b": question.scale_max}
                            }
                        )
                    answer.number = number
            else:
                picked: list[int] = []
                for item in _as_list(value):
                    try:
                        index = int(str(item))
                    except (TypeError, ValueError):
                        raise ValidationError({name: _("Choose one of the options.")}) from None
                    if not 0 <= index < len(question.options):
                        raise ValidationError({name: _("Choose one of the options.")})
                    if index not in picked:
                        picked.append(index)
                if question.kind == QuestionKind.SINGLE and len(picked) > 1:
                    raise ValidationError({name: _("Choose only one option.")})
                answer.choices = sorted(picked)
                given = bool(picked)
            if not given and question.required:
                raise ValidationError({name: _("Please answer this question.")})
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
            continue
        if given:
            answers.append(answer)
    if errors:
        raise ValidationError(errors)
    if not answers:
        raise ValidationError({"__all__": _("The answer is empty: answer at least one question.")})
    return answers


def _check_open(round: Round, now: datetime) -> None:
    if now < round.opens_at:
        raise ValidationError(
            {
                "round": _("This survey opens on %(when)s.")
                % {"when": date_format(timezone.localtime(round.opens_at), "Y-m-d H:i")}
            }
        )
    if not round.is_open(now):
        raise ValidationError({"round": _("This survey has closed; answers are no longer taken.")})


# --- who may answer on the phone --------------------------------------------------------------
def _home(user) -> tuple[Resident | None, Household | None]:
    resident = (
        Resident.objects.filter(user=user).select_related("household__building").first()
        if user is not None and user.is_authenticated
        else None
    )
    if resident is not None:
        return resident, resident.household
    household_ids = scope_for(user).household_ids
    if household_ids:
        household = Household.objects.select_related("building").filter(pk=household_ids[0]).first()
        return None, household
    return None, None


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def eligibility(questionnaire: Questionnaire, user, *, today: date | None = None) -> Respondent:
    """Who this user answers as, or ValidationError saying why they may not answer."""
    today = today or timezone.localdate()
    if user is None or not user.is_authenticated:
        raise ValidationError({"user": _("Log in to answer this survey.")})
    if questionnaire.audience == Audience.STAFF:
        raise ValidationError({"user": _("This rating is given by community staff.")})
    resident, household = _home(user)
    if questionnaire.kind == Kind.ACTIVITY:
        from centres.models import SignUp

        came = SignUp.objects.filter(
            activity=questionnaire.activity, user=user, checked_in_at__isnull=False
        ).exists()
        if not came:
            raise ValidationError({"user": _("This survey is for those who came to the activity.")})
        area = household.building if household is not None else questionnaire.area
        return Respondent(key=f"u:{user.pk}", household=household, area=area)
    if household is None:
        raise ValidationError({"user": _("Register your household with your community first.")})
    building = household.building
    if not building.path.startswith(questionnaire.area.path):
        raise ValidationError(
            {
                "user": _("This survey is for residents of %(area)s.")
                % {"area": questionnaire.area.name}
            }
        )
    if questionnaire.audience == Audience.ELDERLY and (
        resident is None
        or resident.birth_date is None
        or _age(resident.birth_date, today) < ELDERLY_AGE
    ):
        raise ValidationError(
            {"user": _("This survey is for residents aged %(n)s and over.") % {"n": ELDERLY_AGE}}
        )
    if questionnaire.audience == Audience.PARTY_MEMBERS:
        member = Q(user=user) | (Q(resident=resident) if resident is not None else Q(pk__in=[]))
        if not PartyMember.objects.filter(member).exists():
            raise ValidationError({"user": _("This survey is for party members.")})
    if questionnaire.one_per_household:
        return Respondent(key=f"h:{household.pk}", household=household, area=building)
    return Respondent(key=f"u:{user.pk}", household=household, area=building)


def open_rounds_for(user, now: datetime | None = None) -> QuerySet[Round]:
    """Open rounds of general questionnaires covering where the user lives (the group is
    checked when they answer; the list says which they answered already)."""
    now = now or timezone.now()
    _resident, household = _home(user)
    if household is None:
        return Round.objects.none()
    path = household.building.path
    ancestors = [path[:i] for i in range(Area.steplen, len(path) + 1, Area.steplen)]
    return (
        Round.objects.filter(
            questionnaire__kind=Kind.GENERAL,
            questionnaire__area__path__in=ancestors,
            opens_at__lte=now,
        )
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
        .select_related("questionnaire", "questionnaire__area")
        .order_by("closes_at", "pk")
    )


# --- writing ----------------------------------------------------------------------------------
def _questions(round: Round) -> list[Question]:
    return list(round.questionnaire.questions.order_by("position"))


def _save(response: Response, answers: list[Answer]) -> Response:
    response.save()
    for answer in answers:
        answer.response = response
    Answer.objects.bulk_create(answers)
    return response


def submit_phone(round: Round, user, raw: dict, *, now: datetime | None = None) -> Response:
    """A resident answers on the phone: once per person (or household), database-enforced
    by the participation row written in the same transaction. On an anonymous questionnaire
    the response keeps neither the person nor the household."""
    now = now or timezone.now()
    questionnaire = round.questionnaire
    _check_open(round, now)
    respondent = eligibility(questionnaire, user, today=timezone.localdate(now))
    answers = clean_answers(_questions(round), raw)
    try:
        with transaction.atomic():
            Participation.objects.create(round=round, key=respondent.key, user=user, at=now)
            return _save(
                Response(
                    round=round,
                    channel=Channel.PHONE,
                    user=None if questionnaire.anonymous else user,
                    household=None if questionnaire.anonymous else respondent.household,
                    area=respondent.area,
                ),
                answers,
            )
    except IntegrityError as exc:
        if "surveys_participation_once" not in str(exc):
            raise
        if respondent.key.startswith("h:"):
            message = _("Your household has already answered this survey.")
        else:
            message = _("You have already answered this survey.")
        raise ValidationError({"round": message}) from exc


def submit_paper(
    round: Round,
    actor,
    raw: dict,
    *,
    area: Area,
    paper_number: str = "",
    now: datetime | None = None,
) -> Response:
    """Staff (or a grid worker) key in a paper form: marked as paper, with who keyed it and
    where it comes from; its number, when given, is keyed once per round."""
    now = now or timezone.now()
    questionnaire = round.questionnaire
    require_staff(actor, questionnaire.area)
    if questionnaire.kind == Kind.ORDER:
        raise ValidationError({"round": _("Co-building orders are rated when they close.")})
    if now < round.opens_at:
        _check_open(round, now)
    if not area.path.startswith(questionnaire.area.path) or not scope_for(actor).covers_area(area):
        raise ValidationError({"area": _("Choose an area inside the questionnaire's area.")})
    paper_number = clean_text(paper_number, field="paper_number", max_length=PAPER_NUMBER_MAX)
    answers = clean_answers(_questions(round), raw)
    try:
        with transaction.atomic():
            return _save(
                Response(
                    round=round,
                    channel=Channel.PAPER,
                    keyed_by=actor,
                    area=area,
                    paper_number=paper_number,
                ),
                answers,
            )
    except IntegrityError as exc:
        if "surveys_response_paper_number_once" not in str(exc):
            raise
        raise ValidationError(
            {"paper_number": _("This paper form has been keyed in already.")}
        ) from exc


def kiosk_rounds(kiosk: Kiosk, now: datetime | None = None) -> QuerySet[Round]:
    """The open rounds a kiosk offers: kiosk questionnaires covering its centre's community."""
    now = now or timezone.now()
    path = kiosk.centre.community.path
    ancestors = [path[:i] for i in range(Area.steplen, len(path) + 1, Area.steplen)]
    return (
        Round.objects.filter(
            questionnaire__kind=Kind.GENERAL,
            questionnaire__kiosk=True,
            questionnaire__area__path__in=ancestors,
            opens_at__lte=now,
        )
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))
        .select_related("questionnaire")
        .order_by("pk")
    )


def submit_kiosk(kiosk: Kiosk, round: Round, raw: dict, *, now: datetime | None = None) -> Response:
    """One answer at a centre's kiosk: no person, the centre's community as its area. The
    view limits how fast a kiosk may submit (portal.ratelimit)."""
    now = now or timezone.now()
    if not kiosk.is_active or not kiosk_rounds(kiosk, now).filter(pk=round.pk).exists():
        _check_open(round, now)
        raise ValidationError({"round": _("This survey is not offered at this kiosk.")})
    answers = clean_answers(_questions(round), raw)
    with transaction.atomic():
        return _save(
            Response(
                round=round, channel=Channel.KIOSK, centre=kiosk.centre, area=kiosk.centre.community
            ),
            answers,
        )
