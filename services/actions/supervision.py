"""Time-limit supervision: extensions (延期) and the timer ladder the sweep drives (yellow and
red cards, escalation, 催办, 督办, callback no-answer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from notifications import notify
from portal.bulk import insert_rows
from services import calendar, city, routing
from services.actions.core import (
    YELLOW_FRACTION,
    S,
    _begin,
    _commit,
    _is_dispatcher,
    _is_handler,
    _notify,
    _now,
    _require,
    schedule,
    timer_steps,
)
from services.actions.dispatch import _escalate_locked
from services.choices import (
    Action,
    CallbackMethod,
    ExtensionStatus,
    Level,
    Stage,
)
from services.models import (
    Callback,
    Case,
    CaseEvent,
    ExtensionRequest,
)

# --- extensions ------------------------------------------------------------------------------------


@transaction.atomic
def request_extension(
    case: Case | int,
    *,
    actor,
    working_days: int,
    reason: str,
    expected_version: int | None = None,
) -> ExtensionRequest:
    """延期申请: asked before the resolve deadline, for 1-30 working days, with a reason."""
    case = _begin(case, Action.REQUEST_EXTENSION, expected_version)
    _require(_is_handler(actor, case))
    now = _now()
    errors = {}
    if case.resolve_due and now > case.resolve_due:
        errors["working_days"] = [_("Extensions must be requested before the deadline.")]
    if not isinstance(working_days, int) or not 1 <= working_days <= 30:
        errors["working_days"] = [_("An extension is 1 to 30 working days.")]
    if not reason.strip():
        errors["reason"] = [_("Give the reason.")]
    if ExtensionRequest.objects.filter(case=case, status=ExtensionStatus.PENDING).exists():
        errors["action"] = [_("This case already has an extension request pending.")]
    if errors:
        raise ValidationError(errors)
    ext = ExtensionRequest.objects.create(
        case=case, requested_by=actor, working_days=working_days, reason=reason.strip()
    )
    _commit(
        case,
        Action.REQUEST_EXTENSION,
        actor,
        case.state,
        reason.strip(),
        {"working_days": working_days, "extension": ext.pk},
        now,
    )
    return ext


@transaction.atomic
def decide_extension(
    case: Case | int,
    *,
    actor,
    approve: bool,
    note: str = "",
    expected_version: int | None = None,
) -> ExtensionRequest:
    """Approve (the resolve deadline moves by the working days asked, the timer ladder
    starts over) or refuse the pending extension request. Decided by a dispatcher above the
    handling unit."""
    case = _begin(case, Action.DECIDE_EXTENSION, expected_version)
    _require(_is_dispatcher(actor, case), _("Only a supervisor decides extensions."))
    ext = (
        ExtensionRequest.objects.select_for_update()
        .filter(case=case, status=ExtensionStatus.PENDING)
        .first()
    )
    if ext is None:
        raise ValidationError({"action": _("There is no extension request to decide.")})
    now = _now()
    ext.decided_by = actor
    ext.decided_at = now
    ext.decision_note = note
    ext.old_due = case.resolve_due
    if approve:
        ext.status = ExtensionStatus.APPROVED
        base = case.resolve_due or now
        case.resolve_due = calendar.add_working_days(base, ext.working_days)
        start_at = case.clock_started_at or now
        case.resolve_warn_at = calendar.fraction_point(
            start_at, case.resolve_due, YELLOW_FRACTION, "working_days"
        )
        case.resolve_stage = Stage.NONE
        case.card_level = 0
        ext.new_due = case.resolve_due
    else:
        ext.status = ExtensionStatus.REFUSED
    ext.save()
    payload: dict[str, object] = {"approved": approve, "extension": ext.pk}
    if approve:
        assert case.resolve_due is not None  # set above when approving
        payload["resolve_due"] = case.resolve_due.isoformat()
    _commit(case, Action.DECIDE_EXTENSION, actor, case.state, note, payload, now)
    _notify(
        case,
        [ext.requested_by_id],
        "extension",
        (
            _("Extension approved for %(number)s")
            if approve
            else _("Extension refused for %(number)s")
        )
        % {"number": case.number},
        note,
    )
    return ext


# --- the timer ladder (called by the sweep) ------------------------------------------------------------


EVENT_FIELDS = ("case", "actor", "at", "action", "from_state", "to_state", "note", "payload")


class StepEvent:
    """A timeline step the sweep writes in bulk: the attributes portal.bulk.insert_rows and
    city.note_events read, without a CaseEvent instance (the sweep wrote three per case, and
    building them cost more than inserting them)."""

    __slots__ = (
        "case",
        "case_id",
        "actor_id",
        "at",
        "action",
        "from_state",
        "to_state",
        "note",
        "payload",
    )

    def __init__(self, case: Case, action: str, from_state: str, note: str, payload, at):
        self.case = case
        self.case_id = case.pk
        self.actor_id = None  # the system
        self.at = at
        self.action = str(action)
        self.from_state = from_state
        self.to_state = case.state
        self.note = note
        self.payload = payload or {}


@dataclass
class TimerBatch:
    """Events and notifications collected over a batch of cases, written in bulk."""

    events: list = field(default_factory=list)
    notices: list = field(default_factory=list)  # (case, user_ids, kind, title)
    cache: dict = field(default_factory=dict)
    user_cache: dict = field(default_factory=dict)
    titles: dict = field(default_factory=dict)

    def title(self, step: str) -> str:
        """A step's notice title, translated once per batch (the language does not change)."""
        if step not in self.titles:
            self.titles[step] = _STEP_TITLES[step]()
        return self.titles[step]

    def flush(self) -> None:
        insert_rows(CaseEvent, self.events, EVENT_FIELDS)
        city.note_events(self.events)
        # One call for the whole batch: one query for the recipients and their preferences,
        # one INSERT for the inbox, one for the outbox.
        notify.send(
            notify.Message(user=user_id, kind=kind, title=title, case=case)
            for case, user_ids, kind, title in self.notices
            for user_id in user_ids
        )
        self.events.clear()
        self.notices.clear()


