"""Domain operations of surveys: the only code that writes its rows (views, API, tasks and the
centres operations that rate a service call these)."""

from surveys.actions.answering import (
    clean_answers,
    eligibility,
    open_rounds_for,
    submit_kiosk,
    submit_paper,
    submit_phone,
)
from surveys.actions.building import (
    add_question,
    close_round,
    create_kiosk,
    create_questionnaire,
    define_index,
    move_question,
    open_round,
    remove_question,
)
from surveys.actions.service import activity_questionnaire, order_scores, rate_order

__all__ = [
    "activity_questionnaire",
    "add_question",
    "clean_answers",
    "close_round",
    "create_kiosk",
    "create_questionnaire",
    "define_index",
    "eligibility",
    "move_question",
    "open_round",
    "open_rounds_for",
    "order_scores",
    "rate_order",
    "remove_question",
    "submit_kiosk",
    "submit_paper",
    "submit_phone",
]
