"""Telling the residents of a matter's place: a meeting called (notice and agenda), the vote
opened, the result published. Called inside the operation's transaction: the notice row
(`MatterNotice`, unique per matter and event) and the inbox rows land with the change or not
at all, and notifications.notify sends the other channels on commit. A second call for the
same event sends nothing."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from deliberation.models import Matter, MatterNotice
from grids.models import Household, Resident, Role, RoleAssignment
from notifications import notify


def residents_of(matter: Matter) -> list[int]:
    """The ids of the active users living in the matter's area: a current resident role on a
    household there, or a resident record there linked to their account (as eligibility
    reads it)."""
    households = Household.objects.filter(building__path__startswith=matter.area.path).values("pk")
    by_role = (
        RoleAssignment.objects.current()
        .filter(role=Role.RESIDENT, household__in=households)
        .values("user_id")
    )
    by_record = Resident.objects.filter(household__in=households, user__isnull=False).values(
        "user_id"
    )
    return list(
        get_user_model()
        .objects.filter(Q(pk__in=by_role) | Q(pk__in=by_record), is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def tell_residents(matter: Matter, *, key: str, kind: str, title: str, body: str = "") -> int:
    """Notify the residents of the matter's place once for the event `key`; returns how many
    were told (0 when this event's notice has already gone out)."""
    notice, created = MatterNotice.objects.get_or_create(matter=matter, key=key)
    if not created:
        return 0
    users = residents_of(matter)
    link = reverse("deliberation:matter", args=[matter.pk])
    count = notify.queue(users=users, kind=kind, title=title[:200], body=body, link=link)
    notice.recipients = len(users)
    notice.save(update_fields=["recipients"])
    return count


def when(value) -> str:
    return formats.date_format(timezone.localtime(value), "Y-m-d H:i")


def meeting_called(matter: Matter, meeting) -> int:
    return tell_residents(
        matter,
        key=f"meeting:{meeting.pk}",
        kind="delib_meeting",
        title=_("Meeting on “%(title)s”: %(time)s")
        % {"title": matter.title, "time": when(meeting.starts_at)},
        body=_("Where: %(place)s\nAgenda: %(agenda)s")
        % {"place": meeting.place, "agenda": meeting.agenda},
    )


def vote_opened(matter: Matter) -> int:
    return tell_residents(
        matter,
        key="vote",
        kind="delib_vote",
        title=_("Vote open on “%(title)s” until %(time)s")
        % {"title": matter.title, "time": when(matter.vote_closes_at)},
        body=matter.plan,
    )


def result_published(matter: Matter) -> int:
    return tell_residents(
        matter,
        key="result",
        kind="delib_result",
        title=_("Result of the vote on “%(title)s” published") % {"title": matter.title},
    )
