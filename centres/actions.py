"""The write operations of the centres: sign-ups and the waitlist, space bookings, check-in by
code (核销), affairs appointments and co-building orders. Views, the admin, the API and tasks
all call these; nothing else writes these rows.

Races are settled by row locks taken in a fixed order (the activity, the space, the slot or
the list item first), and the database backs each count with a constraint: an activity never
confirms more than its places, a slot never takes more than its capacity, a unit never accepts
beyond its quota, and two live bookings of one space never overlap.

Errors are Django ValidationErrors naming the field, in the user's language."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from centres.models import (
    LIVE_BOOKING,
    Activity,
    AffairChannel,
    AffairItem,
    Appointment,
    AppointmentSlot,
    AppointmentStatus,
    Blackout,
    Booking,
    BookingStatus,
    Centre,
    Closure,
    ListItem,
    Notice,
    Order,
    OrderStatus,
    SignUp,
    SignUpStatus,
    Space,
)
from centres.people import Person, person_for_resident, person_for_user
from grids.models import Resident
from grids.scope import may, scope_for

CHECK_IN_EARLY = timedelta(hours=2)  # the door opens this long before an activity starts


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


def _span(start: datetime, end: datetime) -> str:
    local_end = timezone.localtime(end)
    return f"{_when(start)}–{local_end:%H:%M}"


def is_centre_staff(user, centre: Centre) -> bool:
    """May `user` run `centre` (its own operator, or territorial staff covering it)?"""
    scope = scope_for(user)
    if not scope.is_staff or not may(user, "change", Activity):
        return False
    return (
        scope.is_superuser or centre.pk in scope.centre_ids or scope.covers_area(centre.community)
    )


def _require_staff(user, centre: Centre) -> None:
    if not is_centre_staff(user, centre):
        # Out of scope is indistinguishable from not existing.
        raise ValidationError({"centre": _("No such centre.")})


def _notify(recipient_id: int | None, kind: str, title: str, body: str = "", **about) -> None:
    """An in-site notice, written in the same transaction as the change it reports."""
    if recipient_id:
        Notice.objects.create(recipient_id=recipient_id, kind=kind, title=title, body=body, **about)


# --- activities: sign-up, waitlist, cancel -------------------------------------------------------


def _places_for(activity: Activity, priority: bool) -> bool:
    """Is there a place for this person now? Priority groups may take any free place; others
    may not take the places still held for priority groups. Call with the activity locked
    (the counters are the locked row's). Signing up and promoting from the waitlist both
    decide by this one rule."""
    if activity.confirmed_count >= activity.capacity:
        return False
    if priority:
        return True
    held = max(activity.reserved_places - activity.priority_confirmed, 0)
    return activity.confirmed_count + held < activity.capacity


def sign_up(
    activity: Activity | int,
    *,
    actor,
    resident: Resident | None = None,
    now: datetime | None = None,
) -> SignUp:
    """Sign `actor` (or, for staff, `resident` on their behalf: 代报名) up for an activity.

    Exactly `capacity` people are confirmed; the rest go on the waitlist in order. Raises a
    ValidationError outside the sign-up window, for someone ineligible, or a second time."""
    now = now or timezone.now()
    on_behalf = resident is not None
    activity_id = getattr(activity, "pk", activity)
    # Who is signing up, and whether they may, does not depend on the places left: work it
    # out before taking the activity's lock, so the lock is held for the few statements that
    # decide the place (everyone else signing up for this activity waits on it).
    activity = Activity.objects.select_related("centre__community").get(pk=activity_id)
    if on_behalf:
        _require_staff(actor, activity.centre)
        person = person_for_resident(resident)
    else:
        if actor is None or not actor.is_authenticated:
            raise ValidationError({"user": _("Log in to sign up.")})
        person = person_for_user(actor)
    activity.check_eligible(person, activity.centre)
    # The window is checked before the lock too: it changes rarely. "Twice" is left to the
    # partial unique indexes (one live sign-up per account and per resident); the check runs
    # only to word the refusal.
    _check_window(activity, now, staff=on_behalf)
    try:
        with transaction.atomic():
            signup = _take_place(activity_id, person, actor if on_behalf else None)
    except IntegrityError as exc:
        _check_not_twice(activity, person)
        raise ValidationError(
            {"activity": _("You have already signed up for this activity.")}
        ) from exc
    signup.activity = activity
    return signup


def _take_place(activity_id: int, person: Person, by) -> SignUp:
    """Under the activity's row lock, decide the place (_places_for), insert the sign-up and
    move the counters. While a sign-up waits for the lock PostgreSQL re-reads the row, so
    every input of the decision is current when it is made."""
    activity = Activity.objects.select_for_update().get(pk=activity_id)
    confirmed = _places_for(activity, person.is_priority)
    signup = SignUp.objects.create(
        activity=activity,
        user=person.user,
        resident_id=person.resident_id,
        name=person.name,
        status=SignUpStatus.CONFIRMED if confirmed else SignUpStatus.WAITLISTED,
        is_priority=person.is_priority,
        signed_up_by=by,
    )
    if confirmed:
        activity.confirmed_count += 1
        activity.priority_confirmed += int(person.is_priority)
    else:
        activity.waitlist_count += 1
    activity.save(
        update_fields=["confirmed_count", "priority_confirmed", "waitlist_count", "updated_at"]
    )
    return signup


def _check_window(activity: Activity, now: datetime, staff: bool = False) -> None:
    if activity.is_cancelled or not activity.is_published:
        raise ValidationError({"activity": _("This activity is not taking sign-ups.")})
    if now >= activity.starts_at:
        raise ValidationError({"activity": _("This activity has already started.")})
    if staff:
        return  # staff may sign a resident up by phone until the start (代报名)
    if activity.signup_opens_at and now < activity.signup_opens_at:
        raise ValidationError(
            {
                "activity": _("Sign-up opens at %(when)s.")
                % {"when": _when(activity.signup_opens_at)}
            }
        )
    if activity.signup_closes_at and now >= activity.signup_closes_at:
        raise ValidationError(
            {
                "activity": _("Sign-up closed at %(when)s.")
                % {"when": _when(activity.signup_closes_at)}
            }
        )


def _check_not_twice(activity: Activity, person: Person) -> None:
    live = activity.signups.filter(status__in=[SignUpStatus.CONFIRMED, SignUpStatus.WAITLISTED])
    q = Q(pk__in=[])
    if person.user is not None:
        q |= Q(user=person.user)
    if person.resident_id is not None:
        q |= Q(resident_id=person.resident_id)
    existing = live.filter(q).values_list("status", flat=True).first()
    if existing:
        message = (
            _("You are already on the waitlist for this activity.")
            if existing == SignUpStatus.WAITLISTED
            else _("You have already signed up for this activity.")
        )
        raise ValidationError({"activity": message})


def cancel_signup(signup: SignUp | int, *, actor, now: datetime | None = None) -> SignUp:
    """Cancel a sign-up. The resident may cancel their own until the activity's cancel
    deadline, staff any time before the start. A freed place goes to the first person on the
    waitlist who may take it, who is told at once."""
    now = now or timezone.now()
    signup_id = getattr(signup, "pk", signup)
    with transaction.atomic():
        activity_id = SignUp.objects.values_list("activity_id", flat=True).get(pk=signup_id)
        activity = (
            Activity.objects.select_for_update(of=("self",))
            .select_related("centre__community")
            .get(pk=activity_id)
        )
        signup = SignUp.objects.select_for_update().get(pk=signup_id)
        own = actor is not None and signup.user_id == actor.pk
        staff = is_centre_staff(actor, activity.centre)
        if not own and not staff:
            raise ValidationError({"signup": _("No such sign-up.")})
        if signup.status == SignUpStatus.CANCELLED:
            raise ValidationError({"signup": _("This sign-up is already cancelled.")})
        if now >= activity.starts_at:
            raise ValidationError({"signup": _("The activity has already started.")})
        if not staff and activity.cancel_deadline and now >= activity.cancel_deadline:
            raise ValidationError(
                {
                    "signup": _("Cancelling online closed at %(when)s; please call the centre.")
                    % {"when": _when(activity.cancel_deadline)}
                }
            )
        was_confirmed = signup.status == SignUpStatus.CONFIRMED
        if was_confirmed and signup.is_priority:
            activity.priority_confirmed -= 1
        signup.status = SignUpStatus.CANCELLED
        signup.cancelled_at = now
        signup.save(update_fields=["status", "cancelled_at", "updated_at"])
        if was_confirmed:
            activity.confirmed_count -= 1
        else:
            activity.waitlist_count -= 1
        if was_confirmed:
            _promote(activity, now)
        activity.save(
            update_fields=["confirmed_count", "priority_confirmed", "waitlist_count", "updated_at"]
        )
    return signup


def _promote(activity: Activity, now: datetime) -> list[SignUp]:
    """Fill free places from the waitlist in sign-up order (the activity is locked)."""
    promoted = []
    for waiting in activity.signups.filter(status=SignUpStatus.WAITLISTED).order_by(
        "created_at", "pk"
    ):
        if activity.confirmed_count >= activity.capacity:
            break
        if not _places_for(activity, waiting.is_priority):
            continue  # the remaining places are held for priority groups
        waiting.status = SignUpStatus.CONFIRMED
        waiting.promoted_at = now
        waiting.save(update_fields=["status", "promoted_at", "updated_at"])
        activity.confirmed_count += 1
        activity.priority_confirmed += int(waiting.is_priority)
        activity.waitlist_count -= 1
        promoted.append(waiting)
        _notify(
            waiting.user_id,
            "promoted",
            _("A place came free: you are in for “%(title)s”") % {"title": activity.title},
            _("%(when)s at %(centre)s. Show your code %(code)s at the door.")
            % {
                "when": _span(activity.starts_at, activity.ends_at),
                "centre": activity.centre.name,
                "code": waiting.code,
            },
            signup=waiting,
        )
    return promoted


# --- activities: publish, change, cancel ---------------------------------------------------------

# What staff may change on a published activity; the places go through _set_places, the
# counters only through sign-ups, and cancelling through cancel_activity.
ACTIVITY_FIELDS = frozenset(
    {
        "function",
        "space",
        "title",
        "kind",
        "description",
        "starts_at",
        "ends_at",
        "signup_opens_at",
        "signup_closes_at",
        "cancel_deadline",
        "survey_question",
        "is_published",
        "min_age",
        "max_age",
        "residents_only",
    }
)


def _locked_activity(activity: Activity | int) -> Activity:
    return (
        Activity.objects.select_for_update(of=("self",))
        .select_related("centre__community")
        .get(pk=getattr(activity, "pk", activity))
    )


def create_activity(activity: Activity, *, actor) -> Activity:
    """Publish a new activity built by a form (unsaved): the actor must run its centre; it
    starts with no one signed up."""
    if activity.pk is not None:
        raise ValidationError({"activity": _("This activity exists already.")})
    _require_staff(actor, activity.centre)
    activity.confirmed_count = activity.waitlist_count = activity.priority_confirmed = 0
    activity.is_cancelled = False
    activity.full_clean()
    activity.save()
    return activity


def update_activity(
    activity: Activity | int, *, actor, changes: dict, now: datetime | None = None
) -> Activity:
    """Change a published activity: its description, times and sign-up window, and its places
    (`capacity`, `reserved_places`, as change_capacity does: more places move the waitlist
    up). The counters and the cancelled flag are not changed here."""
    now = now or timezone.now()
    places = {k: changes.pop(k) for k in ("capacity", "reserved_places") if k in changes}
    unknown = set(changes) - ACTIVITY_FIELDS
    if unknown:
        raise ValidationError(
            {
                field: _("This cannot be changed here.")
                for field in sorted(unknown)  # e.g. the centre, the counters, is_cancelled
            }
        )
    with transaction.atomic():
        activity = _locked_activity(activity)
        _require_staff(actor, activity.centre)
        for field, value in changes.items():
            setattr(activity, field, value)
        if places:
            _set_places(
                activity,
                places.get("capacity", activity.capacity),
                places.get("reserved_places", activity.reserved_places),
                now,
            )
        activity.full_clean(exclude=["centre"])
        activity.save()
    return activity


def change_capacity(
    activity: Activity | int,
    *,
    actor,
    capacity: int,
    reserved_places: int | None = None,
    now: datetime | None = None,
) -> Activity:
    """Change an activity's places. More places go at once to the waitlist in order (each
    person told); fewer places than people already confirmed is refused: nobody loses a
    confirmed place."""
    now = now or timezone.now()
    with transaction.atomic():
        activity = _locked_activity(activity)
        _require_staff(actor, activity.centre)
        _set_places(
            activity,
            capacity,
            activity.reserved_places if reserved_places is None else reserved_places,
            now,
        )
        activity.save(
            update_fields=[
                "capacity",
                "reserved_places",
                "confirmed_count",
                "priority_confirmed",
                "waitlist_count",
                "updated_at",
            ]
        )
    return activity


def check_places(activity: Activity, capacity, reserved_places) -> tuple[int, int]:
    """The rule for an activity's places (the admin form checks it before saving; the
    operations again under the lock): never fewer than the people already confirmed, and the
    reserved places within the places. Returns the two numbers."""
    try:
        capacity, reserved_places = int(capacity), int(reserved_places)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"capacity": _("Enter a whole number of places.")}) from exc
    if activity.is_cancelled and capacity != activity.capacity:
        raise ValidationError({"capacity": _("This activity is cancelled.")})
    if capacity < activity.confirmed_count:
        raise ValidationError(
            {
                "capacity": _(
                    "%(n)s people already have a confirmed place: the activity needs at least "
                    "%(n)s places. Cancel sign-ups first if there must be fewer."
                )
                % {"n": activity.confirmed_count}
            }
        )
    if reserved_places < 0 or reserved_places > capacity:
        raise ValidationError({"reserved_places": _("Reserved places cannot exceed the places.")})
    return capacity, reserved_places


def _set_places(activity: Activity, capacity, reserved_places, now: datetime) -> None:
    """Set the places of the locked activity; places that come free go to the waitlist."""
    activity.capacity, activity.reserved_places = check_places(activity, capacity, reserved_places)
    if not activity.is_cancelled:
        _promote(activity, now)


def cancel_activity(
    activity: Activity | int, *, actor, reason: str, now: datetime | None = None
) -> Activity:
    """Call an activity off: every live sign-up is cancelled and each resident signed up (or
    waiting) with an account is told why, in the same transaction. Staff of the centre, before
    the start."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the activity is cancelled.")})
    with transaction.atomic():
        activity = _locked_activity(activity)
        _require_staff(actor, activity.centre)
        if activity.is_cancelled:
            raise ValidationError({"activity": _("This activity is already cancelled.")})
        if now >= activity.starts_at:
            raise ValidationError({"activity": _("This activity has already started.")})
        live = list(
            activity.signups.select_for_update().filter(
                status__in=[SignUpStatus.CONFIRMED, SignUpStatus.WAITLISTED]
            )
        )
        SignUp.objects.filter(pk__in=[s.pk for s in live]).update(
            status=SignUpStatus.CANCELLED, cancelled_at=now, updated_at=now
        )
        for signup in live:
            _notify(
                signup.user_id,
                "cancelled",
                _("“%(title)s” is cancelled") % {"title": activity.title},
                _("%(when)s at %(centre)s will not take place: %(reason)s")
                % {
                    "when": _span(activity.starts_at, activity.ends_at),
                    "centre": activity.centre.name,
                    "reason": reason,
                },
                signup=signup,
            )
        activity.is_cancelled = True
        activity.confirmed_count = activity.priority_confirmed = activity.waitlist_count = 0
        activity.save(
            update_fields=[
                "is_cancelled",
                "confirmed_count",
                "priority_confirmed",
                "waitlist_count",
                "updated_at",
            ]
        )
    return activity


