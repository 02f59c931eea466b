"""The only code that changes deliberation rows (views, the API, tasks and the admin call
these)."""

from deliberation.actions.cases import propose_from_cases
from deliberation.actions.matters import (
    accept_matter,
    add_comment,
    cosign,
    decline_matter,
    raise_matter,
    record_minutes,
    schedule_meeting,
    threshold_for,
)
from deliberation.actions.shares import set_owner_share
from deliberation.actions.voting import (
    cast_vote,
    close_vote,
    compute_tally,
    evaluate,
    open_vote,
    publish_plan,
    publish_result,
    record_progress,
)

__all__ = [
    "accept_matter",
    "add_comment",
    "cast_vote",
    "close_vote",
    "compute_tally",
    "cosign",
    "decline_matter",
    "evaluate",
    "open_vote",
    "propose_from_cases",
    "publish_plan",
    "publish_result",
    "raise_matter",
    "record_minutes",
    "record_progress",
    "schedule_meeting",
    "set_owner_share",
    "threshold_for",
]
