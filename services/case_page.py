"""What the staff case pages show about a case, apart from the templates: its fields as
(label, text) rows, grouped as the admin's fieldsets are; the timeline; and for the desk's
case page (services.desk.case) which actions this user is offered now, in the order they are
likely to be taken, the deadlines as a clock line and who acted since the page was drawn.

The admin renders each read-only field through AdminReadonlyField (a lookup, a display
helper, an admin URL reversed for every related object, a template per fieldset): about 40
fields cost more than half of the whole page. Plain text rows built here render in a fraction
of that; the page is read-only anyway and changes go through the action forms."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime, timedelta
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grids.scope import scope_for
from services import actions
from services.actions import timer_steps
from services.choices import OPEN_STATES, Action, Level, Rating, State
from services.models import Case

EMPTY = "—"


def field_text(case: Case, name: str) -> str:
    """The display text of one model field of a case."""
    field = Case._meta.get_field(name)
    value: Any = getattr(case, name)
    if value is None or value == "":
        return EMPTY
    if field.choices:  # type: ignore[union-attr]  # get_field() of a concrete field
        return str(getattr(case, f"get_{name}_display")())
    if isinstance(field, models.BooleanField):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "Y-m-d H:i")
    return str(value)


def summary(case: Case, fieldsets, computed: dict[str, tuple[str, str]]) -> list[dict]:
    """Sections [{"title", "rows": [(label, text), ...]}] following `fieldsets` (the admin's
    structure); `computed` gives the text of names that are not model fields (e.g. the phone
    as this viewer may see it) as {name: (label, text)}."""
    sections = []
    for title, options in fieldsets:
        rows: list[tuple[str, str]] = []
        for line in options["fields"]:
            for name in line if isinstance(line, tuple | list) else (line,):
                if name in computed:
                    rows.append(computed[name])
                else:
                    label = Case._meta.get_field(name).verbose_name  # type: ignore[union-attr]
                    rows.append((str(label), field_text(case, name)))
        sections.append({"title": title, "rows": rows})
    return sections


def timeline(events) -> list[tuple[str, str, str, str, str, str]]:
    """The timeline's rows as text: at, action, from, to, by, note (states by their labels)."""
    states = dict(State.choices)
    system = _("system")
    return [
        (
            date_format(timezone.localtime(e.at), "Y-m-d H:i"),
            e.action_label,
            str(states.get(e.from_state, e.from_state)),
            str(states.get(e.to_state, e.to_state)),
            str(e.actor) if e.actor_id else system,
            e.note,
        )
        for e in events
    ]


# --- the desk's case page: which actions, in which order --------------------------------------

SET_MALICIOUS = "set_malicious"  # a flag, not a step of TRANSITIONS (actions.set_malicious)

# The order buttons come in: what the case most likely waits for first. The first one this user
# is offered is the page's prominent action; the rest follow in this order.
ORDER: tuple[str, ...] = (
    Action.REPORT_IN,  # a joint unit's part holds up the resolve
    Action.DECIDE_EXTENSION,  # a handler waits for the answer
    Action.DISPATCH,
    Action.REVIEW_RETURN,
    Action.SIGN_FOR,
    Action.RECORD_CONTACT,
    Action.START,
    Action.RESOLVE,
    Action.ADD_PROGRESS,
    Action.CALLBACK,
    Action.ARCHIVE,
    Action.REQUEST_EXTENSION,
    Action.RETURN,
    Action.ESCALATE,
    Action.TRANSFER,
    Action.ADD_JOINT_UNIT,
    Action.NOT_ACCEPTED,
    Action.MERGE,
    SET_MALICIOUS,
)
# Who may take each step, as services.actions checks it (the operation still decides).
DISPATCHER_ONLY = frozenset(
    {
        Action.REVIEW_RETURN,
        Action.TRANSFER,
        Action.MERGE,
        Action.ARCHIVE,
        Action.DECIDE_EXTENSION,
        Action.CALLBACK,  # by phone; residents answer on their own pages
        SET_MALICIOUS,
    }
)
HANDLER = frozenset(
    {
        Action.SIGN_FOR,
        Action.RECORD_CONTACT,
        Action.START,
        Action.ADD_PROGRESS,
        Action.RESOLVE,
        Action.RETURN,
        Action.ESCALATE,
        Action.REQUEST_EXTENSION,
        Action.ADD_JOINT_UNIT,
    }
)
RECEIVER_OR_DISPATCHER = frozenset({Action.DISPATCH, Action.NOT_ACCEPTED})


@dataclass
class Situation:
    """What the page read about the case beside its row, for deciding what to offer."""

    joint_units: list = dataclass_field(default_factory=list)
    pending_extension: dict | None = None  # the open request, from the timeline
    now: datetime = dataclass_field(default_factory=timezone.now)


