"""Every kind of notification, defined once: its code (stored on each row), its label, the
group a user's preferences are kept by, and the channels it goes out on when the user has not
chosen (each only where the site has it switched on: settings.LINLI["NOTIFY_CHANNELS"]).

A new kind is one line here; notify.send refuses a code that is not listed, so a typo fails
in the tests instead of landing in nobody's settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:  # what gettext_lazy returns, as django-stubs names it
    from django.utils.functional import _StrPromise as Label
else:
    from django.utils.functional import Promise as Label

INBOX, SMS, WECHAT, EMAIL = "inbox", "sms", "wechat", "email"
# The channels a user chooses between on /inbox/settings/, in the order shown.
USER_CHANNELS: tuple[str, ...] = (INBOX, SMS, WECHAT, EMAIL)
CHANNEL_LABELS: dict[str, Label] = {
    INBOX: _("In-site inbox"),
    SMS: _("Text message (SMS)"),
    WECHAT: _("WeChat template message"),
    EMAIL: _("Email"),
}
# Channels that wait for the end of the user's quiet hours (the inbox never rings).
QUIET_CHANNELS = frozenset({SMS, WECHAT})


@dataclass(frozen=True)
class Group:
    code: str
    label: Label
    # Channels a user may not switch off for this group: a case dispatched to a handler must
    # reach their inbox, whatever else they turn off.
    required: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Kind:
    code: str
    label: Label
    group: str
    channels: tuple[str, ...]  # by default, where the site has them


CASE_WORK = Group("case_work", _("Case work (for staff)"), required=frozenset({INBOX}))
MY_CASES = Group("my_cases", _("My requests (12345)"))
CENTRES = Group("centres", _("Centre activities, bookings and appointments"))
TIMEBANK = Group("timebank", _("Volunteer time bank"))
DELIBERATION = Group("deliberation", _("Neighbourhood deliberation (议事)"))
GROUPS: dict[str, Group] = {
    g.code: g for g in (CASE_WORK, MY_CASES, CENTRES, TIMEBANK, DELIBERATION)
}

_ALL = (INBOX, SMS, WECHAT)
_QUIET = (INBOX, WECHAT)

KINDS: dict[str, Kind] = {
    k.code: k
    for k in (
        # 12345 case engine: staff
        Kind("assigned", _("Case assigned to you"), CASE_WORK.code, _ALL),
        Kind("joint", _("Joint handling requested"), CASE_WORK.code, _QUIET),
        Kind("extension", _("Extension decided"), CASE_WORK.code, _QUIET),
        Kind("yellow", _("Yellow card"), CASE_WORK.code, _QUIET),
        Kind("red", _("Red card"), CASE_WORK.code, _ALL),
        Kind("remind", _("Reminder (催办)"), CASE_WORK.code, _ALL),
        Kind("supervise", _("Supervision (督办)"), CASE_WORK.code, _ALL),
        # 12345 case engine: the people who raised or follow a case
        Kind("case_received", _("Request received"), MY_CASES.code, (INBOX, SMS)),
        Kind("case_followed", _("Following an open request"), MY_CASES.code, (INBOX, SMS)),
        Kind("resolved", _("Request resolved"), MY_CASES.code, _ALL),
        Kind("merged", _("Request merged"), MY_CASES.code, _QUIET),
        Kind("not_accepted", _("Request not accepted"), MY_CASES.code, _ALL),
        # Centres
        Kind("reminder", _("Tomorrow's reminder"), CENTRES.code, _QUIET),
        Kind("promoted", _("Off the waiting list"), CENTRES.code, _ALL),
        Kind("cancelled", _("Activity cancelled"), CENTRES.code, _ALL),
        Kind("booking", _("Booking decided"), CENTRES.code, _QUIET),
        Kind("survey", _("Activity survey"), CENTRES.code, (INBOX,)),
        # Time bank
        Kind("order_taken", _("Service order taken"), TIMEBANK.code, _QUIET),
        Kind("order_assigned", _("Service order assigned to you"), TIMEBANK.code, _ALL),
        Kind("points", _("Points awarded"), TIMEBANK.code, (INBOX,)),
        Kind("order_flagged", _("Service order nobody took"), TIMEBANK.code, _QUIET),
        # Deliberation (议事): the residents of the matter's place
        Kind("delib_meeting", _("Deliberation meeting called"), DELIBERATION.code, _QUIET),
        Kind("delib_vote", _("Deliberation vote open"), DELIBERATION.code, _ALL),
        Kind("delib_result", _("Deliberation result published"), DELIBERATION.code, _QUIET),
    )
}


def get(code: str) -> Kind:
    """The kind with this code; KeyError for a code nobody defined."""
    return KINDS[code]


def label(code: str) -> str:
    """The kind's label, or the code itself for a row written under a kind since retired."""
    kind = KINDS.get(code)
    return str(kind.label) if kind else code


def kinds_of(group: str) -> list[Kind]:
    return [k for k in KINDS.values() if k.group == group]
