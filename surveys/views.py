"""Residents' phone pages (/surveys/): the surveys open to me, and answering one. And the
centre's kiosk (/surveys/kiosk/<token>/): no login, one answer per submission, rate-limited."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal import ratelimit
from portal.idempotency import idempotent
from surveys import actions
from surveys.actions.answering import kiosk_rounds
from surveys.models import Kind, Kiosk, Participation, QuestionKind, Round

KIOSK_PER_MINUTE = (6, 60)  # a kiosk takes at most 6 answers a minute...
KIOSK_PER_HOUR = (120, 3600)  # ...and 120 an hour


def raw_answers(request, questions) -> dict:
    """The posted answers as clean_answers reads them: lists for multiple choice."""
    raw: dict = {}
    for q in questions:
        name = f"q{q.pk}"
        raw[name] = (
            request.POST.getlist(name)
            if q.kind == QuestionKind.MULTIPLE
            else request.POST.get(name)
        )
    return raw


def question_rows(questions, raw: dict, errors: dict) -> list[dict]:
    """What the answer template needs per question: the question, what was given, its error."""
    rows = []
    for q in questions:
        given = raw.get(f"q{q.pk}")
        picked = {str(v) for v in given} if isinstance(given, list) else {str(given or "")}
        options = (
            [(str(i), label) for i, label in enumerate(q.options)]
            if q.is_choice
            else [(str(v), str(v)) for v in q.scale_values()]
            if q.kind == QuestionKind.SCALE
            else []
        )
        rows.append(
            {
                "q": q,
                "name": f"q{q.pk}",
                "options": [(v, label, v in picked) for v, label in options],
                "text": given if q.kind == QuestionKind.TEXT and isinstance(given, str) else "",
                "errors": errors.get(f"q{q.pk}", []),
            }
        )
    return rows


def _my_keys(request) -> list[str]:
    from grids.scope import scope_for

    keys = [f"u:{request.user.pk}"]
    keys += [f"h:{h}" for h in scope_for(request.user).household_ids]
    resident = getattr(request.user, "resident", None)
    if resident is not None:
        keys.append(f"h:{resident.household_id}")
    return keys


@login_required
def home(request):
    """The surveys open where I live, and after-activity surveys of activities I came to;
    each says whether I (or my household) answered it."""
    now = timezone.now()
    rounds = list(actions.open_rounds_for(request.user, now))
    from centres.models import SignUp

    came = SignUp.objects.filter(user=request.user, checked_in_at__isnull=False).values(
        "activity_id"
    )
    rounds += list(
        Round.objects.filter(
            questionnaire__kind=Kind.ACTIVITY,
            questionnaire__activity__in=came,
            opens_at__lte=now,
            closes_at__gt=now,
        ).select_related("questionnaire")
    )
    answered = set(
        Participation.objects.filter(
            round__in=[r.pk for r in rounds], key__in=_my_keys(request)
        ).values_list("round_id", flat=True)
    )
    for r in rounds:
        r.answered = r.pk in answered
    return render(request, "surveys/home.html", {"rounds": rounds})


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def answer(request, pk: int):
    """One survey on the phone. Who may answer, and whether they did, is said on the page;
    a refused answer comes back with each question's message and nothing is counted."""
    round = get_object_or_404(
        Round.objects.select_related("questionnaire__area", "questionnaire__activity").exclude(
            questionnaire__kind=Kind.ORDER
        ),
        pk=pk,
    )
    questions = list(round.questionnaire.questions.order_by("position"))
    raw: dict = {}
    errors: dict = {}
    problem = None
    answered = Participation.objects.filter(round=round, key__in=_my_keys(request)).exists()
    try:
        actions.eligibility(round.questionnaire, request.user)
    except ValidationError as exc:
        problem = " ".join(exc.messages)
    if request.method == "POST":
        raw = raw_answers(request, questions)
        try:
            actions.submit_phone(round, request.user, raw)
        except ValidationError as exc:
            errors = exc.message_dict
            for key in ("round", "user", "__all__"):
                for message in errors.get(key, []):
                    messages.error(request, message)
            if not any(k.startswith("q") for k in errors) and not errors.get("__all__"):
                return redirect("surveys:answer", pk=round.pk)
        else:
            messages.success(request, _("Thank you! Your answer has been counted."))
            return redirect("surveys:home")
    state = round.state()
    return render(
        request,
        "surveys/answer.html",
        {
            "round": round,
            "questionnaire": round.questionnaire,
            "rows": question_rows(questions, raw, errors),
            "problem": problem,
            "answered": answered,
            "state": state,
            "can_answer": problem is None and not answered and state == "open",
        },
        status=400 if errors else 200,
    )


def _kiosk(token: str) -> Kiosk:
    kiosk = Kiosk.objects.select_related("centre__community").filter(token=token).first()
    if kiosk is None or not kiosk.is_active:
        raise Http404
    return kiosk


def kiosk_home(request, token: str):
    """The kiosk's start page: the surveys offered at this centre today."""
    kiosk = _kiosk(token)
    return render(
        request,
        "surveys/kiosk_home.html",
        {"kiosk": kiosk, "rounds": list(kiosk_rounds(kiosk)), "token": token},
    )


@require_http_methods(["GET", "POST"])
def kiosk_answer(request, token: str, pk: int):
    """One answer at the kiosk; the page then goes back to the start for the next person."""
    kiosk = _kiosk(token)
    round = get_object_or_404(kiosk_rounds(kiosk), pk=pk)
    questions = list(round.questionnaire.questions.order_by("position"))
    raw: dict = {}
    errors: dict = {}
    if request.method == "POST":
        raw = raw_answers(request, questions)
        ip = ratelimit.client_ip(request)
        if not (
            ratelimit.hit(f"kiosk-min:{kiosk.pk}:{ip}", *KIOSK_PER_MINUTE)
            and ratelimit.hit(f"kiosk-hour:{kiosk.pk}", *KIOSK_PER_HOUR)
        ):
            messages.error(request, _("Too many answers in a short time. Please wait a minute."))
            errors = {"__all__": ["rate"]}
        else:
            try:
                actions.submit_kiosk(kiosk, round, raw)
            except ValidationError as exc:
                errors = exc.message_dict
                for key in ("round", "__all__"):
                    for message in errors.get(key, []):
                        messages.error(request, message)
            else:
                messages.success(
                    request, _("Thank you! Your answer has been counted. Next, please.")
                )
                return redirect("surveys:kiosk", token=token)
    return render(
        request,
        "surveys/kiosk_answer.html",
        {
            "kiosk": kiosk,
            "round": round,
            "questionnaire": round.questionnaire,
            "rows": question_rows(questions, raw, errors),
            "token": token,
        },
        status=429 if errors.get("__all__") == ["rate"] else 400 if errors else 200,
    )