def my_joint_units(user, joint_units) -> list:
    """The joint units not yet reported in that this user reports in for."""
    scope = scope_for(user)
    return [
        u
        for u in joint_units
        if u.reported_in_at is None
        and (
            scope.is_superuser
            or (u.department_id and u.department_id in scope.department_ids)
            or (u.area_id and scope.covers_area(u.area))
        )
    ]


def offered_actions(case: Case, user, situation: Situation) -> list[str]:
    """The actions this user may take on the case now, most likely first: the state table
    (services.actions.allowed_actions), the actor checks of each operation (dispatcher,
    handling unit, first receiver) and what the case holds (a pending extension, joint units
    still to report in, a deadline not yet passed). No query: the checks read the scope and
    the case as the page loaded it."""
    from services.actions.core import _is_dispatcher

    states = set(actions.allowed_actions(case))
    dispatcher = _is_dispatcher(user, case)
    handler = dispatcher or actions.may_handle(user, case)
    receiver = case.received_by_id is not None and case.received_by_id == user.pk
    unreported = [u for u in situation.joint_units if u.reported_in_at is None]
    offered = []
    for action in ORDER:
        if action == SET_MALICIOUS:
            ok = dispatcher and case.state != State.ARCHIVED
        elif action not in states:
            continue
        elif action in DISPATCHER_ONLY:
            ok = dispatcher
        elif action in HANDLER:
            ok = handler
        elif action in RECEIVER_OR_DISPATCHER:
            ok = dispatcher or receiver
        elif action == Action.REPORT_IN:
            ok = bool(my_joint_units(user, situation.joint_units))
        else:
            ok = False
        if not ok:
            continue
        if action == Action.DECIDE_EXTENSION and situation.pending_extension is None:
            continue
        if action == Action.REQUEST_EXTENSION and (
            situation.pending_extension is not None
            or (case.resolve_due is not None and situation.now > case.resolve_due)
        ):
            continue
        if action == Action.RESOLVE and (case.state == State.SUBMITTED or unreported):
            continue  # dispatched first; every joint unit reports in first
        if action == Action.RECORD_CONTACT and case.contacted_at is not None:
            continue  # the first contact is recorded; later ones are progress notes
        if action == Action.ESCALATE and case.level == Level.CITY:
            continue  # nothing above the city's 12345
        offered.append(action)
    return offered


def pending_extension(events) -> dict | None:
    """The extension request still waiting for a decision, from the timeline (each request
    and each decision writes an event), or None."""
    pending = None
    for e in events:
        if e.action == Action.REQUEST_EXTENSION:
            pending = {
                "working_days": (e.payload or {}).get("working_days"),
                "reason": e.note,
                "at": e.at,
                "by": e.actor,
            }
        elif e.action == Action.DECIDE_EXTENSION:
            pending = None
    return pending


# --- the clock line -----------------------------------------------------------------------------

CLOCKS = (
    ("sign", gettext_lazy("sign for"), "sign_due", "sign_warn_at", "signed_at", "sign_on_time"),
    (
        "contact",
        gettext_lazy("contact the resident"),
        "contact_due",
        "contact_warn_at",
        "contacted_at",
        "contact_on_time",
    ),
    (
        "resolve",
        gettext_lazy("resolve"),
        "resolve_due",
        "resolve_warn_at",
        "resolved_at",
        "resolved_on_time",
    ),
)
STEP_LABELS = {
    "yellow": gettext_lazy("yellow card"),
    "red": gettext_lazy("red card"),
    "remind": gettext_lazy("reminder"),
    "supervise": gettext_lazy("supervision"),
    "no_answer": gettext_lazy("callback closes without an answer"),
}
CLOCK_LABELS = {key: label for key, label, *_rest in CLOCKS} | {
    "callback": gettext_lazy("callback")
}


def _pos(at: datetime | None, start: datetime, span: float) -> int | None:
    if at is None:
        return None
    return max(0, min(100, round((at - start).total_seconds() / span * 100)))