def record_no_shows(activity: Activity | int, *, now: datetime | None = None) -> int:
    """Nothing to write: a no-show is a confirmed place not checked in after the end. Kept as
    a function so figures and exports share one definition."""
    now = now or timezone.now()
    activity = Activity.objects.get(pk=getattr(activity, "pk", activity))
    if now < activity.ends_at:
        return 0
    return activity.signups.filter(
        status=SignUpStatus.CONFIRMED, checked_in_at__isnull=True
    ).count()


def send_survey(activity: Activity | int, *, actor=None, now: datetime | None = None) -> int:
    """Send the follow-up survey to those who came (checked in), each once."""
    now = now or timezone.now()
    with transaction.atomic():
        activity = Activity.objects.select_related("centre").get(
            pk=getattr(activity, "pk", activity)
        )
        if actor is not None:
            _require_staff(actor, activity.centre)
        if not activity.survey_question:
            raise ValidationError({"survey_question": _("Write the survey question first.")})
        rows = list(
            activity.signups.select_for_update(skip_locked=True).filter(
                status=SignUpStatus.CONFIRMED,
                checked_in_at__isnull=False,
                survey_sent_at__isnull=True,
            )
        )
        for signup in rows:
            signup.survey_sent_at = now
            signup.save(update_fields=["survey_sent_at"])
            _notify(
                signup.user_id,
                "survey",
                _("How was “%(title)s”?") % {"title": activity.title},
                activity.survey_question,
                signup=signup,
            )
    return len(rows)


