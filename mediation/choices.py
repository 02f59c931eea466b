"""The vocabularies of mediation (调解): kinds of dispute, where a dispute came from, where it
stands, who mediates, where an unsettled dispute is referred and how a follow-up went."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DisputeKind(models.TextChoices):
    NEIGHBOUR = "neighbour", _("neighbour dispute (邻里纠纷)")
    PROPERTY = "property", _("property management dispute (物业纠纷)")
    FAMILY = "family", _("family dispute (婚姻家庭纠纷)")
    TENANCY = "tenancy", _("tenancy dispute (房屋租赁纠纷)")
    DAMAGE = "damage", _("damage and compensation (损害赔偿纠纷)")
    OTHER = "other", _("other dispute")


class Source(models.TextChoices):
    DESK = "desk", _("desk intake")
    GRID = "grid", _("grid worker")
    RESIDENT = "resident", _("resident's request")
    CASE = "case", _("converted 12345 case")


class Status(models.TextChoices):
    RECEIVED = "received", _("received (受理)")
    MEDIATING = "mediating", _("being mediated (调解中)")
    AGREED = "agreed", _("agreement reached, awaiting signatures")
    SETTLED = "settled", _("settled (调解成功)")
    REFERRED = "referred", _("no agreement, referred (调解不成)")
    WITHDRAWN = "withdrawn", _("withdrawn")


OPEN_STATUSES = (Status.RECEIVED, Status.MEDIATING, Status.AGREED)
CLOSED_STATUSES = (Status.SETTLED, Status.REFERRED, Status.WITHDRAWN)


class PartyKind(models.TextChoices):
    RESIDENT = "resident", _("resident")
    HOUSEHOLD = "household", _("household")
    COMPANY = "company", _("property company")
    UNIT = "unit", _("unit")
    OTHER = "other", _("other")


class Side(models.TextChoices):
    APPLICANT = "applicant", _("applicant (申请人)")
    RESPONDENT = "respondent", _("respondent (被申请人)")


class MediatorKind(models.TextChoices):
    COMMUNITY = "community", _("community mediator (人民调解员)")
    JUDGE = "judge", _("judge's studio (法官工作室)")
    LAWYER = "lawyer", _("lawyer on duty (值班律师)")


class ReferredTo(models.TextChoices):
    COURT = "court", _("people's court (法院)")
    JUSTICE_OFFICE = "justice_office", _("judicial office (司法所)")
    ARBITRATION = "arbitration", _("arbitration (仲裁)")
    POLICE = "police", _("police station (派出所)")
    OTHER = "other", _("other body")


class FollowUpResult(models.TextChoices):
    KEPT = "kept", _("agreement kept")
    PARTLY = "partly", _("partly kept")
    BROKEN = "broken", _("not kept")


class SignMethod(models.TextChoices):
    IN_PERSON = "in_person", _("signed in person")
    SCAN = "scan", _("signed copy scanned")


# The steps of a dispute's timeline (Event.action), in words.
EVENT_LABELS = {
    "received": _("Request received"),
    "mediator": _("A mediator was assigned"),
    "mediator_removed": _("A mediator was taken off"),
    "session_booked": _("A session was booked"),
    "session_cancelled": _("A session was cancelled"),
    "session_held": _("A session was held"),
    "agreed": _("The terms were agreed"),
    "signed": _("A party signed"),
    "settled": _("Settled"),
    "scan": _("Scanned agreement attached"),
    "referred": _("No agreement: referred"),
    "withdrawn": _("Withdrawn"),
    "follow_up": _("Follow-up visit"),
}
# What the resident who asked sees of them.
PUBLIC_EVENTS = frozenset(EVENT_LABELS) - {"mediator_removed", "scan"}
