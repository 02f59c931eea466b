"""Activities: publishing and changing them, their places, sign-ups with the waitlist,
cancelling, and the follow-up survey."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from centres.actions.common import _notice, _require_staff, _span, _when, is_centre_staff
from centres.models import Activity, SignUp, SignUpStatus
from centres.people import Person, person_for_resident, person_for_user
from grids.models import Resident
from notifications import notify

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
    activity_id: int = activity.pk if isinstance(activity, Activity) else activity
    # Who is signing up, and whether they may, does not depend on the places left: work it
    # out before taking the activity's lock, so the lock is held for the few statements that
    # decide the place (everyone else signing up for this activity waits on it).
    activity = Activity.objects.select_related("centre__community").get(pk=activity_id)
    if resident is not None:
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
    signup_id: int = signup.pk if isinstance(signup, SignUp) else signup
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
    notices = []
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
        notices.append(
            _notice(
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
        )
    notify.send(notices)
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
        notify.send(
            _notice(
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
            for signup in live
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
    """Send the follow-up survey to those who came (checked in), each once. The survey is the
    activity's built-in questionnaire in the surveys engine (a 1-5 score and the activity's
    own question); the notice opens its answer page."""
    from surveys.actions import activity_questionnaire

    now = now or timezone.now()
    with transaction.atomic():
        activity = Activity.objects.select_related("centre__community").get(
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
        if not rows:
            return 0
        round = activity_questionnaire(activity, now=now)
        link = reverse("surveys:answer", args=[round.pk])
        notices = []
        for signup in rows:
            signup.survey_sent_at = now
            signup.save(update_fields=["survey_sent_at"])
            if signup.user_id:
                notices.append(
                    notify.Message(
                        user=signup.user_id,
                        kind="survey",
                        title=_("How was “%(title)s”?") % {"title": activity.title},
                        body=activity.survey_question,
                        link=link,
                    )
                )
        notify.send(notices)
    return len(rows)