# --- spaces ------------------------------------------------------------------------------------


def book_space(
    space: Space | int,
    *,
    actor,
    starts_at: datetime,
    ends_at: datetime,
    purpose: str,
    attendees: int = 1,
    unit=None,
    series: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Booking:
    """Book a space for a time range. Overlapping a live booking fails with a message that
    names the conflicting slot; so do blackouts, closure days and hours outside the space's
    bookable hours. Spaces that need approval start as pending."""
    now = now or timezone.now()
    if actor is None or not actor.is_authenticated:
        raise ValidationError({"user": _("Log in to book.")})
    if not purpose or not purpose.strip():
        raise ValidationError({"purpose": _("Say what the space is for.")})
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The end must be after the start.")})
    if starts_at < now:
        raise ValidationError({"starts_at": _("That time has passed.")})
    with transaction.atomic():
        # The space row lock queues bookings of one space; other spaces go on in parallel.
        space = (
            Space.objects.select_for_update(of=("self",))
            .select_related("centre")
            .get(pk=getattr(space, "pk", space))
        )
        if not (space.bookable and space.is_active and space.centre.is_active):
            raise ValidationError({"space": _("This space cannot be booked.")})
        if attendees < 1 or attendees > space.capacity:
            raise ValidationError(
                {"attendees": _("This space takes up to %(n)s people.") % {"n": space.capacity}}
            )
        local_start, local_end = timezone.localtime(starts_at), timezone.localtime(ends_at)
        if (
            local_start.date() != local_end.date()
            or local_start.time() < space.opens
            or local_end.time() > space.closes
        ):
            raise ValidationError(
                {
                    "starts_at": _("This space can be booked between %(a)s and %(b)s on one day.")
                    % {"a": f"{space.opens:%H:%M}", "b": f"{space.closes:%H:%M}"}
                }
            )
        closure = Closure.objects.filter(centre_id=space.centre_id, date=local_start.date()).first()
        if closure:
            raise ValidationError(
                {
                    "starts_at": _("The centre is closed that day (%(reason)s).")
                    % {"reason": closure.reason}
                }
            )
        blackout = (
            Blackout.objects.filter(
                centre_id=space.centre_id, starts_at__lt=ends_at, ends_at__gt=starts_at
            )
            .filter(Q(space__isnull=True) | Q(space=space))
            .first()
        )
        if blackout:
            raise ValidationError(
                {
                    "starts_at": _("The space is not available %(span)s (%(reason)s).")
                    % {
                        "span": _span(blackout.starts_at, blackout.ends_at),
                        "reason": blackout.reason,
                    }
                }
            )
        _check_overlap(space, starts_at, ends_at)
        booking = Booking(
            space=space,
            starts_at=starts_at,
            ends_at=ends_at,
            status=BookingStatus.PENDING if space.needs_approval else BookingStatus.CONFIRMED,
            booked_by=actor,
            unit=unit,
            purpose=purpose.strip(),
            attendees=attendees,
            series=series,
        )
        try:
            with transaction.atomic():
                booking.save()
        except IntegrityError as exc:
            # The exclusion constraint caught what the locked check could not see (a row
            # written outside book_space): report the slot the same way.
            _check_overlap(space, starts_at, ends_at)
            raise ValidationError({"starts_at": _("The space is already booked then.")}) from exc
    return booking


def _check_overlap(space: Space, starts_at: datetime, ends_at: datetime) -> None:
    clash = (
        Booking.objects.filter(
            space=space, status__in=LIVE_BOOKING, starts_at__lt=ends_at, ends_at__gt=starts_at
        )
        .order_by("starts_at")
        .first()
    )
    if clash:
        raise ValidationError(
            {
                "starts_at": _("%(space)s is already booked %(span)s.")
                % {"space": space.name, "span": _span(clash.starts_at, clash.ends_at)}
            }
        )


def book_recurring(
    space: Space | int,
    *,
    actor,
    starts_at: datetime,
    ends_at: datetime,
    weeks: int,
    purpose: str,
    attendees: int = 1,
    unit=None,
    now: datetime | None = None,
) -> list[Booking]:
    """The same slot every week for `weeks` weeks (a choir, a tai chi group): all or none."""
    if weeks < 1 or weeks > 26:
        raise ValidationError({"weeks": _("Book between 1 and 26 weeks.")})
    series = uuid.uuid4()
    with transaction.atomic():
        return [
            book_space(
                space,
                actor=actor,
                starts_at=starts_at + timedelta(weeks=i),
                ends_at=ends_at + timedelta(weeks=i),
                purpose=purpose,
                attendees=attendees,
                unit=unit,
                series=series,
                now=now,
            )
            for i in range(weeks)
        ]


def decide_booking(booking: Booking | int, *, actor, approve: bool) -> Booking:
    """Staff approve or reject a pending booking."""
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("space__centre__community")
            .get(pk=getattr(booking, "pk", booking))
        )
        _require_staff(actor, booking.space.centre)
        if booking.status != BookingStatus.PENDING:
            raise ValidationError({"status": _("Only a pending booking can be decided.")})
        booking.status = BookingStatus.CONFIRMED if approve else BookingStatus.REJECTED
        booking.decided_by = actor
        booking.save(update_fields=["status", "decided_by", "updated_at"])
        _notify(
            booking.booked_by_id,
            "booking",
            (
                _("Your booking is confirmed: %(space)s")
                if approve
                else _("Your booking was declined: %(space)s")
            )
            % {"space": booking.space.name},
            _span(booking.starts_at, booking.ends_at),
            booking=booking,
        )
    return booking