def duration_text(delta: timedelta) -> str:
    """A span as people say it at the desk: 2天3小时, 5小时20分, 12分."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(days)sd %(hours)sh") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)sh %(minutes)smin") % {"hours": hours, "minutes": mins}
    return _("%(minutes)smin") % {"minutes": mins}


def clock_line(case: Case, now: datetime | None = None) -> dict:
    """The three clocks (sign for, contact, resolve) on one time axis: for each its yellow and
    red points, when it stopped (and whether in time), how far now is from its due time; and
    the next step the sweep will take. Positions are whole percents of the axis (0-100), so
    the template places them with classes, not inline styles."""
    now = now or timezone.now()
    rows = []
    for key, label, due_f, warn_f, done_f, on_time_f in CLOCKS:
        due, warn, done = getattr(case, due_f), getattr(case, warn_f), getattr(case, done_f)
        if due is None and done is None:
            continue
        if key == "contact" and done is None and case.state not in OPEN_STATES:
            continue
        rows.append(
            {
                "key": key,
                "label": label,
                "due": due,
                "warn": warn,
                "done": done,
                "on_time": getattr(case, on_time_f),
                "running": due is not None and done is None and case.state in OPEN_STATES,
            }
        )
    moments = [m for r in rows for m in (r["due"], r["warn"], r["done"]) if m] + [now]
    starts = [m for m in (case.dispatched_at, case.clock_started_at) if m]
    start = min([*starts, *moments]) if starts else min(moments)
    end = max(moments)
    span = max((end - start).total_seconds(), 60.0)
    for r in rows:
        r["warn_pos"] = _pos(r["warn"], start, span)
        r["due_pos"] = _pos(r["due"], start, span)
        r["done_pos"] = _pos(r["done"], start, span)
        if r["running"]:
            left = r["due"] - now
            if left.total_seconds() < 0:
                r["band"] = "red"
                r["left"] = _("overdue by %(span)s") % {"span": duration_text(left)}
            else:
                r["band"] = "yellow" if r["warn"] and now >= r["warn"] else "ok"
                r["left"] = _("%(span)s left") % {"span": duration_text(left)}
        elif r["done"] is not None:
            r["band"] = "late" if r["on_time"] is False else "done"
            r["left"] = ""
        else:
            r["band"] = "off"  # stopped without finishing: returned, merged, not accepted
            r["left"] = ""
    steps = timer_steps(case, now) if case.state in (*OPEN_STATES, State.RESOLVED) else []
    next_step = None
    if steps:
        at, clock, step = steps[0]
        next_step = {"at": at, "clock": CLOCK_LABELS[clock], "step": STEP_LABELS[step]}
    return {
        "rows": rows,
        "start": start,
        "end": end,
        "now": now,
        "now_pos": _pos(now, start, span),
        "next": next_step,
        "card": case.card_level,
    }


# --- the timeline with its details, and who acted since -------------------------------------------

MALICIOUS_LABELS = {True: gettext_lazy("marked malicious"), False: gettext_lazy("mark cleared")}


def event_label(event) -> str:
    """The action of an event as staff name it (the malicious flag is no Action)."""
    if event.action == "mark_malicious":
        return str(MALICIOUS_LABELS[bool((event.payload or {}).get("malicious"))])
    return event.action_label


def event_details(event) -> str:
    """What the payload adds to the note: where it went, the rating, the days asked."""
    p = event.payload or {}
    parts = []
    if p.get("to"):
        parts.append(_("to %(unit)s") % {"unit": p["to"]})
    if p.get("from_unit"):
        parts.append(_("from %(unit)s") % {"unit": p["from_unit"]})
    if p.get("master"):
        parts.append(_("into %(number)s") % {"number": p["master"]})
    if p.get("merged"):
        parts.append(_("%(number)s merged into this case") % {"number": p["merged"]})
    if p.get("working_days"):
        parts.append(_("%(n)s working days") % {"n": p["working_days"]})
    if "approved" in p:
        parts.append(str(_("approved") if p["approved"] else _("refused")))
    if "upheld" in p:
        parts.append(str(_("return upheld") if p["upheld"] else _("return rejected")))
    if p.get("rating"):
        parts.append(str(Rating(p["rating"]).label))
    if p.get("redo"):
        parts.append(str(_("sent back for redo")))
    if p.get("unit") and event.action in (Action.ADD_JOINT_UNIT, Action.REPORT_IN):
        parts.append(str(p["unit"]))
    return " · ".join(parts)


def desk_timeline(events) -> list[dict]:
    """The timeline's rows for the desk, oldest first: when, what, from and to which state, by
    whom (the system for the sweep), the note and the details of the payload."""
    states = dict(State.choices)
    system = _("system")
    rows = []
    for e in events:
        # Formatted here: the template's date filter was a tenth of a long timeline's time.
        at = timezone.localtime(e.at)
        rows.append(
            {
                "pk": e.pk,
                "at": at.strftime("%Y-%m-%d %H:%M"),
                "iso": at.isoformat(),
                "action": e.action,
                "label": event_label(e),
                "from": str(states.get(e.from_state, e.from_state)),
                "to": str(states.get(e.to_state, e.to_state)),
                "moved": e.from_state != e.to_state and bool(e.from_state),
                "by": str(e.actor) if e.actor_id else system,
                "note": e.note,
                "details": event_details(e),
                "timer": e.action in TIMER_ACTIONS,
            }
        )
    return rows


TIMER_ACTIONS = frozenset({Action.YELLOW, Action.RED, Action.REMIND, Action.SUPERVISE})


def acted_first(events, seen: int | None):
    """Who acted on the case after the page was drawn (`seen`: the last event it showed):
    the first step a person took since, else the first step at all; without `seen`, the
    latest step. None when the timeline is empty."""
    if not events:
        return None
    later = [e for e in events if seen is not None and e.pk > seen]
    if not later:
        return events[-1]
    people = [e for e in later if e.actor_id]
    return (people or later)[0]
