"""Staff pages (/surveys/staff/): questionnaires of their scope (search, sort, empty state),
the builder (questions in order, rounds, indices), results with charts and per-area
breakdown, Excel, paper entry, the index trend and the kiosks. Out of scope is 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from centres.models import Centre
from grids.models import Area
from grids.scope import get_visible_or_404, scope_for
from portal.excel import xlsx_response
from portal.idempotency import idempotent
from surveys import actions, exports, results
from surveys.forms import (
    IndexForm,
    KioskForm,
    PaperForm,
    QuestionForm,
    QuestionnaireForm,
    RoundForm,
)
from surveys.models import Channel, Kind, Kiosk, QuestionKind, Questionnaire, Round
from surveys.views import question_rows, raw_answers

SORTS = {
    "new": "-created_at",
    "old": "created_at",
    "title": "title",
    "responses": "-responses",
}


def _staff(request) -> None:
    scope = scope_for(request.user)
    if not (scope.is_staff and scope.is_territorial):
        raise Http404


def _areas(request):
    """Areas a staff member may target: the subtrees of their scope, down to estates."""
    return Area.objects.visible_to(request.user).exclude(kind="building").order_by("path")


def _say(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _questionnaire(request, pk: int) -> Questionnaire:
    return get_visible_or_404(
        Questionnaire.objects.select_related("area").exclude(kind=Kind.ORDER), request.user, pk=pk
    )


def _round(request, pk: int) -> Round:
    return get_visible_or_404(
        Round.objects.select_related("questionnaire__area"), request.user, pk=pk
    )


@login_required
def questionnaires(request):
    _staff(request)
    q = (request.GET.get("q") or "").strip()[:50]
    sort = request.GET.get("sort") if request.GET.get("sort") in SORTS else "new"
    kind = request.GET.get("kind") if request.GET.get("kind") in Kind.values else Kind.GENERAL
    qs = (
        Questionnaire.objects.visible_to(request.user)
        .filter(kind=kind)
        .select_related("area")
        .annotate(
            responses=Count("rounds__responses", distinct=True),
            round_count=Count("rounds", distinct=True),
        )
    )
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(area__name__icontains=q))
    page = Paginator(qs.order_by(SORTS[sort], "-pk"), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "surveys/staff/list.html",
        {"page": page, "q": q, "sort": sort, "kind": kind, "kinds": Kind.choices, "sorts": SORTS},
    )


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def new(request):
    _staff(request)
    form = QuestionnaireForm(request.POST or None, areas=_areas(request))
    if request.method == "POST" and form.is_valid():
        try:
            questionnaire = actions.create_questionnaire(request.user, **form.cleaned_data)
        except ValidationError as exc:
            _put_back(form, exc)
        else:
            messages.success(request, _("The questionnaire is made. Now add its questions."))
            return redirect("surveys:staff-detail", pk=questionnaire.pk)
    return render(
        request, "surveys/staff/new.html", {"form": form}, status=400 if form.errors else 200
    )


def _put_back(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
def detail(request, pk: int):
    _staff(request)
    questionnaire = _questionnaire(request, pk)
    questions = list(questionnaire.questions.order_by("position"))
    rounds = list(questionnaire.rounds.annotate(answers=Count("responses")).order_by("number"))
    indices = list(questionnaire.indices.prefetch_related("weights__question"))
    for r in rounds:
        r.current = r.state()  # type: ignore[attr-defined]
    return render(
        request,
        "surveys/staff/detail.html",
        {
            "questionnaire": questionnaire,
            "questions": questions,
            "rounds": rounds,
            "indices": indices,
            "locked": any(r.answers for r in rounds),  # type: ignore[attr-defined]
            "question_form": QuestionForm(),
            "round_form": RoundForm(),
            "index_form": IndexForm(
                questions=[q for q in questions if q.kind == QuestionKind.SCALE]
            ),
        },
    )


def _back(questionnaire: Questionnaire, anchor: str = "") -> str:
    return reverse("surveys:staff-detail", args=[questionnaire.pk]) + anchor


@login_required
@require_POST
@idempotent
def add_question(request, pk: int):
    _staff(request)
    questionnaire = _questionnaire(request, pk)
    form = QuestionForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(
                    request, f"{form.fields[field].label if field in form.fields else ''} {error}"
                )
        return redirect(_back(questionnaire, "#questions"))
    d = form.cleaned_data
    try:
        actions.add_question(
            questionnaire,
            request.user,
            kind=d["kind"],
            text=d["text"],
            required=d["required"],
            options=d["options"].splitlines(),
            scale_min=d["scale_min"],
            scale_max=d["scale_max"],
        )
        messages.success(request, _("The question is added."))
    except ValidationError as exc:
        _say(request, exc)
    return redirect(_back(questionnaire, "#questions"))


@login_required
@require_POST
def question_step(request, pk: int, qid: int, step: str):
    _staff(request)
    questionnaire = _questionnaire(request, pk)
    question = questionnaire.questions.filter(pk=qid).first()
    if question is None or step not in ("up", "down", "remove"):
        raise Http404
    try:
        if step == "remove":
            actions.remove_question(question, request.user)
            messages.success(request, _("The question is removed."))
        else:
            actions.move_question(question, request.user, up=step == "up")
            messages.success(request, _("The question is moved."))
    except ValidationError as exc:
        _say(request, exc)
    return redirect(_back(questionnaire, "#questions"))


@login_required
@require_POST
@idempotent
def open_round(request, pk: int):
    _staff(request)
    questionnaire = _questionnaire(request, pk)
    form = RoundForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the dates the round opens and closes."))
        return redirect(_back(questionnaire, "#rounds"))
    try:
        actions.open_round(questionnaire, request.user, **form.cleaned_data)
        messages.success(request, _("The round is set."))
    except ValidationError as exc:
        _say(request, exc)
    return redirect(_back(questionnaire, "#rounds"))


@login_required
@require_POST
def close_round(request, pk: int):
    _staff(request)
    round = _round(request, pk)
    try:
        actions.close_round(round, request.user)
        messages.success(request, _("The round is closed: no more answers are taken."))
    except ValidationError as exc:
        _say(request, exc)
    return redirect(_back(round.questionnaire, "#rounds"))


@login_required
@require_POST
@idempotent
def define_index(request, pk: int):
    _staff(request)
    questionnaire = _questionnaire(request, pk)
    form = IndexForm(
        request.POST, questions=questionnaire.questions.filter(kind=QuestionKind.SCALE)
    )
    if not form.is_valid():
        messages.error(request, _("Give the index a name and its weights as numbers."))
        return redirect(_back(questionnaire, "#indices"))
    try:
        actions.define_index(
            questionnaire, request.user, name=form.cleaned_data["name"], weights=form.weights()
        )
        messages.success(request, _("The index is saved."))
    except ValidationError as exc:
        _say(request, exc)
    return redirect(_back(questionnaire, "#indices"))


@login_required
def round_results(request, pk: int):
    _staff(request)
    round = _round(request, pk)
    questionnaire = round.questionnaire
    area = questionnaire.area
    if request.GET.get("area"):
        area = (
            Area.objects.visible_to(request.user)
            .filter(pk=request.GET.get("area"), path__startswith=questionnaire.area.path)
            .first()
        )
        if area is None:
            raise Http404
    summary = results.summary(round)
    rows, scale_questions = results.by_area(round, area)
    index_names = list(questionnaire.indices.values_list("name", flat=True))
    chart = {
        "questions": [
            {
                "id": q["id"],
                "labels": [o["label"] for o in q.get("options", [])],
                "counts": [o["count"] for o in q.get("options", [])],
            }
            for q in summary["questions"]
            if q.get("options")
        ],
        "areas": {
            "labels": [r.area.name for r in rows],
            "series": [{"name": n, "values": [r.indices.get(n) for r in rows]} for n in index_names]
            or [{"name": str(_("Responses")), "values": [r.responses for r in rows]}],
        },
    }
    return render(
        request,
        "surveys/staff/results.html",
        {
            "round": round,
            "questionnaire": questionnaire,
            "summary": summary,
            "channels": [
                (label, summary["channels"][code])
                for code, label in Channel.choices
                if code in summary["channels"]
            ],
            "area": area,
            "rows": [
                {
                    "row": r,
                    "indices": [r.indices.get(n) for n in index_names],
                    "scores": [r.scores.get(q.pk) for q in scale_questions],
                }
                for r in rows
            ],
            "index_names": index_names,
            "scale_questions": scale_questions,
            "chart": chart,
        },
    )


@login_required
def round_export(request, pk: int):
    _staff(request)
    round = _round(request, pk)
    return xlsx_response(f"{round.questionnaire.title}-{round.name}", exports.round_workbook(round))


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def paper(request, pk: int):
    """Key in one paper form; the page comes back empty for the next one."""
    _staff(request)
    round = _round(request, pk)
    questionnaire = round.questionnaire
    questions = list(questionnaire.questions.order_by("position"))
    areas = _areas(request).filter(path__startswith=questionnaire.area.path)
    form = PaperForm(request.POST or None, areas=areas)
    raw: dict = {}
    errors: dict = {}
    if request.method == "POST":
        raw = raw_answers(request, questions)
        if form.is_valid():
            try:
                actions.submit_paper(
                    round,
                    request.user,
                    raw,
                    area=form.cleaned_data["area"],
                    paper_number=form.cleaned_data["paper_number"],
                )
            except ValidationError as exc:
                errors = exc.message_dict
                for key, problems in errors.items():
                    if not key.startswith("q"):
                        form.add_error(key if key in form.fields else None, problems)
            else:
                messages.success(request, _("The paper form is keyed in. Next form, please."))
                return redirect("surveys:staff-paper", pk=round.pk)
    return render(
        request,
        "surveys/staff/paper.html",
        {
            "round": round,
            "questionnaire": questionnaire,
            "form": form,
            "rows": question_rows(questions, raw, errors),
        },
        status=400 if errors or form.errors else 200,
    )


@login_required
def trend(request, pk: int):
    _staff(request)
    questionnaire = _questionnaire(request, pk)
    data = results.trend(questionnaire)
    return render(
        request,
        "surveys/staff/trend.html",
        {"questionnaire": questionnaire, "trend": data},
    )


@login_required
@require_http_methods(["GET", "POST"])
@idempotent
def kiosks(request):
    _staff(request)
    centres = Centre.objects.visible_to(request.user).order_by("name")
    form = KioskForm(request.POST or None, centres=centres)
    if request.method == "POST" and form.is_valid():
        try:
            kiosk = actions.create_kiosk(
                form.cleaned_data["centre"], request.user, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            _put_back(form, exc)
        else:
            messages.success(
                request,
                _("The kiosk is ready: open its address on the centre's tablet."),
            )
            return redirect(reverse("surveys:staff-kiosks") + f"#kiosk-{kiosk.pk}")
    rows = (
        Kiosk.objects.visible_to(request.user)
        .select_related("centre")
        .order_by("centre__name", "name")
    )
    return render(
        request,
        "surveys/staff/kiosks.html",
        {"form": form, "kiosks": rows},
        status=400 if form.errors else 200,
    )