def cancel_booking(booking: Booking | int, *, actor, now: datetime | None = None) -> Booking:
    now = now or timezone.now()
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("space__centre__community")
            .get(pk=getattr(booking, "pk", booking))
        )
        if booking.booked_by_id != getattr(actor, "pk", None) and not is_centre_staff(
            actor, booking.space.centre
        ):
            raise ValidationError({"booking": _("No such booking.")})
        if booking.status not in (BookingStatus.PENDING, BookingStatus.CONFIRMED):
            raise ValidationError({"booking": _("This booking can no longer be cancelled.")})
        if booking.starts_at <= now:
            raise ValidationError({"booking": _("This booking has already started.")})
        booking.status = BookingStatus.CANCELLED
        booking.save(update_fields=["status", "updated_at"])
    return booking


# --- check-in by code (核销) --------------------------------------------------------------------


def check_in(code: str, *, actor, now: datetime | None = None) -> SignUp | Booking:
    """Staff scan a resident's QR code (or type it): a sign-up or a booking is checked in
    once. A code outside the staff member's centres is reported as unknown."""
    now = now or timezone.now()
    code = (code or "").strip().upper()
    if not code:
        raise ValidationError({"code": _("Enter or scan a code.")})
    with transaction.atomic():
        signup = (
            SignUp.objects.select_for_update(of=("self",))
            .select_related("activity__centre__community")
            .filter(code=code)
            .first()
        )
        if signup is not None and is_centre_staff(actor, signup.activity.centre):
            return _check_in_signup(signup, actor, now)
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("space__centre__community")
            .filter(code=code)
            .first()
        )
        if booking is not None and is_centre_staff(actor, booking.space.centre):
            return _check_in_booking(booking, actor, now)
    raise ValidationError({"code": _("No sign-up or booking has this code.")})


