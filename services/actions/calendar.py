"""The holiday calendar's write path: a staff edit, a deletion, a year imported from the State
Council's notice, and moving the deadlines those changes cross.

Every change writes the Holiday rows and a HolidayChange naming the days whose working status
changed (old and new), in one transaction; on commit the calendar caches are cleared and the
task services.tasks.recompute_deadlines is sent. That task calls `recompute_batch` batch by
batch (each its own short transaction, so a big city never holds its cases long): every open
case whose running clock crosses a changed day gets the deadline its time limit gives under
the new calendar, and a timeline event saying so. A deadline that has already passed is never
moved, nor one that would move into the past.

Why a clock is moved is checked, not assumed, so a batch run twice (a redelivered message, the
second pass below) moves nothing twice: a deadline already equal to the one the new calendar
gives is left; one equal to what the old calendar gave is moved; anything else (the time
limit was edited since the clock started) is counted again under the old calendar, and only
for clocks started before the change.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils.translation import gettext as _

from grids.scope import may
from services import calendar
from services.actions.core import YELLOW_FRACTION, _now, limits_for, schedule
from services.choices import OPEN_STATES, Action, ClockUnit, ExtensionStatus, Stage, State
from services.holiday_files import Arrangement
from services.models import (
    Case,
    CaseEvent,
    ExtensionRequest,
    Holiday,
    HolidayChange,
    HolidayYear,
)

logger = logging.getLogger("services.calendar")

RECOMPUTE_BATCH = 500
# Actions that (re)start the sign-for clock at their moment (services.actions.dispatch, review,
# supervision): the latest one is the running clock's start.
SIGN_STARTERS = (
    Action.DISPATCH,
    Action.REVIEW_RETURN,
    Action.TRANSFER,
    Action.ESCALATE,
    Action.CALLBACK,
)
CLOCKS = ("sign", "contact", "resolve")


def _require_editor(actor) -> None:
    if actor is not None and not may(actor, "change", Holiday):
        raise ValidationError({"actor": _("Only city-wide staff change the holiday calendar.")})


def _effective(table: dict[date, bool], day: date) -> bool:
    return table.get(day, calendar.default_workday(day))


def _table() -> dict[date, bool]:
    return dict(Holiday.objects.select_for_update().values_list("date", "is_workday"))


def _record(before: dict[date, bool], after: dict[date, bool], actor, source: str):
    """Log the days whose status changed and, on commit, clear the caches and send the task
    that moves the deadlines crossing them. None when no day changed (a renamed holiday)."""
    days = {
        d.isoformat(): [_effective(before, d), _effective(after, d)]
        for d in sorted(set(before) | set(after))
        if _effective(before, d) != _effective(after, d)
    }
    transaction.on_commit(calendar.clear_cache)
    if not days:
        return None
    change = HolidayChange.objects.create(
        actor=actor if getattr(actor, "pk", None) else None, source=source[:200], days=days
    )
    transaction.on_commit(lambda: _send_recompute(change.pk))
    return change


def _send_recompute(change_id: int) -> None:
    from services.tasks import recompute_deadlines

    try:
        recompute_deadlines.delay(change_id)
    except Exception as exc:  # the broker is down: the change is stored, beat sends it later
        logger.warning("deadline recompute for holiday change %s not queued: %s", change_id, exc)


@transaction.atomic
def save_holiday(holiday: Holiday, *, actor) -> Holiday:
    """Add a day or change one (the admin's form): the deadlines it crosses move."""
    _require_editor(actor)
    holiday.full_clean()
    before = _table()
    if holiday.pk is not None:
        before_row = Holiday.objects.filter(pk=holiday.pk).first()
        if before_row is None:
            raise ValidationError({"date": _("This day was deleted meanwhile.")})
    holiday.save()
    after = _table()
    _record(before, after, actor, _("Edited in the admin: %(day)s") % {"day": holiday})
    return holiday


@transaction.atomic
def delete_holidays(holidays: Iterable[Holiday], *, actor) -> int:
    """Delete days from the table (they become ordinary days again)."""
    _require_editor(actor)
    ids = [h.pk for h in holidays]
    before = _table()
    deleted, _by_model = Holiday.objects.filter(pk__in=ids).delete()
    after = _table()
    _record(before, after, actor, _("Deleted in the admin: %(count)s days") % {"count": deleted})
    return deleted


@transaction.atomic
def import_holidays(
    arrangement: Arrangement, *, actor, provisional: bool = False
) -> HolidayChange | None:
    """Make the table hold exactly the arrangement's days for its year (a corrected notice
    imported again replaces the first), mark the year as imported, and move the deadlines of
    open cases that cross a changed day. All or nothing: it is one transaction."""
    _require_editor(actor)
    year = arrangement.year
    before = _table()
    wanted = {d.date: d for d in arrangement.days}
    Holiday.objects.filter(date__year=year).exclude(date__in=list(wanted)).delete()
    existing = {h.date: h for h in Holiday.objects.filter(date__in=list(wanted))}
    for day in wanted.values():
        row = existing.get(day.date)
        if row is None:
            Holiday.objects.create(date=day.date, is_workday=day.is_workday, name=day.name)
        elif (row.is_workday, row.name) != (day.is_workday, day.name):
            row.is_workday, row.name = day.is_workday, day.name
            row.save(update_fields=["is_workday", "name"])
    HolidayYear.objects.update_or_create(
        year=year,
        defaults={
            "source": arrangement.source or str(year),
            "provisional": provisional,
            "imported_by": actor if getattr(actor, "pk", None) else None,
        },
    )
    after = _table()
    source = _("Imported %(year)s: %(source)s") % {"year": year, "source": arrangement.source}
    return _record(before, after, actor, source)


# --- moving deadlines --------------------------------------------------------------------------
def calendar_before(change: HolidayChange) -> dict[date, bool]:
    """The days as they were before `change`: its old values and those of every later change
    (later ones first, so a day changed twice gets the value before this change)."""
    flips: dict[date, bool] = {}
    later = HolidayChange.objects.filter(pk__gte=change.pk).order_by("-pk")
    for each in later.values_list("days", flat=True):
        for day, (old, _new) in each.items():
            flips[date.fromisoformat(day)] = old
    return flips


def _moved(
    start: datetime | None,
    due: datetime | None,
    amount: int,
    flips: dict[date, bool],
    change: HolidayChange,
    now: datetime,
) -> datetime | None:
    """The new deadline of a working-day clock, or None when it stays (see the module doc)."""
    if start is None or due is None or due <= now:
        return None  # not running, or already passed: never moved
    new = calendar.add_working_days_with(start, amount, {})
    if new == due:
        return None
    if calendar.add_working_days_with(start, amount, flips) != due:
        if start >= change.created_at:
            return None  # started under the new table with a limit we cannot tell
        counted = calendar.working_days_with(start, due, flips)
        if calendar.add_working_days_with(start, counted, flips) != due:
            return None
        new = calendar.add_working_days_with(start, counted, {})
        if new == due:
            return None
    return new if new > now else None


def _starts(cases: list[Case]) -> dict[int, dict[str, datetime | None]]:
    """When each case's running clocks started: sign-for at its latest (re)dispatch, contact
    at the first dispatch, resolve at clock_started_at."""
    dispatched = [c.pk for c in cases if c.state == State.DISPATCHED]
    sign_starts = dict(
        CaseEvent.objects.filter(case_id__in=dispatched, action__in=SIGN_STARTERS)
        .order_by("case_id", "-at", "-id")
        .distinct("case_id")
        .values_list("case_id", "at")
    )
    return {
        c.pk: {
            "sign": sign_starts.get(c.pk, c.dispatched_at),
            "contact": c.dispatched_at,
            "resolve": c.clock_started_at,
        }
        for c in cases
    }


def _extensions(cases: list[Case]) -> dict[int, int]:
    """Working days added to each case's resolve clock by approved extensions since it
    started (a redo starts the clock again, leaving earlier extensions behind)."""
    rows = (
        ExtensionRequest.objects.filter(
            case_id__in=[c.pk for c in cases if c.clock_started_at],
            status=ExtensionStatus.APPROVED,
            decided_at__gte=F("case__clock_started_at"),
        )
        .values("case_id")
        .annotate(days=Sum("working_days"))
    )
    return {r["case_id"]: r["days"] or 0 for r in rows}


_LABELS = {
    "sign": lambda: _("sign-for deadline"),
    "contact": lambda: _("contact deadline"),
    "resolve": lambda: _("resolve deadline"),
}


def recompute_batch(
    change_id: int, after_id: int = 0, limit: int = RECOMPUTE_BATCH, now: datetime | None = None
) -> tuple[int, int, int]:
    """Move the deadlines of up to `limit` cases after `after_id` (in id order) that a holiday
    change crosses, in one transaction over the locked rows. Returns (cases looked at, cases
    whose deadlines moved, the last id looked at)."""
    now = now or _now()
    calendar.clear_cache()  # this process may hold the table as it was before the change
    with transaction.atomic():
        change = HolidayChange.objects.filter(pk=change_id).first()
        if change is None or not change.days:
            return 0, 0, after_id
        flips = calendar_before(change)
        first = min(date.fromisoformat(d) for d in change.days)
        horizon = datetime.combine(first, time.min, tzinfo=calendar.TZ)
        cases = list(
            Case.objects.select_for_update(of=("self",))
            .filter(pk__gt=after_id, state__in=[*OPEN_STATES, State.RESOLVED])
            .filter(
                Q(next_check_at__gte=horizon)
                | Q(sign_due__gte=horizon)
                | Q(contact_due__gte=horizon)
                | Q(resolve_due__gte=horizon)
            )
            .order_by("pk")[:limit]
        )
        if not cases:
            return 0, 0, after_id
        starts, extra = _starts(cases), _extensions(cases)
        events, changed = [], []
        for case in cases:
            moves = _move_clocks(case, starts[case.pk], extra.get(case.pk, 0), flips, change, now)
            before_check = case.next_check_at
            if moves:
                case.version += 1
            schedule(case, now)
            if moves or case.next_check_at != before_check:
                changed.append(case)
            if moves:
                events.append(_moved_event(case, moves, change, now))
        fields = [f"{c}_{w}" for c in CLOCKS for w in ("due", "warn_at")]
        Case.objects.bulk_update(changed, [*fields, "next_check_at", "card_level", "version"])
        CaseEvent.objects.bulk_create(events)
        if events:
            HolidayChange.objects.filter(pk=change.pk).update(
                cases_moved=F("cases_moved") + len(events)
            )
    return len(cases), len(events), cases[-1].pk


def _move_clocks(
    case: Case, starts: dict, extra_days: int, flips, change, now
) -> dict[str, tuple[datetime, datetime]]:
    if case.state not in OPEN_STATES:
        return {}
    limits = limits_for(case.category_id, case.case_type)
    moves = {}
    for clock, (amount, unit) in zip(CLOCKS, limits, strict=True):
        if unit != ClockUnit.WORKING_DAYS:
            continue
        if clock == "sign" and case.state != State.DISPATCHED:
            continue
        if clock == "contact" and case.contacted_at is not None:
            continue
        due = getattr(case, f"{clock}_due")
        start = starts[clock]
        days = amount + (extra_days if clock == "resolve" else 0)
        new = _moved(start, due, days, flips, change, now)
        if new is None:
            continue
        moves[clock] = (due, new)
        setattr(case, f"{clock}_due", new)
        if getattr(case, f"{clock}_stage") < Stage.YELLOW:
            setattr(
                case,
                f"{clock}_warn_at",
                calendar.fraction_point(start, new, YELLOW_FRACTION, ClockUnit.WORKING_DAYS),
            )
    return moves


def _moved_event(case: Case, moves: dict, change: HolidayChange, now: datetime) -> CaseEvent:
    local = calendar.local
    parts = [
        _("%(clock)s %(old)s → %(new)s")
        % {
            "clock": _LABELS[clock](),
            "old": local(old).strftime("%Y-%m-%d"),
            "new": local(new).strftime("%Y-%m-%d"),
        }
        for clock, (old, new) in moves.items()
    ]
    return CaseEvent(
        case=case,
        actor=None,
        at=now,
        action=Action.DEADLINES_MOVED,
        from_state=case.state,
        to_state=case.state,
        note=_("The holiday calendar changed: %(moves)s.") % {"moves": "; ".join(parts)},
        payload={
            "change": change.pk,
            **{c: [old.isoformat(), new.isoformat()] for c, (old, new) in moves.items()},
        },
    )


def finish_change(change_id: int) -> None:
    """Record that the change's deadlines have all been recomputed."""
    HolidayChange.objects.filter(pk=change_id).update(finished_at=_now())
