"""Raising a matter, co-signing it, taking it up or not, comments, and its meetings (booked in
the 议事厅 through centres.actions) with minutes and attendance."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from centres import actions as centre_actions
from centres.models import Space, SpaceKind
from deliberation.actions import notices
from deliberation.actions.common import (
    locked,
    log,
    refuse,
    require_resident,
    require_staff,
    text,
)
from deliberation.eligibility import household_in
from deliberation.models import (
    Attendance,
    Comment,
    Cosign,
    CosignThreshold,
    Matter,
    MatterKind,
    Meeting,
    MeetingKind,
    Source,
    Status,
)
from grids.models import Area
from grids.scope import may_act_on

MATTER_AREAS = ("community", "grid", "estate", "building")


def threshold_for(kind: MatterKind, area: Area) -> int:
    """The community's threshold for this kind, else the kind's default."""
    community = area.ancestor_of_kind("community")
    row = CosignThreshold.objects.filter(community=community, kind=kind).first()
    return row.threshold if row else kind.cosign_threshold


def raise_matter(
    *,
    actor,
    area: Area,
    kind: MatterKind,
    title: str,
    description: str,
    source: str = Source.RESIDENTS,
) -> Matter:
    """Raise a matter. Residents raise for an area they live in and gather co-signers (the
    raiser is the first); staff raise for the party branch, the 业委会 or the office, and the
    matter is proposed straight away."""
    title = text(title, "title", 120)
    description = text(description, "description", 4000)
    if area is None or area.kind not in MATTER_AREAS:
        refuse(_("Choose a community, grid, estate or building."), "area")
    if kind is None or not kind.is_active:
        refuse(_("Choose a kind of matter."), "kind")
    if source not in Source.values or source == Source.CASES:
        refuse(_("Choose who raises the matter."), "source")
    household = None
    if source == Source.RESIDENTS:
        if actor is None or not getattr(actor, "is_authenticated", False):
            refuse(_("Log in first."))
        household = household_in(actor, area)
        if household is None:
            refuse(
                _("You can raise matters only where you live; your household is not in %(area)s.")
                % {"area": area.name},
                "area",
            )
    elif not may_act_on(actor, area):
        refuse(_("This area is outside your responsibility."), "area")
    threshold = threshold_for(kind, area) if source == Source.RESIDENTS else 0
    with transaction.atomic():
        matter = Matter.objects.create(
            area=area,
            kind=kind,
            title=title,
            description=description,
            source=source,
            raised_by=actor,
            status=Status.COSIGNING if source == Source.RESIDENTS else Status.PROPOSED,
            vote_unit=kind.vote_unit,
            quorum=kind.quorum,
            majority=kind.majority,
            weighted_by_area=kind.weighted_by_area,
            secret=kind.secret,
            cosign_threshold=threshold,
        )
        log(matter, "raised", actor, source)
        if household is not None:
            Cosign.objects.create(matter=matter, user=actor, household_id=household)
            _count_cosign(matter)
    return matter


def _count_cosign(matter: Matter) -> None:
    matter.cosign_count = matter.cosigns.count()
    fields = ["cosign_count", "updated_at"]
    if matter.status == Status.COSIGNING and matter.cosign_count >= matter.cosign_threshold:
        matter.status = Status.PROPOSED
        fields.append("status")
        log(matter, "threshold", None, str(matter.cosign_count))
    matter.save(update_fields=fields)


def cosign(matter: Matter | int, *, actor) -> Matter:
    """A resident of the area supports the matter (附议); once each. Reaching the threshold
    proposes it to the community."""
    with transaction.atomic():
        matter = locked(matter)
        household = require_resident(actor, matter)
        if matter.status != Status.COSIGNING:
            refuse(_("This matter is no longer gathering co-signers."))
        try:
            with transaction.atomic():
                Cosign.objects.create(matter=matter, user=actor, household_id=household)
        except IntegrityError:
            refuse(_("You have already co-signed this matter."))
        _count_cosign(matter)
    return matter


def accept_matter(matter: Matter | int, *, actor, note: str = "") -> Matter:
    """The community takes a proposed matter up for deliberation (立项)."""
    with transaction.atomic():
        matter = locked(matter)
        require_staff(actor, matter)
        if matter.status != Status.PROPOSED:
            refuse(_("Only a proposed matter can be taken up."))
        matter.status = Status.DELIBERATING
        matter.save(update_fields=["status", "updated_at"])
        log(matter, "accepted", actor, text(note, "note", 500, required=False))
    return matter


def decline_matter(matter: Matter | int, *, actor, reason: str) -> Matter:
    """The community does not take the matter up; the residents see why."""
    reason = text(reason, "reason", 200)
    with transaction.atomic():
        matter = locked(matter)
        require_staff(actor, matter)
        if matter.status not in (Status.COSIGNING, Status.PROPOSED):
            refuse(_("This matter is already under deliberation."))
        matter.status = Status.DECLINED
        matter.declined_reason = reason
        matter.save(update_fields=["status", "declined_reason", "updated_at"])
        log(matter, "declined", actor, reason)
    return matter


def add_comment(matter: Matter | int, *, actor, body: str) -> Comment:
    """Discussion (议) by residents of the area and the staff responsible."""
    body = text(body, "body", 1000)
    matter = Matter.objects.select_related("area").get(pk=getattr(matter, "pk", matter))
    if not may_act_on(actor, matter.area):
        require_resident(actor, matter, "body")
    if matter.status == Status.DECLINED:
        refuse(_("This matter was not taken up; it is closed for discussion."), "body")
    return Comment.objects.create(matter=matter, author=actor, body=body)


def schedule_meeting(
    matter: Matter | int,
    *,
    actor,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    agenda: str,
    space: Space | None = None,
    place: str = "",
    attendees: int = 10,
) -> Meeting:
    """Give notice of a meeting with its agenda. With a 议事厅 it is booked through
    centres.actions.book_space (its rules: hours, clashes, closures); the booking and the
    meeting land together or not at all."""
    agenda = text(agenda, "agenda", 4000)
    place = text(place, "place", 120, required=False)
    if kind not in MeetingKind.values:
        refuse(_("Choose the meeting."), "kind")
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        refuse(_("The end must be after the start."), "ends_at")
    if space is None and not place:
        refuse(_("Choose the deliberation hall or say where the meeting is."), "space")
    with transaction.atomic():
        matter = locked(matter)
        require_staff(actor, matter)
        if matter.status in (Status.COSIGNING, Status.PROPOSED, Status.DECLINED):
            refuse(_("Take the matter up before calling a meeting."))
        planned = matter.kind.preset.meetings
        if planned and kind not in planned:
            refuse(_("This matter's flow has no such meeting."), "kind")
        booking = None
        if space is not None:
            if space.kind != SpaceKind.DELIBERATION:
                refuse(_("Choose a deliberation hall (议事厅)."), "space")
            booking = centre_actions.book_space(
                space,
                actor=actor,
                starts_at=starts_at,
                ends_at=ends_at,
                purpose=(_("Deliberation: %(title)s") % {"title": matter.title})[:200],
                attendees=max(1, min(attendees, space.capacity)),
            )
            place = place or str(space)
        meeting = Meeting.objects.create(
            matter=matter,
            kind=kind,
            starts_at=starts_at,
            ends_at=ends_at,
            agenda=agenda,
            booking=booking,
            place=place,
        )
        log(matter, "meeting", actor, kind)
        notices.meeting_called(matter, meeting)
    return meeting


def record_minutes(
    meeting: Meeting | int, *, actor, minutes: str, attendees: list[tuple[str, str]]
) -> Meeting:
    """Minutes and the attendance sheet of a meeting held (replacing an earlier entry).
    `attendees` are (name, attending as) pairs; a name is matched to a household of the area
    when exactly one resident of that name lives there."""
    from grids.models import Resident

    minutes = text(minutes, "minutes", 20000)
    names: dict[str, str] = {}
    for name, capacity in attendees:
        name = (name or "").strip()[:60]
        if name:
            names.setdefault(name, (capacity or "").strip()[:40])
    if not names:
        refuse(_("List at least one person who attended."), "attendees")
    with transaction.atomic():
        meeting = (
            Meeting.objects.select_for_update()
            .select_related("matter__area")
            .get(pk=getattr(meeting, "pk", meeting))
        )
        require_staff(actor, meeting.matter)
        from django.utils import timezone

        if meeting.starts_at > timezone.now():
            refuse(_("Minutes can be entered once the meeting has started."), "minutes")
        homes: dict[str, list[int]] = {}
        for name, household_id in Resident.objects.filter(
            name__in=list(names), household__building__path__startswith=meeting.matter.area.path
        ).values_list("name", "household_id"):
            homes.setdefault(name, []).append(household_id)
        meeting.attendance.all().delete()
        Attendance.objects.bulk_create(
            Attendance(
                meeting=meeting,
                name=name,
                capacity=capacity,
                household_id=homes[name][0] if len(homes.get(name, [])) == 1 else None,
            )
            for name, capacity in names.items()
        )
        meeting.minutes = minutes
        meeting.minutes_at = timezone.now()
        meeting.minutes_by = actor
        meeting.save(update_fields=["minutes", "minutes_at", "minutes_by", "updated_at"])
        log(meeting.matter, "minutes", actor, meeting.kind)
    return meeting


__all__ = [
    "accept_matter",
    "add_comment",
    "cosign",
    "decline_matter",
    "raise_matter",
    "record_minutes",
    "schedule_meeting",
    "threshold_for",
]