def _already(at: datetime) -> ValidationError:
    return ValidationError({"code": _("Already checked in at %(when)s.") % {"when": _when(at)}})


def _check_in_signup(signup: SignUp, actor, now: datetime) -> SignUp:
    activity = signup.activity
    if signup.checked_in_at:
        raise _already(signup.checked_in_at)
    if signup.status != SignUpStatus.CONFIRMED:
        raise ValidationError(
            {
                "code": _("This sign-up is %(status)s, not confirmed.")
                % {"status": signup.get_status_display()}
            }
        )
    if not (activity.starts_at - CHECK_IN_EARLY <= now <= activity.ends_at):
        raise ValidationError(
            {
                "code": _("Check-in for this activity is on %(span)s.")
                % {"span": _span(activity.starts_at, activity.ends_at)}
            }
        )
    signup.checked_in_at = now
    signup.checked_in_by = actor
    signup.save(update_fields=["checked_in_at", "checked_in_by", "updated_at"])
    return signup


def _check_in_booking(booking: Booking, actor, now: datetime) -> Booking:
    if booking.checked_in_at:
        raise _already(booking.checked_in_at)
    if booking.status != BookingStatus.CONFIRMED:
        raise ValidationError(
            {"code": _("This booking is %(status)s.") % {"status": booking.get_status_display()}}
        )
    if not (booking.starts_at - CHECK_IN_EARLY <= now <= booking.ends_at):
        raise ValidationError(
            {
                "code": _("This booking is for %(span)s.")
                % {"span": _span(booking.starts_at, booking.ends_at)}
            }
        )
    booking.status = BookingStatus.USED
    booking.checked_in_at = now
    booking.checked_in_by = actor
    booking.save(update_fields=["status", "checked_in_at", "checked_in_by", "updated_at"])
    return booking


