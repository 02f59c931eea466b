"""The case engine's write operations: THE one write path for cases.

Views, admin, API and tasks call these functions; nothing else changes a case. Each
transition:

1. locks the case row (`select_for_update`) inside a transaction,
2. checks the optional `expected_version` (someone else acted first → a clear error),
3. checks the state against TRANSITIONS (the single table of what may follow what),
4. checks that the actor may act (scope and role),
5. changes the case, bumps `version`, recomputes its timers, writes a CaseEvent,
6. queues notifications and tasks with `transaction.on_commit`.

A refused step raises django.core.exceptions.ValidationError with a message for people
(forms show it, the API turns it into a 400 naming the field). `actor=None` means the system
(the dispatch task, the sweep).

Modules by concern: core (TRANSITIONS, locking, events, clocks), intake (submit_case),
dispatch (dispatch, review_return, transfer, escalate), handling (sign_for … resolve, return,
joint units), review (merge, not_accepted, callback, archive), supervision (extensions, the
timer ladder), sweep (the batches the dispatch and sweep tasks run: locked with SKIP LOCKED,
written in bulk), calendar (the holiday table, and moving the deadlines its changes cross).
Import from `services.actions`; the split is an internal layout.
"""

from services.actions.calendar import (
    delete_holidays,
    finish_change,
    import_holidays,
    recompute_batch,
    save_holiday,
)
from services.actions.core import (
    LIMITS_TTL,
    OPEN,
    SUPERVISION_AFTER,
    TRANSITIONS,
    YELLOW_FRACTION,
    S,
    allowed_actions,
    clear_limits_cache,
    limits_for,
    may_handle,
    save_photos,
    schedule,
    timer_steps,
)
from services.actions.dispatch import dispatch, escalate, review_return, transfer
from services.actions.external import (
    city_event_failed,
    city_event_sent,
    prune_city_outbox,
    record_city_update,
    requeue_city_events,
    take_city_head,
)
from services.actions.field import log_patrol
from services.actions.handling import (
    add_joint_unit,
    add_progress,
    record_contact,
    report_in,
    resolve,
    return_case,
    sign_for,
    start,
)
from services.actions.intake import (
    DESK_CHANNELS,
    PLACE_KINDS,
    Intake,
    IntakeRights,
    answer_at_once,
    claim_cases_by_phone,
    file_and_merge,
    follow,
    intake_rights,
    is_kiosk,
    next_number,
    normalise_phone,
    reporter_for_phone,
    submit_case,
)
from services.actions.review import archive, callback, merge, not_accepted, set_malicious
from services.actions.supervision import (
    TIMER_FIELDS,
    TimerBatch,
    advance_timers,
    decide_extension,
    request_extension,
    timers_due,
)
from services.actions.sweep import (
    awaiting_dispatch,
    dispatch_waiting,
    dispatch_waiting_batch,
    lock_due,
    sweep_batch,
    write_timers,
)

__all__ = [
    "S",
    "OPEN",
    "TRANSITIONS",
    "YELLOW_FRACTION",
    "SUPERVISION_AFTER",
    "allowed_actions",
    "may_handle",
    "LIMITS_TTL",
    "clear_limits_cache",
    "limits_for",
    "timer_steps",
    "schedule",
    "save_photos",
    "next_number",
    "PLACE_KINDS",
    "Intake",
    "submit_case",
    "follow",
    "DESK_CHANNELS",
    "IntakeRights",
    "intake_rights",
    "is_kiosk",
    "normalise_phone",
    "reporter_for_phone",
    "answer_at_once",
    "file_and_merge",
    "claim_cases_by_phone",
    "log_patrol",
    "record_city_update",
    "requeue_city_events",
    "take_city_head",
    "prune_city_outbox",
    "city_event_sent",
    "city_event_failed",
    "dispatch",
    "review_return",
    "transfer",
    "escalate",
    "sign_for",
    "record_contact",
    "start",
    "add_progress",
    "resolve",
    "return_case",
    "add_joint_unit",
    "report_in",
    "merge",
    "not_accepted",
    "callback",
    "archive",
    "set_malicious",
    "request_extension",
    "decide_extension",
    "TimerBatch",
    "advance_timers",
    "TIMER_FIELDS",
    "timers_due",
    "awaiting_dispatch",
    "dispatch_waiting",
    "dispatch_waiting_batch",
    "lock_due",
    "sweep_batch",
    "write_timers",
    "save_holiday",
    "delete_holidays",
    "import_holidays",
    "recompute_batch",
    "finish_change",
]
