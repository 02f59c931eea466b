"""The vocabularies of the case engine: states, actions, types, channels, levels, ratings."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseType(models.TextChoices):
    CONSULTATION = "consultation", _("consultation")  # 咨询
    HELP = "help", _("help")  # 求助
    SUGGESTION = "suggestion", _("suggestion")  # 建议
    COMPLAINT = "complaint", _("complaint")  # 投诉
    REPORT = "report", _("report")  # 举报
    EMERGENCY = "emergency", _("emergency")  # 紧急


class Channel(models.TextChoices):
    RESIDENT_WEB = "resident_web", _("resident online")
    GRID_WORKER = "grid_worker", _("grid worker patrol")
    HOTLINE = "hotline", _("12345 hotline")
    UNIT = "unit", _("co-building unit")
    KIOSK = "kiosk", _("self-service machine")
    WINDOW = "window", _("walk-in at the centre window")  # 窗口来访


class Urgency(models.TextChoices):
    NORMAL = "normal", _("normal")
    URGENT = "urgent", _("urgent")
    CRITICAL = "critical", _("critical")


class State(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")  # 受理
    DISPATCHED = "dispatched", _("dispatched")  # 派单
    SIGNED = "signed", _("signed for")  # 签收
    IN_PROGRESS = "in_progress", _("in progress")  # 办理
    RETURNED = "returned", _("returned, awaiting review")  # 退单
    RESOLVED = "resolved", _("resolved")  # 办结
    CALLED_BACK = "called_back", _("called back")  # 回访
    NOT_ACCEPTED = "not_accepted", _("not accepted")  # 不予受理
    MERGED = "merged", _("merged")  # 并单
    ARCHIVED = "archived", _("archived")  # 归档


# The one vocabulary of where a case stands. OPEN: with a handling unit, clocks running.
# NOT_CLOSED: not finished yet, as a resident sees it (also before dispatch and while a return
# awaits review). CLOSED: finished, whatever the way.
OPEN_STATES = (State.DISPATCHED, State.SIGNED, State.IN_PROGRESS)
NOT_CLOSED_STATES = (State.SUBMITTED, *OPEN_STATES, State.RETURNED)
CLOSED_STATES = (
    State.RESOLVED,
    State.CALLED_BACK,
    State.NOT_ACCEPTED,
    State.MERGED,
    State.ARCHIVED,
)


class Level(models.TextChoices):
    """Who handles the case now, in escalation order."""

    GRID = "grid", _("grid")
    COMMUNITY = "community", _("community")
    STREET = "street", _("street")
    DEPARTMENT = "department", _("district department")
    CITY = "city", _("city 12345")


LEVEL_ORDER: list[str] = [Level.GRID, Level.COMMUNITY, Level.STREET, Level.DEPARTMENT, Level.CITY]


class Card(models.IntegerChoices):
    NONE = 0, _("none")
    YELLOW = 1, _("yellow card")
    RED = 2, _("red card")


class Stage(models.IntegerChoices):
    """How far the timer ladder of one clock has gone. Stored, so each step happens once."""

    NONE = 0, _("on time")
    YELLOW = 1, _("yellow card")
    RED = 2, _("red card")  # expired: red card, escalated one level
    REMINDED = 3, _("reminded")  # 催办, the working day after expiry
    SUPERVISED = 4, _("supervised")  # 督办, still late 5 working days later


class Rating(models.IntegerChoices):
    """The national five-level scale (GB/T 39735-2020)."""

    VERY_SATISFIED = 5, _("very satisfied")  # 非常满意
    SATISFIED = 4, _("satisfied")  # 满意
    BASICALLY_SATISFIED = 3, _("basically satisfied")  # 基本满意
    DISSATISFIED = 2, _("dissatisfied")  # 不满意
    VERY_DISSATISFIED = 1, _("very dissatisfied")  # 非常不满意


SATISFIED_RATINGS = (Rating.VERY_SATISFIED, Rating.SATISFIED, Rating.BASICALLY_SATISFIED)


class CallbackMethod(models.TextChoices):
    RESIDENT = "resident", _("resident online")
    PHONE = "phone", _("staff by phone")
    NO_ANSWER = "no_answer", _("no answer")


class Action(models.TextChoices):
    SUBMIT = "submit", _("submit")
    DISPATCH = "dispatch", _("dispatch")
    SIGN_FOR = "sign_for", _("sign for")
    RECORD_CONTACT = "record_contact", _("record contact")
    START = "start", _("start work")
    ADD_PROGRESS = "add_progress", _("add progress")
    RESOLVE = "resolve", _("resolve")
    RETURN = "return_case", _("return")
    REVIEW_RETURN = "review_return", _("review return")
    TRANSFER = "transfer", _("transfer")
    ESCALATE = "escalate", _("escalate")
    REQUEST_EXTENSION = "request_extension", _("request extension")
    DECIDE_EXTENSION = "decide_extension", _("decide extension")
    ADD_JOINT_UNIT = "add_joint_unit", _("add joint unit")
    REPORT_IN = "report_in", _("report in")
    MERGE = "merge", _("merge")
    NOT_ACCEPTED = "not_accepted", _("not accepted")
    CALLBACK = "callback", _("callback")
    ARCHIVE = "archive", _("archive")
    # Timer steps written by the sweep (no state change except escalation).
    YELLOW = "yellow", _("yellow card")
    RED = "red", _("red card")
    REMIND = "remind", _("reminder")
    SUPERVISE = "supervise", _("supervision")
    # Written when a change of the holiday calendar moves the case's deadlines.
    DEADLINES_MOVED = "deadlines_moved", _("deadlines moved (holiday calendar)")


class ClockUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("working days")
    HOURS = "hours", _("hours (round the clock)")
    SAME_DAY = "same_day", _("the same day")


class JointRole(models.TextChoices):
    LEAD = "lead", _("lead unit")  # 主办
    SUPPORT = "support", _("supporting unit")  # 协办


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")


class PhotoKind(models.TextChoices):
    INTAKE = "intake", _("reported")
    PROGRESS = "progress", _("progress")  # taken while the work goes on (add_progress)
    RESULT = "result", _("result")
