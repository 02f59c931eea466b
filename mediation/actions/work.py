"""The mediation itself: mediators, sessions booked in centre spaces (centres.actions), the
outcome (an agreement and every party's signature, or a referral), follow-up visits. A linked
12345 case is resolved through services.actions when the mediation ends."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from centres import actions as centre_actions
from centres.models import Agreement, Space
from grids.models import CoBuildingUnit, RoleAssignment
from grids.models.roles import Role
from grids.scope import build_scope
from mediation.actions.common import (
    event,
    is_head,
    is_office,
    lock,
    require_mediator,
    require_office,
    require_open,
)
from mediation.choices import (
    FollowUpResult,
    MediatorKind,
    ReferredTo,
    SignMethod,
    Status,
)
from mediation.models import Dispute, FollowUp, Mediator, Party, Session
from mediation.privacy import is_mediator

SCAN_TYPES = {"application/pdf", "image/jpeg", "image/png"}
SCAN_MAX_BYTES = 10 * 1024 * 1024


def _unit_serves(unit: CoBuildingUnit, dispute: Dispute) -> bool:
    """A unit reported to the community, or bound to one of its centres by a current
    co-building agreement."""
    if unit.home_community_id == dispute.community_id:
        return True
    today = timezone.localdate()
    return Agreement.objects.filter(
        unit=unit,
        centre__community=dispute.community,
        starts_on__lte=today,
        ends_on__gte=today,
    ).exists()


@transaction.atomic
def assign_mediator(
    dispute: Dispute | int, *, actor, user, kind: str, unit: CoBuildingUnit | None = None
) -> Mediator:
    """指派调解员: the community's office names a mediator. A community mediator is staff whose
    area covers the dispute; a judge's studio or lawyer on duty is a member of a co-building
    unit serving the community (reported to it, or under a current agreement)."""
    dispute = lock(dispute, actor)
    require_open(dispute)
    require_office(actor, dispute)
    if user is None:
        raise ValidationError({"user": _("Choose the mediator's account.")})
    if kind not in MediatorKind.values:
        raise ValidationError({"kind": _("Choose the kind of mediator.")})
    if kind == MediatorKind.COMMUNITY:
        scope = build_scope(user)
        if not (scope.is_staff and scope.covers_area(dispute.place)):
            raise ValidationError(
                {"user": _("A community mediator must be staff of this community.")}
            )
        unit = None
    else:
        if unit is None:
            raise ValidationError({"unit": _("Choose the unit the mediator comes from.")})
        member = (
            RoleAssignment.objects.current()
            .filter(user=user, role=Role.UNIT_MEMBER, unit=unit)
            .exists()
        )
        if not member:
            raise ValidationError({"user": _("This account is not a member of that unit.")})
        if not _unit_serves(unit, dispute):
            raise ValidationError({"unit": _("This unit does not serve the community.")})
    if Mediator.objects.filter(dispute=dispute, user=user).exists():
        raise ValidationError({"user": _("This person already mediates this dispute.")})
    name = getattr(user, "display_name", "") or user.get_username()
    mediator = Mediator.objects.create(
        dispute=dispute, user=user, kind=kind, unit=unit, name=name, assigned_by=actor
    )
    if dispute.status == Status.RECEIVED:
        dispute.status = Status.MEDIATING
    event(dispute, actor, "mediator", name)
    _notify(dispute, [user.pk], _("You mediate dispute %(n)s") % {"n": dispute.number}, staff=True)
    return mediator


@transaction.atomic
def remove_mediator(mediator: Mediator | int, *, actor) -> None:
    m = Mediator.objects.select_related("dispute").filter(pk=getattr(mediator, "pk", mediator))
    found = m.first()
    if found is None:
        raise ValidationError({"mediator": _("No such mediator.")})
    dispute = lock(found.dispute_id, actor)
    require_open(dispute)
    require_office(actor, dispute)
    found.delete()
    event(dispute, actor, "mediator_removed", found.name)


def _check_space(space: Space, dispute: Dispute) -> None:
    centre = space.centre
    if (
        centre.community_id != dispute.community_id
        and not centre.served_areas.filter(pk=dispute.community_id).exists()
    ):
        raise ValidationError({"space": _("Choose a space of a centre serving this community.")})


@transaction.atomic
def book_session(
    dispute: Dispute | int,
    *,
    actor,
    space: Space | int,
    starts_at: datetime,
    ends_at: datetime,
    attendees: int = 4,
) -> Session:
    """预约调解: a session in a centre space, booked through centres.actions.book_space (its
    rules: hours, closures, overlaps). The booking's purpose names the dispute's number only."""
    dispute = lock(dispute, actor)
    require_open(dispute)
    if not (is_mediator(actor, dispute) or is_office(actor, dispute) or is_head(actor, dispute)):
        raise ValidationError({"actor": _("Only the dispute's mediators can do this.")})
    space_obj = (
        Space.objects.select_related("centre").filter(pk=getattr(space, "pk", space)).first()
    )
    if space_obj is None:
        raise ValidationError({"space": _("No such space.")})
    _check_space(space_obj, dispute)
    booking = centre_actions.book_space(
        space_obj,
        actor=actor,
        starts_at=starts_at,
        ends_at=ends_at,
        purpose=_("Mediation session %(n)s") % {"n": dispute.number},
        attendees=attendees,
    )
    session = Session.objects.create(
        dispute=dispute, booking=booking, starts_at=starts_at, ends_at=ends_at
    )
    if dispute.status == Status.RECEIVED:
        dispute.status = Status.MEDIATING
    local = timezone.localtime(starts_at)
    event(dispute, actor, "session_booked", f"{space_obj} {local:%Y-%m-%d %H:%M}")
    return session


@transaction.atomic
def cancel_session(session: Session | int, *, actor) -> Session:
    found = Session.objects.filter(pk=getattr(session, "pk", session)).first()
    if found is None:
        raise ValidationError({"session": _("No such session.")})
    dispute = lock(found.dispute_id, actor)
    if not (is_mediator(actor, dispute) or is_office(actor, dispute)):
        raise ValidationError({"actor": _("Only the dispute's mediators can do this.")})
    if found.held_at or found.cancelled:
        raise ValidationError({"session": _("This session can no longer be cancelled.")})
    centre_actions.cancel_booking(found.booking_id, actor=found.booking.booked_by)
    found.cancelled = True
    found.save(update_fields=["cancelled", "updated_at"])
    event(dispute, actor, "session_cancelled")
    return found


@transaction.atomic
def record_session(
    session: Session | int,
    *,
    actor,
    attended: list[int],
    notes: str,
    others_present: str = "",
) -> Session:
    """The attendance and notes of a session that has begun (mediators only: notes are
    private)."""
    found = Session.objects.filter(pk=getattr(session, "pk", session)).first()
    if found is None:
        raise ValidationError({"session": _("No such session.")})
    dispute = lock(found.dispute_id, actor)
    require_mediator(actor, dispute)
    if found.cancelled:
        raise ValidationError({"session": _("This session was cancelled.")})
    if found.starts_at > timezone.now():
        raise ValidationError({"session": _("The session has not begun yet.")})
    notes = (notes or "").strip()
    if not notes:
        raise ValidationError({"notes": _("Write what was said and agreed in the session.")})
    if len(notes) > 4000 or len(others_present or "") > 200:
        raise ValidationError({"notes": _("Keep the notes within 4000 characters.")})
    parties = set(Party.objects.filter(dispute=dispute).values_list("pk", flat=True))
    chosen = {int(p) for p in attended}
    if not chosen <= parties:
        raise ValidationError({"attended": _("Choose parties of this dispute.")})
    found.notes = notes
    found.others_present = (others_present or "").strip()
    found.held_at = timezone.now()
    found.save()
    found.attended.set(chosen)
    event(dispute, actor, "session_held", _("%(n)s parties came") % {"n": len(chosen)})
    return found


@transaction.atomic
def record_agreement(dispute: Dispute | int, *, actor, terms: str) -> Dispute:
    """达成协议: the terms as agreed. The dispute is settled when every party has signed."""
    dispute = lock(dispute, actor)
    require_mediator(actor, dispute)
    if dispute.status not in (Status.RECEIVED, Status.MEDIATING, Status.AGREED):
        require_open(dispute)
    terms = (terms or "").strip()
    if not terms:
        raise ValidationError({"terms": _("Write the terms the parties agreed.")})
    if len(terms) > 4000:
        raise ValidationError({"terms": _("Keep the terms within 4000 characters.")})
    if Party.objects.filter(dispute=dispute, signed_at__isnull=False).exists():
        raise ValidationError({"terms": _("Parties have signed these terms: they cannot change.")})
    dispute.terms = terms
    dispute.status = Status.AGREED
    dispute.agreed_at = timezone.now()
    event(dispute, actor, "agreed")
    return dispute


@transaction.atomic
def record_signature(
    dispute: Dispute | int, *, actor, party: Party | int, method: str = SignMethod.IN_PERSON
) -> Party:
    """A party signed the agreement (who, when, how). When the last one has, the dispute is
    settled and a linked case resolved."""
    dispute = lock(dispute, actor)
    require_mediator(actor, dispute)
    if dispute.status != Status.AGREED:
        raise ValidationError({"status": _("Record the agreed terms before the signatures.")})
    if method not in SignMethod.values:
        raise ValidationError({"method": _("Say how the party signed.")})
    found = Party.objects.filter(dispute=dispute, pk=getattr(party, "pk", party)).first()
    if found is None:
        raise ValidationError({"party": _("Choose a party of this dispute.")})
    if found.signed_at is not None:
        raise ValidationError({"party": _("This party has already signed.")})
    now = timezone.now()
    found.signed_at, found.sign_method, found.signature_recorded_by = now, method, actor
    found.save()
    event(dispute, actor, "signed", found.get_side_display())
    if not Party.objects.filter(dispute=dispute, signed_at__isnull=True).exists():
        dispute.status = Status.SETTLED
        dispute.settled_at = dispute.closed_at = now
        event(dispute, actor, "settled")
        _close_case(
            dispute,
            actor,
            _("Settled by mediation: agreement %(n)s signed.") % {"n": dispute.number},
        )
        _notify(
            dispute,
            _requesters(dispute),
            _("Your dispute %(n)s is settled") % {"n": dispute.number},
        )
    return found


@transaction.atomic
def attach_signed_scan(dispute: Dispute | int, *, actor, upload) -> Dispute:
    """The scanned signed agreement (PDF, JPEG or PNG, up to 10 MB)."""
    dispute = lock(dispute, actor)
    require_mediator(actor, dispute)
    if dispute.status not in (Status.AGREED, Status.SETTLED):
        raise ValidationError({"scan": _("Record the agreed terms first.")})
    if upload is None:
        raise ValidationError({"scan": _("Choose the scanned file.")})
    if getattr(upload, "content_type", "") not in SCAN_TYPES:
        raise ValidationError({"scan": _("Upload a PDF, JPEG or PNG file.")})
    if upload.size > SCAN_MAX_BYTES:
        raise ValidationError({"scan": _("The file is larger than 10 MB.")})
    head = upload.read(8)
    upload.seek(0)
    if not (head.startswith(b"%PDF") or head.startswith(b"\xff\xd8") or head[:4] == b"\x89PNG"):
        raise ValidationError({"scan": _("Upload a PDF, JPEG or PNG file.")})
    dispute.signed_scan.save(f"{dispute.number}{_ext(head)}", upload, save=False)
    event(dispute, actor, "scan")
    return dispute


def _ext(head: bytes) -> str:
    return ".pdf" if head.startswith(b"%PDF") else ".png" if head[:4] == b"\x89PNG" else ".jpg"


@transaction.atomic
def refer(dispute: Dispute | int, *, actor, to: str, note: str = "") -> Dispute:
    """调解不成: no agreement; the parties are referred (法院, 司法所, 仲裁 …)."""
    dispute = lock(dispute, actor)
    require_mediator(actor, dispute)
    require_open(dispute)
    if to not in ReferredTo.values:
        raise ValidationError({"referred_to": _("Choose where the parties are referred.")})
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": _("Keep the note within 2000 characters.")})
    dispute.status = Status.REFERRED
    dispute.referred_to = to
    dispute.referral_note = note
    dispute.closed_at = timezone.now()
    event(dispute, actor, "referred", dispute.get_referred_to_display())
    _close_case(
        dispute,
        actor,
        _("Mediation %(n)s reached no agreement; the parties were referred to %(to)s.")
        % {"n": dispute.number, "to": dispute.get_referred_to_display()},
    )
    _notify(
        dispute, _requesters(dispute), _("Your dispute %(n)s: no agreement") % {"n": dispute.number}
    )
    return dispute


@transaction.atomic
def withdraw(dispute: Dispute | int, *, actor, reason: str) -> Dispute:
    """The applicant withdrew (or the office closed an abandoned request)."""
    dispute = lock(dispute, actor)
    require_open(dispute)
    own = dispute.requested_by_id is not None and dispute.requested_by_id == actor.pk
    if not (own or is_mediator(actor, dispute) or is_office(actor, dispute)):
        raise ValidationError({"actor": _("Only the dispute's mediators can do this.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the request is withdrawn.")})
    dispute.status = Status.WITHDRAWN
    dispute.closed_at = timezone.now()
    event(dispute, actor, "withdrawn", reason[:200])
    return dispute


@transaction.atomic
def record_follow_up(
    dispute: Dispute | int, *, actor, visited_on: date, result: str, note: str = ""
) -> FollowUp:
    """回访: a visit after the agreement, and whether it is kept. Mediators or staff whose
    area covers the place (the grid worker visits)."""
    from grids.scope import may_act_on

    dispute = lock(dispute, actor)
    if not (is_mediator(actor, dispute) or may_act_on(actor, dispute.place)):
        raise ValidationError({"actor": _("Only the dispute's mediators can do this.")})
    if dispute.status != Status.SETTLED:
        raise ValidationError({"status": _("Follow-up visits come after a signed agreement.")})
    if result not in FollowUpResult.values:
        raise ValidationError({"result": _("Choose how the agreement is being kept.")})
    if visited_on is None or visited_on > timezone.localdate():
        raise ValidationError({"visited_on": _("The visit date cannot be in the future.")})
    if visited_on < timezone.localtime(dispute.settled_at).date():
        raise ValidationError({"visited_on": _("The visit cannot be before the settlement.")})
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": _("Keep the note within 2000 characters.")})
    row = FollowUp.objects.create(
        dispute=dispute, visited_on=visited_on, result=result, note=note, by=actor
    )
    event(dispute, actor, "follow_up", row.get_result_display())
    return row


# --- the linked case and notices --------------------------------------------------------------


def _close_case(dispute: Dispute, actor, result: str) -> None:
    """Resolve a linked 12345 case through services.actions, as its handler when the actor is
    one, else as the system (the result names the mediation)."""
    if dispute.case_id is None:
        return
    from services import actions as case_actions
    from services.actions.core import may_handle
    from services.choices import State
    from services.models import Case

    case = Case.objects.select_related("handling_area").get(pk=dispute.case_id)
    if case.state == State.DISPATCHED:
        case_actions.sign_for(case, actor=None)
        case.refresh_from_db()
    if case.state not in (State.SIGNED, State.IN_PROGRESS):
        return
    by = actor if may_handle(actor, case) else None
    case_actions.resolve(case, actor=by, result=result)


def _requesters(dispute: Dispute) -> list[int]:
    return [dispute.requested_by_id] if dispute.requested_by_id else []


def _notify(dispute: Dispute, user_ids: list[int], title: str, *, staff: bool = False) -> None:
    """Through the notify interface, under the existing kinds: a mediator's assignment is
    case work ("assigned"), the outcome goes to the resident who asked as "resolved"."""
    from django.urls import reverse

    from notifications import notify

    link = reverse("mediation:dispute" if staff else "mediation:mine-detail", args=[dispute.pk])
    notify.queue(users=user_ids, kind="assigned" if staff else "resolved", title=title, link=link)