_STEP_TITLES = {
    "yellow": lambda: _("Yellow card: case %(number)s is near its %(clock)s deadline"),
    "red": lambda: _("Red card: case %(number)s missed its %(clock)s deadline"),
    "remind": lambda: _("Reminder (催办): case %(number)s is overdue"),
    "supervise": lambda: _("Supervision (督办): case %(number)s is still overdue"),
}
# The clock's name inside those titles, translated with them (it once read "已超过sign-for时限").
_CLOCK_LABELS = {
    "sign": pgettext_lazy("clock", "sign-for"),
    "contact": pgettext_lazy("clock", "contact"),
    "resolve": pgettext_lazy("clock", "resolve"),
}


def advance_timers(case: Case, now: datetime, batch: TimerBatch) -> bool:
    """Take every timer step now due on a LOCKED case, each exactly once (the stage markers
    are stored on the case, so a second sweep finds nothing left to do). Returns True if the
    case changed; the caller saves it and flushes the batch in the same transaction."""
    changed = False
    escalated = False
    steps = timer_steps(case, now)
    # A sweep that comes late (a worker down, a holiday ending) takes yellow and red together:
    # the yellow card is recorded, but its notice is not sent, the red one says more.
    red_now = {clock for when, clock, step in steps if step == "red" and when <= now}
    for when, clock, step in steps:
        if when > now:
            break
        if clock == "callback":
            _record_no_answer(case, now, batch)
            changed = True
            break
        # A step may be stale after an escalation earlier in this loop changed the clocks.
        if clock == "sign" and (case.state != S.DISPATCHED or case.sign_due is None):
            continue
        stage_attr = f"{clock}_stage"
        stage = {
            "yellow": Stage.YELLOW,
            "red": Stage.RED,
            "remind": Stage.REMINDED,
            "supervise": Stage.SUPERVISED,
        }[step]
        if getattr(case, stage_attr) >= stage:
            continue
        setattr(case, stage_attr, stage)
        # The card is sticky: an escalation restarts the sign-for clock, not the record.
        case.card_level = max(case.card_level, 2 if stage >= Stage.RED else 1)
        changed = True
        from_state = case.state
        title = batch.title(step) % {
            "number": case.number,
            "clock": str(_CLOCK_LABELS[clock]),
        }
        action = {
            "yellow": Action.YELLOW,
            "red": Action.RED,
            "remind": Action.REMIND,
            "supervise": Action.SUPERVISE,
        }[step]
        payload = {"clock": clock, "due": (getattr(case, f"{clock}_due") or now).isoformat()}
        recipients = routing.unit_user_ids(case, batch.user_cache)
        if (
            step == "red"
            and clock in ("sign", "resolve")
            and not escalated
            and case.level != Level.CITY
        ):
            # Red card: escalate one level (once per expired clock: the stage says it happened).
            try:
                from_state, esc = _escalate_locked(case, None, "", now, batch.cache)
            except ValidationError:
                esc = None
            if esc is not None:
                escalated = True
                payload.update(esc)
                batch.events.append(StepEvent(case, Action.RED, from_state, title, payload, now))
                batch.events.append(StepEvent(case, Action.ESCALATE, from_state, "", esc, now))
                batch.notices.append((case, recipients, "red", title))
                batch.notices.append(
                    (
                        case,
                        routing.unit_user_ids(case, batch.user_cache),
                        "assigned",
                        _("Case %(number)s escalated to you") % {"number": case.number},
                    )
                )
                continue
        if step == "supervise":
            # 督办 goes to the level above as well: it is their turn to watch.
            above = routing.next_level_target(case, batch.cache)
            if above is not None:
                probe = Case(
                    level=above.level,
                    handling_area=above.area,
                    handling_department=above.department,
                )
                recipients = recipients + routing.unit_user_ids(probe, batch.user_cache)
        batch.events.append(StepEvent(case, action, from_state, title, payload, now))
        if not (step == "yellow" and clock in red_now):
            batch.notices.append((case, recipients, step, title))
    if changed:
        case.version += 1
        schedule(case, now)
    return changed


def _record_no_answer(case: Case, now: datetime, batch: TimerBatch) -> None:
    """No answer within the wait: recorded as such, the case is closed without a rating."""
    Callback.objects.create(case=case, method=CallbackMethod.NO_ANSWER, at=now)
    from_state = case.state
    case.state = S.CALLED_BACK
    case.called_back_at = now
    case.closed_at = now
    batch.events.append(
        StepEvent(
            case,
            Action.CALLBACK,
            from_state,
            _("No answer to the callback."),
            {"method": "no_answer"},
            now,
        )
    )


TIMER_FIELDS = [
    "state",
    "level",
    "handling_area",
    "handling_department",
    "assignee",
    "sign_due",
    "sign_warn_at",
    "sign_stage",
    "contact_stage",
    "resolve_stage",
    "card_level",
    "escalation_level",
    "next_check_at",
    "called_back_at",
    "closed_at",
    "version",
    "updated_at",
]


def timers_due(now: datetime | None = None) -> int:
    """How many cases have a timer step due (for monitoring and tests)."""
    return Case.objects.filter(next_check_at__lte=now or _now()).count()
