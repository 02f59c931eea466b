"""The write operations of the centres: sign-ups and the waitlist, space bookings, check-in by
code (核销), affairs appointments and co-building orders. Views, the admin, the API and tasks
all call these; nothing else writes these rows.

Races are settled by row locks taken in a fixed order (the activity, the space, the slot or
the list item first), and the database backs each count with a constraint: an activity never
confirms more than its places, a slot never takes more than its capacity, a unit never accepts
beyond its quota, and two live bookings of one space never overlap.

Errors are Django ValidationErrors naming the field, in the user's language.

One module per part of the centre (activities, spaces, checkin, affairs, cobuilding) and the
pieces they share (common); every operation is importable from here, and the models these
operations own name this package (`written_by = "centres.actions"`)."""

from centres.actions.activities import (
    ACTIVITY_FIELDS,
    cancel_activity,
    cancel_signup,
    change_capacity,
    check_places,
    create_activity,
    record_no_shows,
    send_survey,
    sign_up,
    update_activity,
)
from centres.actions.affairs import (
    book_appointment,
    cancel_appointment,
    record_appointment,
    validate_record,
)
from centres.actions.checkin import check_in
from centres.actions.cobuilding import accept_order, complete_order, place_order, request_order
from centres.actions.common import CHECK_IN_EARLY, is_centre_staff
from centres.actions.spaces import book_recurring, book_space, cancel_booking, decide_booking

__all__ = [
    "ACTIVITY_FIELDS",
    "CHECK_IN_EARLY",
    "accept_order",
    "book_appointment",
    "book_recurring",
    "book_space",
    "cancel_activity",
    "cancel_appointment",
    "cancel_booking",
    "cancel_signup",
    "change_capacity",
    "check_in",
    "check_places",
    "complete_order",
    "create_activity",
    "decide_booking",
    "is_centre_staff",
    "place_order",
    "record_appointment",
    "record_no_shows",
    "request_order",
    "send_survey",
    "sign_up",
    "update_activity",
    "validate_record",
]