# --- affairs (事有所办) ---------------------------------------------------------------------------


def book_appointment(
    slot: AppointmentSlot | int,
    *,
    actor,
    item: AffairItem,
    channel: str = AffairChannel.AT_CENTRE,
    now: datetime | None = None,
) -> Appointment:
    """Book an affairs appointment in a slot (off-hours slots included)."""
    now = now or timezone.now()
    if actor is None or not actor.is_authenticated:
        raise ValidationError({"user": _("Log in to make an appointment.")})
    if item is None or not item.is_active:
        raise ValidationError({"item": _("Choose a service item.")})
    if channel not in item.channels() or channel == AffairChannel.ONLINE:
        raise ValidationError({"channel": _("This item cannot be handled that way.")})
    with transaction.atomic():
        slot = (
            AppointmentSlot.objects.select_for_update(of=("self",))
            .select_related("centre__community")
            .get(pk=getattr(slot, "pk", slot))
        )
        if slot.starts_at <= now:
            raise ValidationError({"slot": _("That time has passed.")})
        if not AffairItem.objects.offered_at(slot.centre).filter(pk=item.pk).exists():
            raise ValidationError({"item": _("This item is not handled at this centre.")})
        person = person_for_user(actor)
        item.check_eligible(person, slot.centre, field="item")
        if slot.appointments.filter(
            user=actor, item=item, status=AppointmentStatus.BOOKED
        ).exists():
            raise ValidationError({"slot": _("You already have this appointment.")})
        if slot.booked_count >= slot.capacity:
            raise ValidationError(
                {
                    "slot": _("The slot %(span)s is full.")
                    % {"span": _span(slot.starts_at, slot.ends_at)}
                }
            )
        appointment = Appointment.objects.create(
            slot=slot, item=item, channel=channel, user=actor, name=person.name
        )
        slot.booked_count += 1
        slot.save(update_fields=["booked_count"])
    return appointment


