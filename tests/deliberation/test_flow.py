"""A matter from co-signing to a vote to an evaluated result, through deliberation.actions,
and the refusals on the way (each a message naming the field, nothing counted twice)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from centres.models import Booking
from deliberation import actions
from deliberation.models import (
    Ballot,
    Cosign,
    CosignThreshold,
    MeetingKind,
    Outcome,
    Participation,
    Status,
)
from tests.deliberation.conftest import at

pytestmark = pytest.mark.django_db


def _message(exc: ValidationError) -> str:
    return " ".join(str(m) for ms in exc.message_dict.values() for m in ms)


def test_matter_from_cosigning_to_evaluated_result(world):
    t = world.t
    CosignThreshold.objects.create(community=t.a.community, kind=world.kind(), threshold=3)
    raiser, second, third, *others = world.add_residents(6)
    estate = type(world.building).objects.get(path=world.building.path[:-4])
    matter = actions.raise_matter(
        actor=raiser, area=estate, kind=world.kind(), title="加装电动车充电桩", description="楼下"
    )
    assert matter.status == Status.COSIGNING and matter.cosign_threshold == 3
    assert matter.cosign_count == 1  # the raiser co-signs
    actions.cosign(matter, actor=second)
    with pytest.raises(ValidationError) as exc:
        actions.cosign(matter, actor=second)
    assert "already co-signed" in _message(exc.value)
    outsider = t.user("resident_b")
    with pytest.raises(ValidationError) as exc:
        actions.cosign(matter, actor=outsider)
    assert "Only residents of" in _message(exc.value)
    matter = actions.cosign(matter, actor=third)
    assert matter.status == Status.PROPOSED and Cosign.objects.filter(matter=matter).count() == 3

    staff = world.staff
    with pytest.raises(ValidationError):
        actions.accept_matter(matter, actor=t.user("community_b"))  # not theirs
    matter = actions.accept_matter(matter, actor=staff)
    assert matter.status == Status.DELIBERATING

    meeting = actions.schedule_meeting(
        matter,
        actor=staff,
        kind=MeetingKind.CONSULTATION,
        starts_at=at(2, 19),
        ends_at=at(2, 20, 30),
        agenda="一、方案介绍 二、讨论",
        space=world.hall,
    )
    booking = Booking.objects.get(pk=meeting.booking_id)
    assert booking.space == world.hall and booking.booked_by == staff
    # The hall is taken then: the second meeting is refused by centres' own rule, no meeting.
    with pytest.raises(ValidationError) as exc:
        actions.schedule_meeting(
            matter,
            actor=staff,
            kind=MeetingKind.HEARING,
            starts_at=at(2, 19, 30),
            ends_at=at(2, 21),
            agenda="恳谈",
            space=world.hall,
        )
    assert "already booked" in _message(exc.value)
    assert matter.meetings.count() == 1
    # Minutes once held (move the meeting into the past for the test).
    type(meeting).objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - timedelta(hours=2), ends_at=timezone.now() - timedelta(hours=1)
    )
    meeting = actions.record_minutes(
        meeting,
        actor=staff,
        minutes="同意方案",
        attendees=[("居民r0", "居民代表"), ("王书记", "社区党委")],
    )
    sheet = {a.name: a.household_id for a in meeting.attendance.all()}
    assert sheet["居民r0"] is not None and sheet["王书记"] is None

    actions.add_comment(matter, actor=others[0], body="支持")
    with pytest.raises(ValidationError):
        actions.add_comment(matter, actor=outsider, body="路过")

    with pytest.raises(ValidationError) as exc:
        actions.cast_vote(matter, actor=raiser, choice="yes")
    assert "not opened" in _message(exc.value)
    matter = actions.open_vote(
        matter, actor=staff, closes_at=timezone.now() + timedelta(days=3), plan="安装8个充电桩"
    )
    # Side a's estate 1 holds the territory's household plus the six made here.
    assert matter.status == Status.VOTING and matter.eligible_count == 7
    for user, choice in zip(
        [raiser, second, third, *others], ["yes"] * 4 + ["no", "abstain"], strict=True
    ):
        actions.cast_vote(matter, actor=user, choice=choice)
    with pytest.raises(ValidationError) as exc:
        actions.cast_vote(matter, actor=raiser, choice="no")
    assert "already voted" in _message(exc.value)
    with pytest.raises(ValidationError) as exc:
        actions.cast_vote(matter, actor=outsider, choice="yes")
    assert "Only residents of" in _message(exc.value)
    assert Participation.objects.filter(matter=matter).count() == 6
    assert Ballot.objects.filter(matter=matter).count() == 6

    with pytest.raises(ValidationError):
        actions.close_vote(matter, actor=staff)  # still open
    later = timezone.now() + timedelta(days=4)
    with pytest.raises(ValidationError) as exc:
        actions.cast_vote(matter, actor=t.user("resident_a"), choice="yes", now=later)
    assert "closed at" in _message(exc.value)
    matter = actions.close_vote(matter, actor=staff, now=later)
    assert matter.outcome == Outcome.PASSED
    assert matter.tally["voters"] == 6 and matter.tally["yes"] == 4
    assert matter.tally == actions.compute_tally(matter)

    matter = actions.publish_result(matter, actor=staff)
    assert matter.status == Status.EXECUTING and matter.published_at
    with pytest.raises(ValidationError):
        actions.evaluate(matter, actor=raiser, score=5)  # not carried out yet
    actions.record_progress(matter, actor=staff, note="已采购")
    matter = actions.record_progress(matter, actor=staff, note="已安装", done=True)
    assert matter.status == Status.DONE
    actions.evaluate(matter, actor=raiser, score=5, remark="好")
    with pytest.raises(ValidationError) as exc:
        actions.evaluate(matter, actor=raiser, score=4)
    assert "already evaluated" in _message(exc.value)
    with pytest.raises(ValidationError):
        actions.evaluate(matter, actor=second, score=9)
    assert matter.evaluations.count() == 1
    assert list(matter.events.values_list("action", flat=True)) == [
        "raised",
        "threshold",
        "accepted",
        "meeting",
        "minutes",
        "vote_opened",
        "vote_closed",
        "published",
        "progress",
        "done",
    ]


def test_secret_weighted_vote_keeps_no_voter_and_needs_both_majorities(world):
    staff = world.staff
    kind = world.kind("maintenance-fund")
    users = world.add_residents(4)
    areas = [Decimal("120"), Decimal("60"), Decimal("60"), Decimal("60")]
    for user, area in zip(users, areas, strict=True):
        hh = user.role_assignments.get().household
        actions.set_owner_share(hh, actor=staff, floor_area=area)
    matter = actions.raise_matter(
        actor=staff,
        area=world.building,
        kind=kind,
        title="动用维修资金修屋顶",
        description="漏水",
        source="committee",
    )
    assert matter.status == Status.PROPOSED and matter.secret and matter.weighted_by_area
    actions.accept_matter(matter, actor=staff)
    # 两议两评两公开: the plan is made public before the vote, and the vote is on that plan.
    with pytest.raises(ValidationError) as exc:
        actions.open_vote(
            matter, actor=staff, closes_at=timezone.now() + timedelta(days=1), plan="修屋顶"
        )
    assert "Publish the plan" in _message(exc.value)
    actions.publish_plan(matter, actor=staff, plan="修屋顶")
    with pytest.raises(ValidationError) as exc:
        actions.open_vote(
            matter, actor=staff, closes_at=timezone.now() + timedelta(days=1), plan="修屋顶和外墙"
        )
    assert "the one published" in _message(exc.value)
    matter = actions.open_vote(
        matter, actor=staff, closes_at=timezone.now() + timedelta(days=1), plan="修屋顶"
    )
    assert matter.eligible_count == 4 and matter.eligible_area == Decimal("300.00")
    # The territory's own household registered no floor area: not an owner, no vote.
    with pytest.raises(ValidationError) as exc:
        actions.cast_vote(matter, actor=world.t.user("resident_a"), choice="yes")
    assert "registered owners" in _message(exc.value)
    # 1 household of 120 m² for, 2 of 60 against: more owners against → rejected although
    # the area in favour is 120/240 (not more than half either).
    actions.cast_vote(matter, actor=users[0], choice="yes")
    actions.cast_vote(matter, actor=users[1], choice="no")
    actions.cast_vote(matter, actor=users[2], choice="no")
    assert not Ballot.objects.filter(matter=matter, voter__isnull=False).exists()
    assert not Ballot.objects.filter(matter=matter, household__isnull=False).exists()
    assert Participation.objects.filter(matter=matter).count() == 3
    matter = actions.close_vote(matter, actor=staff, now=timezone.now() + timedelta(days=2))
    assert matter.tally["area"] == "240.00" and matter.tally["yes_area"] == "120.00"
    assert matter.outcome == Outcome.REJECTED
    matter = actions.publish_result(matter, actor=staff)
    assert matter.status == Status.DECIDED and matter.published_at


def test_no_quorum_and_person_votes(world):
    staff = world.staff
    users = world.add_residents(3)
    matter = actions.raise_matter(
        actor=staff,
        area=world.t.a.community,
        kind=world.kind("estate-rules"),
        title="文明公约",
        description="修订",
        source="party_branch",
    )
    actions.accept_matter(matter, actor=staff)
    actions.publish_plan(matter, actor=staff, plan="公约")
    matter = actions.open_vote(
        matter, actor=staff, closes_at=timezone.now() + timedelta(days=1), plan="公约"
    )
    # Residents of the whole community: the territory's 2 plus 3.
    assert matter.eligible_count == 5
    actions.cast_vote(matter, actor=users[0], choice="yes")
    matter = actions.close_vote(matter, now=timezone.now() + timedelta(days=2))
    assert matter.outcome == Outcome.NO_QUORUM


def test_declined_matter_and_bad_input(world):
    (raiser,) = world.add_residents(1)
    with pytest.raises(ValidationError) as exc:
        actions.raise_matter(
            actor=raiser, area=world.t.b.community, kind=world.kind(), title="x", description="y"
        )
    assert "only where you live" in _message(exc.value)
    with pytest.raises(ValidationError) as exc:
        actions.raise_matter(
            actor=raiser, area=world.building, kind=world.kind(), title=" ", description="y"
        )
    assert "title" in exc.value.message_dict
    matter = actions.raise_matter(
        actor=raiser, area=world.building, kind=world.kind(), title="x", description="y"
    )
    matter = actions.decline_matter(matter, actor=world.staff, reason="属物业职责，已转办")
    assert matter.status == Status.DECLINED
    with pytest.raises(ValidationError):
        actions.cosign(matter, actor=world.t.user("resident_a"))


def test_household_registered_after_the_vote_opened_is_refused(world):
    """Eligibility is frozen when the vote opens: a household added later does not vote, and
    nothing is counted for it; the households there before still vote."""
    staff = world.staff
    before = world.add_residents(2, prefix="b")
    matter = actions.raise_matter(
        actor=staff,
        area=world.t.a.community,
        kind=world.kind(),
        title="楼道灯",
        description="更换",
        source="staff",
    )
    actions.accept_matter(matter, actor=staff)
    if matter.kind.preset.publish_plan:
        actions.publish_plan(matter, actor=staff, plan="换灯")
    matter = actions.open_vote(
        matter,
        actor=staff,
        closes_at=timezone.now() + timedelta(days=1),
        plan="换灯",
    )
    frozen = matter.eligible_count
    late = world.add_residents(1, prefix="late")[0]
    with pytest.raises(ValidationError) as exc, translation.override("zh-hans"):
        actions.cast_vote(matter, actor=late, choice="yes")
    assert "choice" in exc.value.message_dict
    assert "投票开始后" in _message(exc.value)
    actions.cast_vote(matter, actor=before[0], choice="yes")
    matter.refresh_from_db()
    assert matter.participations.count() == 1
    assert matter.eligible_count == frozen
