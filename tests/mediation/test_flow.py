"""A mediation end to end: from the desk's intake (and from a converted 12345 case) through
mediators, a session booked in the centre, the agreement and every party's signature, the PDF,
to a follow-up visit; the linked case resolved through services' own actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from centres.models import Booking, BookingStatus
from grids.models import AccessLog
from mediation import actions
from mediation.models import Dispute, Session
from services import actions as case_actions
from services.actions import Intake
from services.choices import State
from tests.mediation.conftest import at

pytestmark = pytest.mark.django_db


def _hold(session: Session) -> None:
    """Move a booked session into the past, as if its time had come (the booking with it)."""
    past = timezone.now() - timedelta(hours=2)
    Session.objects.filter(pk=session.pk).update(starts_at=past, ends_at=past + timedelta(hours=1))
    Booking.objects.filter(pk=session.booking_id).update(
        starts_at=past, ends_at=past + timedelta(hours=1)
    )


def test_from_the_desk_to_a_signed_agreement_and_a_follow_up(client, med):
    office, mediator, lawyer = med.user("community_a"), med.user("mediator_a"), med.user("unit_a")
    client.force_login(office)
    building = med.t.a.buildings[0]
    response = client.post(
        reverse("mediation:new"),
        {
            "place": building.pk,
            "kind": "neighbour",
            "summary": "楼上漏水纠纷",
            "facts": "楼上漏水，楼下天花板受损。",
            "party-TOTAL_FORMS": "3",
            "party-INITIAL_FORMS": "0",
            "party-MIN_NUM_FORMS": "2",
            "party-MAX_NUM_FORMS": "20",
            "party-0-side": "applicant",
            "party-0-kind": "resident",
            "party-0-name": "王秀英",
            "party-0-phone": "138 1234 5678",
            "party-0-address": "甲1号楼101",
            "party-1-side": "respondent",
            "party-1-kind": "resident",
            "party-1-name": "李建国",
            "party-1-phone": "",
            "party-1-address": "甲1号楼201",
            "party-2-side": "applicant",
            "party-2-kind": "resident",
        },
    )
    dispute = Dispute.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "mediation:dispute", args=[dispute.pk]
    )
    assert (dispute.source, dispute.status, dispute.community) == (
        "desk",
        "received",
        med.t.a.community,
    )
    assert [p.phone for p in dispute.parties.order_by("side")] == ["13812345678", ""]

    step = lambda name, data, who=office: client.post(  # noqa: E731
        reverse("mediation:step", args=[dispute.pk, name]), data
    )
    assert step("assign", {"username": "mediator_a", "kind": "community"}).status_code == 302
    unit = med.t.a.users["unit"].role_assignments.get().unit
    step("assign", {"username": "unit_a", "kind": "lawyer", "unit": unit.pk})
    dispute.refresh_from_db()
    assert dispute.status == "mediating"
    assert sorted(dispute.mediators.values_list("kind", flat=True)) == ["community", "lawyer"]

    client.force_login(mediator)
    start = at(2, 14)
    response = step(
        "session",
        {
            "space": med.w.space_a.pk,
            "starts_at": start.strftime("%Y-%m-%d %H:%M"),
            "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M"),
            "attendees": 4,
        },
    )
    session = Session.objects.get()
    booking = session.booking
    assert booking.status == BookingStatus.CONFIRMED and booking.space == med.w.space_a
    assert "王" not in booking.purpose and dispute.number in booking.purpose

    _hold(session)
    parties = list(dispute.parties.order_by("side"))
    response = step(
        "record_session",
        {"session": session.pk, "attended": [p.pk for p in parties], "notes": "双方同意赔偿。"},
    )
    session.refresh_from_db()
    assert session.held_at and set(session.attended.all()) == set(parties)

    step("terms", {"terms": "李建国于十日内修复漏水并赔偿王秀英维修费800元。"})
    dispute.refresh_from_db()
    assert dispute.status == "agreed"

    response = client.post(reverse("mediation:agreement-pdf", args=[dispute.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and len(response.content) > 2000
    assert AccessLog.objects.filter(viewer=mediator, record__contains=dispute.number).count() == 2

    client.force_login(lawyer)  # the lawyer on duty records one signature, the mediator the other
    step("sign", {"party": parties[0].pk, "method": "in_person"})
    client.force_login(mediator)
    step("sign", {"party": parties[1].pk, "method": "scan"})
    dispute.refresh_from_db()
    assert dispute.status == "settled" and dispute.settled_at is not None
    signed = {p.signature_recorded_by for p in dispute.parties.all()}
    assert signed == {lawyer, mediator}

    pdf = b"%PDF-1.4\n% scanned\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    step("scan", {"scan": SimpleUploadedFile("s.pdf", pdf, content_type="application/pdf")})
    dispute.refresh_from_db()
    assert dispute.signed_scan.name.endswith(".pdf")

    client.force_login(med.user("grid_a"))  # the grid worker visits a week later
    step("follow_up", {"visited_on": timezone.localdate().isoformat(), "result": "kept"})
    assert dispute.follow_ups.get().result == "kept"
    steps = list(dispute.events.values_list("action", flat=True))
    assert steps == [
        "received",
        "mediator",
        "mediator",
        "session_booked",
        "session_held",
        "agreed",
        "signed",
        "signed",
        "settled",
        "scan",
        "follow_up",
    ]


def test_a_converted_12345_case_is_resolved_with_reference_to_the_mediation(med):
    resident, grid = med.user("resident_a"), med.user("grid_a")
    case = case_actions.submit_case(
        Intake(
            case_type="complaint",
            category=med.pets,
            description="楼上养狗整夜叫，多次沟通无果。",
            place=med.t.a.buildings[0],
            reporter_name="王秀英",
            reporter_phone="13812345678",
        ),
        actor=resident,
    )
    case = case_actions.dispatch(case, actor=None)
    assert case.state == State.DISPATCHED
    dispute = actions.convert_case(case, actor=grid, respondent="201住户")
    case.refresh_from_db()
    assert dispute.case == case and dispute.source == "case"
    assert dispute.requested_by == resident
    assert case.state == State.SIGNED  # signed for through services.actions
    assert dispute.number in case.events.order_by("-pk").first().note
    with pytest.raises(ValidationError):  # once only
        actions.convert_case(case, actor=grid)

    office, mediator = med.user("community_a"), med.user("mediator_a")
    actions.assign_mediator(dispute, actor=office, user=mediator, kind="community")
    actions.record_agreement(dispute, actor=mediator, terms="夜间十点后把狗关在室内。")
    for party in dispute.parties.all():
        actions.record_signature(dispute, actor=mediator, party=party)
    case.refresh_from_db()
    assert case.state == State.RESOLVED
    assert dispute.number in case.result
    # The resident who filed the case sees the dispute on their phone.
    assert list(Dispute.objects.filter(requested_by=resident)) == [dispute]


def test_only_neighbour_dispute_cases_convert(med):
    case = case_actions.dispatch(
        case_actions.submit_case(
            Intake(
                case_type="help",
                category=med.potholes,
                description="路面坑洼。",
                place=med.t.a.buildings[0],
            ),
            actor=med.user("resident_a"),
        ),
        actor=None,
    )
    with pytest.raises(ValidationError) as exc:
        actions.convert_case(case, actor=med.user("grid_a"))
    assert "neighbour-dispute" in str(exc.value)
    assert not Dispute.objects.exists()


def test_no_agreement_refers_and_resolves_the_case(med):
    dispute = med.dispute()
    mediator = med.user("mediator_a")
    actions.assign_mediator(dispute, actor=med.user("community_a"), user=mediator, kind="community")
    with pytest.raises(ValidationError):
        actions.refer(dispute, actor=mediator, to="nowhere")
    actions.refer(dispute, actor=mediator, to="court", note="引导至法院诉讼")
    dispute.refresh_from_db()
    assert (dispute.status, dispute.referred_to) == ("referred", "court")
    with pytest.raises(ValidationError):  # closed: no more steps
        actions.record_agreement(dispute, actor=mediator, terms="x")


def test_a_grid_worker_takes_a_dispute_in_on_the_phone(client, med):
    client.force_login(med.user("grid_a"))
    home = client.get("/").content.decode()
    assert reverse("mediation:new") in home
    page = client.get(reverse("mediation:new"))
    places = list(page.context["form"].fields["place"].queryset)
    assert med.t.a.buildings[0] in places and med.t.a.buildings[1] not in places
    dispute = med.dispute(actor=med.user("grid_a"))
    assert dispute.source == "grid"
    with pytest.raises(ValidationError):  # not their grid
        med.dispute(actor=med.user("grid_a"), place=med.t.a.buildings[1])
