"""Reading results: per-question counts, per-area breakdowns, named indices and their trend
over rounds. Every function takes rows the caller already scoped (a round or questionnaire
the user sees); each runs a fixed number of queries whatever the number of answers."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr

from grids.models import Area
from surveys.models import Answer, Index, Question, QuestionKind, Questionnaire, Response, Round

TEXTS_SHOWN = 20

Stats = dict[int, tuple[int, int]]  # question id → (sum of scores, number of scores)


def question_score(question: Question, total: int, n: int) -> float | None:
    """A scale question's mean as 0-100: (mean - lowest) / (highest - lowest) × 100."""
    if not n:
        return None
    mean = total / n
    return (mean - question.scale_min) / (question.scale_max - question.scale_min) * 100


def index_value(
    weights: list[tuple[int, float]], questions: dict[int, Question], stats: Stats
) -> float | None:
    """The weighted mean of the questions' 0-100 scores; questions nobody scored are left
    out (with their weight). None when none was scored. Rounded to one decimal."""
    num = den = 0.0
    for qid, weight in weights:
        total, n = stats.get(qid, (0, 0))
        score = question_score(questions[qid], total, n)
        if score is None:
            continue
        num += weight * score
        den += weight
    return round(num / den, 1) if den else None


def _indices(questionnaire: Questionnaire) -> list[tuple[Index, list[tuple[int, float]]]]:
    indices = Index.objects.filter(questionnaire=questionnaire).prefetch_related("weights")
    return [(i, [(w.question_id, float(w.weight)) for w in i.weights.all()]) for i in indices]


def summary(rnd: Round) -> dict:
    """Counts for every question of a round (5 queries + one per free-text question)."""
    questions = list(rnd.questionnaire.questions.order_by("position"))
    answers = Answer.objects.filter(response__round=rnd)
    channels = dict(
        Response.objects.filter(round=rnd)
        .values("channel")
        .annotate(n=Count("pk"))
        .values_list("channel", "n")
    )
    answered = dict(
        answers.values("question_id").annotate(n=Count("pk")).values_list("question_id", "n")
    )
    scale_counts: dict[int, dict[int, int]] = defaultdict(dict)
    for qid, number, n in (
        answers.filter(number__isnull=False)
        .values("question_id", "number")
        .annotate(n=Count("pk"))
        .values_list("question_id", "number", "n")
    ):
        if number is not None:
            scale_counts[qid][number] = n
    choice_counts: dict[int, dict[int, int]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.question_id, c.choice, count(*) FROM surveys_answer a "
            "JOIN surveys_response r ON r.id = a.response_id "
            "CROSS JOIN LATERAL unnest(a.choices) AS c(choice) "
            "WHERE r.round_id = %s GROUP BY 1, 2",
            [rnd.pk],
        )
        for qid, choice, n in cursor.fetchall():
            choice_counts[qid][choice] = n
    rows = []
    for q in questions:
        n = answered.get(q.pk, 0)
        row: dict = {"id": q.pk, "position": q.position, "kind": q.kind, "text": q.text, "n": n}
        if q.is_choice:
            counts = choice_counts.get(q.pk, {})
            row["options"] = [
                {"label": label, "count": counts.get(i, 0), "share": _share(counts.get(i, 0), n)}
                for i, label in enumerate(q.options)
            ]
        elif q.kind == QuestionKind.SCALE:
            counts = scale_counts.get(q.pk, {})
            total = sum(v * c for v, c in counts.items())
            scored = sum(counts.values())
            row["options"] = [
                {"label": str(v), "count": counts.get(v, 0), "share": _share(counts.get(v, 0), n)}
                for v in q.scale_values()
            ]
            row["mean"] = round(total / scored, 2) if scored else None
            score = question_score(q, total, scored)
            row["score"] = round(score, 1) if score is not None else None
        else:
            row["texts"] = list(
                answers.filter(question=q)
                .exclude(text="")
                .order_by("-response__created_at")
                .values_list("text", flat=True)[:TEXTS_SHOWN]
            )
        rows.append(row)
    return {
        "responses": sum(channels.values()),
        "channels": channels,
        "questions": rows,
    }