def cancel_appointment(appointment: Appointment | int, *, actor) -> Appointment:
    with transaction.atomic():
        slot_id = Appointment.objects.values_list("slot_id", flat=True).get(
            pk=getattr(appointment, "pk", appointment)
        )
        slot = (
            AppointmentSlot.objects.select_for_update(of=("self",))
            .select_related("centre__community")
            .get(pk=slot_id)
        )
        appointment = Appointment.objects.get(pk=getattr(appointment, "pk", appointment))
        if appointment.user_id != getattr(actor, "pk", None) and not is_centre_staff(
            actor, slot.centre
        ):
            raise ValidationError({"appointment": _("No such appointment.")})
        if appointment.status != AppointmentStatus.BOOKED:
            raise ValidationError({"appointment": _("This appointment is no longer open.")})
        appointment.status = AppointmentStatus.CANCELLED
        appointment.save(update_fields=["status", "updated_at"])
        slot.booked_count -= 1
        slot.save(update_fields=["booked_count"])
    return appointment


def record_appointment(
    appointment: Appointment | int,
    *,
    actor,
    status: str,
    outcome: str = "",
    acting_for: str = "",
    consent: str = "",
    now: datetime | None = None,
) -> Appointment:
    """Staff record what came of an appointment: handled, referred on or no-show; for proxy
    handling (帮代办) whom they acted for and how that person consented."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("slot__centre__community")
            .get(pk=getattr(appointment, "pk", appointment))
        )
        _require_staff(actor, appointment.slot.centre)
        validate_record(appointment, status, outcome, acting_for, consent)
        appointment.status = status
        appointment.outcome = outcome.strip()
        appointment.acting_for = acting_for.strip()
        appointment.consent = consent.strip()
        appointment.handled_by = actor
        appointment.handled_at = now
        appointment.save()
    return appointment


def validate_record(
    appointment: Appointment, status: str, outcome: str, acting_for: str, consent: str
) -> None:
    """The rules for recording an appointment (the admin form checks them before saving)."""
    if status not in (
        AppointmentStatus.DONE,
        AppointmentStatus.REFERRED,
        AppointmentStatus.NO_SHOW,
    ):
        raise ValidationError({"status": _("Choose handled, referred or did not come.")})
    if appointment.status != AppointmentStatus.BOOKED:
        raise ValidationError({"status": _("This appointment has already been recorded.")})
    if appointment.channel == AffairChannel.PROXY and status == AppointmentStatus.DONE:
        if not (acting_for or "").strip():
            raise ValidationError({"acting_for": _("Say whom you acted for.")})
        if not (consent or "").strip():
            raise ValidationError({"consent": _("Record how the person consented.")})
    if status != AppointmentStatus.NO_SHOW and not (outcome or "").strip():
        raise ValidationError({"outcome": _("Write down the outcome.")})


# --- co-building orders (居民点单 → 社区下单 → 单位接单) ------------------------------------------------


def request_order(item: ListItem | int, *, actor, note: str) -> Order:
    """A resident asks for a unit's service (居民点单)."""
    if actor is None or not actor.is_authenticated:
        raise ValidationError({"user": _("Log in first.")})
    if not note or not note.strip():
        raise ValidationError({"note": _("Say what is needed.")})
    item = ListItem.objects.get(pk=getattr(item, "pk", item))
    if item.kind == "need" or not item.is_open:
        raise ValidationError({"item": _("This item is not taking orders.")})
    return Order.objects.create(item=item, requested_by=actor, note=note.strip())


