"""Mediation's write path: THE only code that changes disputes, parties, mediators, sessions
and follow-ups. Views, the API and the admin call these; each runs in one transaction with the
dispute row locked, checks who acts (mediation.actions.common), writes a timeline event, and
raises ValidationError naming the field for people to read."""

from mediation.actions.intake import (
    PartyIn,
    convert_case,
    household_of,
    is_dispute_case,
    open_dispute,
    request_mediation,
)
from mediation.actions.work import (
    assign_mediator,
    attach_signed_scan,
    book_session,
    cancel_session,
    record_agreement,
    record_follow_up,
    record_session,
    record_signature,
    refer,
    remove_mediator,
    withdraw,
)

__all__ = [
    "PartyIn",
    "assign_mediator",
    "attach_signed_scan",
    "book_session",
    "cancel_session",
    "convert_case",
    "household_of",
    "is_dispute_case",
    "open_dispute",
    "record_agreement",
    "record_follow_up",
    "record_session",
    "record_signature",
    "refer",
    "remove_mediator",
    "request_mediation",
    "withdraw",
]