def _share(count: int, n: int) -> float | None:
    return round(count / n, 4) if n else None


@dataclass
class AreaRow:
    area: Area
    responses: int
    scores: dict[int, float | None]
    indices: dict[str, float | None]


def _children(area: Area) -> list[Area]:
    return list(
        Area.objects.filter(path__startswith=area.path, depth=area.depth + 1).order_by("path")
    )


def by_area(round: Round, area: Area | None = None) -> tuple[list[AreaRow], list[Question]]:
    """The round's answers split over the areas one level under `area` (the questionnaire's
    area by default): responses, each scale question's 0-100 score, each index. 5 queries."""
    questionnaire = round.questionnaire
    area = area or questionnaire.area
    children = _children(area)
    questions = {
        q.pk: q
        for q in questionnaire.questions.filter(kind=QuestionKind.SCALE).order_by("position")
    }
    indices = _indices(questionnaire)
    if not children:
        return [], list(questions.values())
    width = len(area.path) + Area.steplen
    scoped = Q(response__round=round, response__area__path__startswith=area.path)
    stats: dict[str, Stats] = defaultdict(dict)
    for prefix, qid, total, n in (
        Answer.objects.filter(scoped, number__isnull=False, question__kind=QuestionKind.SCALE)
        .annotate(prefix=Substr("response__area__path", 1, width))
        .values("prefix", "question_id")
        .annotate(total=Sum("number"), n=Count("pk"))
        .values_list("prefix", "question_id", "total", "n")
    ):
        stats[prefix][qid] = (total, n)
    counts = dict(
        Response.objects.filter(round=round, area__path__startswith=area.path)
        .annotate(prefix=Substr("area__path", 1, width))
        .values("prefix")
        .annotate(n=Count("pk"))
        .values_list("prefix", "n")
    )
    rows = []
    for child in children:
        s = stats.get(child.path, {})
        rows.append(
            AreaRow(
                area=child,
                responses=counts.get(child.path, 0),
                scores={
                    qid: _round(question_score(q, *s.get(qid, (0, 0))))
                    for qid, q in questions.items()
                },
                indices={i.name: index_value(w, questions, s) for i, w in indices},
            )
        )
    return rows, list(questions.values())


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def trend(questionnaire: Questionnaire, area: Area | None = None) -> dict:
    """Each index in each round: for the whole area, and for each area one level under it.
    {"rounds": [...], "indices": [{"name", "overall": [v per round], "areas": [{"name",
    "values": [...]}]}]}. 4 queries."""
    area = area or questionnaire.area
    rounds = list(questionnaire.rounds.order_by("number"))
    questions = {q.pk: q for q in questionnaire.questions.filter(kind=QuestionKind.SCALE)}
    indices = _indices(questionnaire)
    children = _children(area)
    width = len(area.path) + Area.steplen
    overall: dict[int, Stats] = defaultdict(dict)
    per_area: dict[tuple[int, str], Stats] = defaultdict(dict)
    rows = (
        Answer.objects.filter(
            response__round__questionnaire=questionnaire,
            response__area__path__startswith=area.path,
            number__isnull=False,
            question__kind=QuestionKind.SCALE,
        )
        .annotate(prefix=Substr("response__area__path", 1, width))
        .values("response__round_id", "prefix", "question_id")
        .annotate(total=Sum("number"), n=Count("pk"))
        .values_list("response__round_id", "prefix", "question_id", "total", "n")
    )
    for round_id, prefix, qid, total, n in rows:
        per_area[(round_id, prefix)][qid] = (total, n)
        t, c = overall[round_id].get(qid, (0, 0))
        overall[round_id][qid] = (t + total, c + n)
    return {
        "rounds": [r.name for r in rounds],
        "indices": [
            {
                "name": index.name,
                "overall": [index_value(w, questions, overall.get(r.pk, {})) for r in rounds],
                "areas": [
                    {
                        "name": child.name,
                        "values": [
                            index_value(w, questions, per_area.get((r.pk, child.path), {}))
                            for r in rounds
                        ],
                    }
                    for child in children
                ],
            }
            for index, w in indices
        ],
    }