def place_order(order: Order | int, *, actor, now: datetime | None = None) -> Order:
    """The community passes the order to the unit (社区下单)."""
    now = now or timezone.now()
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",))
            .select_related("item__centre__community")
            .get(pk=getattr(order, "pk", order))
        )
        _require_staff(actor, order.item.centre)
        if order.status != OrderStatus.REQUESTED:
            raise ValidationError({"status": _("Only a requested order can be placed.")})
        order.status = OrderStatus.PLACED
        order.placed_by = actor
        order.placed_at = now
        order.save(update_fields=["status", "placed_by", "placed_at", "updated_at"])
    return order


def _require_unit(actor, item: ListItem) -> None:
    scope = scope_for(actor)
    if not (scope.is_superuser or item.unit_id in scope.unit_ids):
        raise ValidationError({"order": _("No such order.")})


def accept_order(order: Order | int, *, actor, now: datetime | None = None) -> Order:
    """The unit takes the order (单位接单) within its quota."""
    now = now or timezone.now()
    with transaction.atomic():
        item_id = Order.objects.values_list("item_id", flat=True).get(
            pk=getattr(order, "pk", order)
        )
        item = ListItem.objects.select_for_update().get(pk=item_id)
        _require_unit(actor, item)
        order = Order.objects.select_for_update().get(pk=getattr(order, "pk", order))
        if order.status != OrderStatus.PLACED:
            raise ValidationError({"status": _("Only a placed order can be accepted.")})
        if item.claimed >= item.quota:
            raise ValidationError({"item": _("The quota of %(n)s is used up.") % {"n": item.quota}})
        item.claimed += 1
        item.save(update_fields=["claimed", "updated_at"])
        order.status = OrderStatus.ACCEPTED
        order.accepted_at = now
        order.save(update_fields=["status", "accepted_at", "updated_at"])
    return order


def complete_order(
    order: Order | int,
    *,
    actor,
    promise_kept: bool,
    satisfaction: int | None = None,
    now: datetime | None = None,
) -> Order:
    """The community closes an accepted order and rates the unit (践诺度, 满意度)."""
    now = now or timezone.now()
    if satisfaction is not None and not 1 <= int(satisfaction) <= 5:
        raise ValidationError({"satisfaction": _("Satisfaction runs from 1 to 5.")})
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",))
            .select_related("item__centre__community")
            .get(pk=getattr(order, "pk", order))
        )
        _require_staff(actor, order.item.centre)
        if order.status != OrderStatus.ACCEPTED:
            raise ValidationError({"status": _("Only an accepted order can be completed.")})
        order.status = OrderStatus.COMPLETED
        order.completed_at = now
        order.promise_kept = promise_kept
        order.satisfaction = satisfaction
        order.save()
    return order
