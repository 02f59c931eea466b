"""What a phone page says after a submission: what happened and what comes next.

A resident who sees no "sent, case number …, expect a call by …" taps again or phones the
office; these sentences are the confirmations the case pages' submissions leave as messages
(offline.js shows them after sending, online or from the phone's outbox)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from grids.privacy import mask_phone
from notifications import notify
from services import calendar
from services.actions import limits_for
from services.actions.intake import is_mobile, show_tracking_code
from services.models import Case


def when(moment: datetime) -> str:
    """A deadline as people say it: month, day and time (06月12日 17:30)."""
    local = timezone.localtime(moment)
    return f"{date_format(local, 'MONTH_DAY_FORMAT')} {local:%H:%M}"


def expected_call(case: Case) -> datetime:
    """When the handler should have phoned the reporter: the contact clock once dispatch has
    started it, else that clock counted from the filing."""
    if case.contact_due:
        return case.contact_due
    _sign, contact, _resolve = limits_for(case.category_id, case.case_type)
    return calendar.add_clock(case.created_at, *contact)


def filed(case: Case, *, anonymous: bool) -> str:
    said = _(
        "Sent. Your case number is %(number)s. Expect a call from the handler by %(when)s."
    ) % {"number": case.number, "when": when(expected_call(case))}
    if anonymous and case.tracking_code:
        code = _(
            "Note your tracking code %(code)s: with it and the last 4 digits of your phone "
            "you find this case under “Look up my case”."
        ) % {"code": show_tracking_code(case.tracking_code)}
        if texted(case):
            code += " " + _("It is also sent to %(phone)s by text message.") % {
                "phone": mask_phone(case.reporter_phone)
            }
        return f"{said} {code}"
    if anonymous:
        return (
            said
            + " "
            + _(
                "Keep this page (bookmark it or note its address): it is how you follow "
                "your case without logging in."
            )
        )
    return said + " " + _("You can follow it under “My cases”.")


def texted(case: Case) -> bool:
    """Was the tracking code texted to the filer (a mobile number, an SMS gateway)?"""
    return is_mobile(case.reporter_phone) and notify.can_text()


def worker_step(case: Case, action: str) -> str:
    """The confirmation of one step a grid worker took on a case, with the next deadline."""
    number = case.number
    if action == "sign_for":
        if case.contact_due and case.contacted_at is None:
            return _("Case %(number)s is signed for. Call the reporter by %(when)s.") % {
                "number": number,
                "when": when(case.contact_due),
            }
        return _("Case %(number)s is signed for.") % {"number": number}
    if action == "record_contact":
        if case.resolve_due:
            return _("Your call on case %(number)s is recorded. Resolve it by %(when)s.") % {
                "number": number,
                "when": when(case.resolve_due),
            }
        return _("Your call on case %(number)s is recorded.") % {"number": number}
    if action == "add_progress":
        return _("Progress added to case %(number)s.") % {"number": number}
    if action == "resolve":
        return _("Case %(number)s is resolved. The reporter will be asked whether it is fixed.") % {
            "number": number
        }
    if action == "return_case":
        return _("Case %(number)s is returned. A dispatcher will check it and send it on.") % {
            "number": number
        }
    if action == "escalate":
        return _("Case %(number)s is sent to the level above.") % {"number": number}
    return _(
        "Your request for more time on case %(number)s is sent. You will be told the decision."
    ) % {"number": number}
