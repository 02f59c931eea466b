"""Excel of a round: the raw answers (one row per response, one column per question; no
names — anonymous or not, a ledger needs none) and the summary, the per-area breakdown and
the indices, each on its own sheet."""

from __future__ import annotations

from django.utils.translation import gettext as _

from portal.excel import xlsx_bytes
from surveys import results
from surveys.models import Answer, QuestionKind, Response, Round


def round_workbook(round: Round) -> bytes:
    questions = list(round.questionnaire.questions.order_by("position"))
    answers: dict[int, dict[int, Answer]] = {}
    for a in Answer.objects.filter(response__round=round).only(
        "response_id", "question_id", "choices", "number", "text"
    ):
        answers.setdefault(a.response_id, {})[a.question_id] = a

    def shown(q, a: Answer | None):
        if a is None:
            return None
        if q.kind == QuestionKind.SCALE:
            return a.number
        if q.kind == QuestionKind.TEXT:
            return a.text
        return "；".join(q.options[i] for i in a.choices if i < len(q.options))

    responses = (
        Response.objects.filter(round=round)
        .select_related("area", "keyed_by", "centre")
        .order_by("created_at", "pk")
    )
    raw_rows = (
        [
            r.pk,
            r.created_at,
            r.get_channel_display(),
            r.area.name,
            r.paper_number,
            str(r.keyed_by) if r.keyed_by else "",
            r.centre.name if r.centre else "",
            *[shown(q, answers.get(r.pk, {}).get(q.pk)) for q in questions],
        ]
        for r in responses.iterator(chunk_size=2000)
    )
    raw_header = [
        _("No."),
        _("Answered at"),
        _("Channel"),
        _("Area"),
        _("Paper form number"),
        _("Keyed in by"),
        _("Kiosk centre"),
        *[f"{q.position}. {q.text}" for q in questions],
    ]
    summary = results.summary(round)
    summary_rows: list[list] = []
    for q in summary["questions"]:
        summary_rows.extend(
            [q["position"], q["text"], o["label"], o["count"], o["share"]]
            for o in q.get("options", [])
        )
        if q["kind"] == QuestionKind.SCALE:
            summary_rows.append([q["position"], q["text"], _("Mean"), q["mean"], q["score"]])
        if q["kind"] == QuestionKind.TEXT:
            summary_rows.append([q["position"], q["text"], _("Answered"), q["n"], None])
    areas, scale_questions = results.by_area(round)
    index_names = [i.name for i in round.questionnaire.indices.all()]
    area_rows = [
        [
            row.area.name,
            row.responses,
            *[row.indices.get(n) for n in index_names],
            *[row.scores.get(q.pk) for q in scale_questions],
        ]
        for row in areas
    ]
    return xlsx_bytes(
        [
            (_("Responses"), raw_header, raw_rows),
            (
                _("Summary"),
                [_("No."), _("Question"), _("Option"), _("Count"), _("Share")],
                summary_rows,
            ),
            (
                _("By area"),
                [
                    _("Area"),
                    _("Responses"),
                    *index_names,
                    *[f"{q.position}. {q.text}" for q in scale_questions],
                ],
                area_rows,
            ),
        ]
    )
