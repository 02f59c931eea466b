"""Residents are told when a meeting is called, when the vote opens and when the result is
published: the residents of the matter's place and nobody else, once per event, and nothing
for a refused step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from deliberation import actions
from deliberation.actions import notices
from deliberation.models import MatterNotice
from notifications.models import Notification
from tests.deliberation.conftest import at

pytestmark = pytest.mark.django_db


def _told(kind: str) -> set[int]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True))


def test_residents_of_the_place_are_told_once_per_event(world):
    staff, t = world.staff, world.t
    users = world.add_residents(2)
    elsewhere = world.add_residents(1, building=t.b.buildings[0], prefix="x")[0]
    here = {u.pk for u in users} | {t.user("resident_a").pk}
    matter = actions.raise_matter(
        actor=staff,
        area=t.a.community,
        kind=world.kind(),
        title="加装电梯",
        description="征求意见",
        source="staff",
    )
    actions.accept_matter(matter, actor=staff)
    assert not Notification.objects.exists()  # taking up tells nobody

    kind = matter.kind.preset.meetings[0] if matter.kind.preset.meetings else "hearing"
    meeting = actions.schedule_meeting(
        matter,
        actor=staff,
        kind=kind,
        starts_at=at(3, 19),
        ends_at=at(3, 20),
        agenda="议程：方案介绍",
        place="3号楼前空地",
    )
    assert _told("delib_meeting") == here
    assert elsewhere.pk not in _told("delib_meeting")
    note = Notification.objects.filter(kind="delib_meeting").first()
    assert "加装电梯" in note.title and "议程" in note.body
    assert note.link.endswith(f"/m/{matter.pk}/")
    # The same event again (a retry, a second click) sends nothing.
    assert notices.meeting_called(matter, meeting) == 0
    assert Notification.objects.filter(kind="delib_meeting").count() == len(here)

    # A refused step tells nobody.
    with pytest.raises(ValidationError):
        actions.open_vote(
            matter, actor=staff, closes_at=timezone.now() - timedelta(hours=1), plan="方案"
        )
    with pytest.raises(ValidationError):
        actions.publish_result(matter, actor=staff)
    assert not Notification.objects.filter(kind__in=["delib_vote", "delib_result"]).exists()

    if matter.kind.preset.publish_plan:
        actions.publish_plan(matter, actor=staff, plan="方案")
    actions.open_vote(
        matter, actor=staff, closes_at=timezone.now() + timedelta(days=2), plan="方案"
    )
    assert _told("delib_vote") == here
    assert notices.vote_opened(matter) == 0
    assert Notification.objects.filter(kind="delib_vote").count() == len(here)

    for u in users:
        actions.cast_vote(matter, actor=u, choice="yes")
    actions.close_vote(matter, now=timezone.now() + timedelta(days=3))
    actions.publish_result(matter, actor=staff)
    assert _told("delib_result") == here
    with pytest.raises(ValidationError):
        actions.publish_result(matter, actor=staff)
    assert Notification.objects.filter(kind="delib_result").count() == len(here)
    assert set(MatterNotice.objects.filter(matter=matter).values_list("key", flat=True)) == {
        f"meeting:{meeting.pk}",
        "vote",
        "result",
    }


def test_notice_is_sent_on_commit(world, django_capture_on_commit_callbacks, settings):
    """The other channels go out only when the change commits (notifications.notify)."""
    settings.LINLI = {**settings.LINLI, "NOTIFY_CHANNELS": ["inbox", "log"]}
    staff = world.staff
    matter = actions.raise_matter(
        actor=staff,
        area=world.t.a.community,
        kind=world.kind(),
        title="停车",
        description="规划",
        source="staff",
    )
    actions.accept_matter(matter, actor=staff)
    kind = matter.kind.preset.meetings[0] if matter.kind.preset.meetings else "hearing"
    with django_capture_on_commit_callbacks() as callbacks:
        actions.schedule_meeting(
            matter,
            actor=staff,
            kind=kind,
            starts_at=at(4, 19),
            ends_at=at(4, 20),
            agenda="议程",
            place="活动室",
        )
    assert callbacks, "the log channel's lines are written on commit"
