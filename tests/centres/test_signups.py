"""Sign-ups: capacity, the waitlist and its promotion, reserved places, windows, eligibility,
twice, 代报名, and the capacity race between real concurrent transactions on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from centres import actions
from centres.models import Activity, SignUp
from grids.models import Resident
from notifications.models import Notification
from tests.centres.conftest import at


def _error(exc: pytest.ExceptionInfo, field: str) -> str:
    return " ".join(exc.value.message_dict[field])


@pytest.mark.django_db
class TestSignUp:
    def test_exactly_capacity_confirmed_then_waitlist_in_order(self, world):
        activity = world.activity(capacity=2)
        users = [world.resident_user(f"r{i}") for i in range(4)]
        signups = [actions.sign_up(activity, actor=u) for u in users]
        assert [s.status for s in signups] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
        activity.refresh_from_db()
        assert (activity.confirmed_count, activity.waitlist_count) == (2, 2)

    def test_cancel_promotes_the_first_waiting_and_tells_them(self, world):
        activity = world.activity(capacity=1)
        first, second, third = (world.resident_user(f"r{i}") for i in range(3))
        mine = actions.sign_up(activity, actor=first)
        actions.sign_up(activity, actor=second)
        actions.sign_up(activity, actor=third)
        actions.cancel_signup(mine, actor=first)
        promoted = SignUp.objects.get(activity=activity, user=second)
        assert promoted.status == "confirmed" and promoted.promoted_at is not None
        assert SignUp.objects.get(activity=activity, user=third).status == "waitlisted"
        notice = Notification.objects.get(recipient=second)
        assert activity.title in notice.title and promoted.code in notice.body
        assert not Notification.objects.filter(recipient=third).exists()
        activity.refresh_from_db()
        assert (activity.confirmed_count, activity.waitlist_count) == (1, 1)

    def test_cancelling_a_waitlist_entry_promotes_nobody(self, world):
        activity = world.activity(capacity=1)
        a, b = world.resident_user("ra"), world.resident_user("rb")
        actions.sign_up(activity, actor=a)
        waiting = actions.sign_up(activity, actor=b)
        actions.cancel_signup(waiting, actor=b)
        activity.refresh_from_db()
        assert (activity.confirmed_count, activity.waitlist_count) == (1, 0)
        assert not Notification.objects.exists()

    def test_reserved_places_are_held_for_priority_groups(self, world):
        activity = world.activity(capacity=2, reserved_places=1)
        plain = [world.resident_user(f"p{i}") for i in range(2)]
        alone = world.resident_user("alone", lives_alone=True, birth_date=date(1940, 1, 1))
        assert actions.sign_up(activity, actor=plain[0]).status == "confirmed"
        assert actions.sign_up(activity, actor=plain[1]).status == "waitlisted"
        priority = actions.sign_up(activity, actor=alone)
        assert priority.status == "confirmed" and priority.is_priority

    def test_a_freed_reserved_place_skips_people_who_may_not_take_it(self, world):
        activity = world.activity(capacity=2, reserved_places=1)
        plain1, plain2 = world.resident_user("p1"), world.resident_user("p2")
        alone = world.resident_user("alone", lives_alone=True)
        low = world.resident_user("low", subsistence=True)
        actions.sign_up(activity, actor=plain1)
        first_priority = actions.sign_up(activity, actor=alone)
        actions.sign_up(activity, actor=plain2)  # waits: the last place is held
        actions.sign_up(activity, actor=low)  # waits: full
        actions.cancel_signup(first_priority, actor=alone)
        # The reserved place goes to the 低保 resident, though the other signed up first.
        assert SignUp.objects.get(user=low, activity=activity).status == "confirmed"
        assert SignUp.objects.get(user=plain2, activity=activity).status == "waitlisted"

    def test_twice_is_refused_with_a_clear_message(self, world):
        activity = world.activity(capacity=1)
        user, other = world.resident_user("r1"), world.resident_user("r2")
        actions.sign_up(activity, actor=user)
        with pytest.raises(ValidationError) as exc:
            actions.sign_up(activity, actor=user)
        assert "already signed up" in _error(exc, "activity")
        actions.sign_up(activity, actor=other)
        with pytest.raises(ValidationError) as exc:
            actions.sign_up(activity, actor=other)
        assert "waitlist" in _error(exc, "activity")
        assert SignUp.objects.filter(activity=activity).count() == 2

    def test_signing_up_again_after_cancelling_is_allowed(self, world):
        activity = world.activity(capacity=1)
        user = world.resident_user("r1")
        actions.cancel_signup(actions.sign_up(activity, actor=user), actor=user)
        assert actions.sign_up(activity, actor=user).status == "confirmed"

    @pytest.mark.parametrize(
        "window, expected",
        [
            ({"signup_opens_at": at(1)}, "Sign-up opens at"),
            ({"signup_closes_at": at(0, 0, 0) - timedelta(minutes=1)}, "Sign-up closed at"),
            ({"is_cancelled": True}, "not taking sign-ups"),
            ({"starts_at": timezone.now() - timedelta(minutes=5)}, "already started"),
        ],
        ids=["not-yet", "closed", "cancelled", "started"],
    )
    def test_outside_the_window(self, world, window, expected):
        activity = world.activity(**window)
        with pytest.raises(ValidationError) as exc:
            actions.sign_up(activity, actor=world.resident_user("r1"))
        assert expected in _error(exc, "activity")
        assert not SignUp.objects.exists()

    def test_ineligible_by_age_or_by_where_they_live(self, world):
        activity = world.activity(min_age=60)
        young = world.resident_user("young", birth_date=date(2000, 5, 1))
        unknown = world.resident_user("unknown")
        old = world.resident_user("old", birth_date=date(1950, 5, 1))
        with pytest.raises(ValidationError) as exc:
            actions.sign_up(activity, actor=young)
        assert "aged 60 or over" in _error(exc, "resident")
        with pytest.raises(ValidationError) as exc:
            actions.sign_up(activity, actor=unknown)
        assert "date of birth" in _error(exc, "resident")
        assert actions.sign_up(activity, actor=old).status == "confirmed"

        local = world.activity(residents_only=True, title="本社区居民专场")
        stranger = world.resident_user("stranger", side="b")
        with pytest.raises(ValidationError) as exc:
            actions.sign_up(local, actor=stranger)
        assert "centre's communities" in _error(exc, "resident")
        # A centre serving the other community too lets them in.
        world.a.served_areas.add(world.t.b.community)
        local = Activity.objects.get(pk=local.pk)
        assert actions.sign_up(local, actor=stranger).status == "confirmed"

    def test_anonymous_cannot_sign_up(self, world):
        from django.contrib.auth.models import AnonymousUser

        with pytest.raises(ValidationError) as exc:
            actions.sign_up(world.activity(), actor=AnonymousUser())
        assert "Log in" in _error(exc, "user")

    def test_self_cancel_deadline_binds_residents_not_staff(self, world):
        activity = world.activity(cancel_deadline=timezone.now() - timedelta(minutes=1))
        user = world.resident_user("r1")
        signup = actions.sign_up(activity, actor=user)
        with pytest.raises(ValidationError) as exc:
            actions.cancel_signup(signup, actor=user)
        assert "call the centre" in _error(exc, "signup")
        actions.cancel_signup(signup, actor=world.user("operator_a"))
        assert SignUp.objects.get(pk=signup.pk).status == "cancelled"

    def test_nobody_else_cancels_your_place(self, world):
        activity = world.activity()
        signup = actions.sign_up(activity, actor=world.resident_user("r1"))
        for intruder in (
            world.resident_user("r2"),
            world.user("operator_b"),
            world.user("community_b"),
        ):
            with pytest.raises(ValidationError):
                actions.cancel_signup(signup, actor=intruder)
        assert SignUp.objects.get(pk=signup.pk).status == "confirmed"

    def test_staff_sign_up_a_resident_on_their_behalf(self, world):
        resident = Resident.objects.filter(household=world.t.a.households[0]).first()
        activity = world.activity(signup_opens_at=at(1))  # not open to residents yet
        signup = actions.sign_up(activity, actor=world.user("operator_a"), resident=resident)
        assert signup.status == "confirmed" and signup.signed_up_by == world.user("operator_a")
        assert signup.resident == resident and signup.user is None
        with pytest.raises(ValidationError):
            actions.sign_up(activity, actor=world.user("operator_a"), resident=resident)
        with pytest.raises(ValidationError) as exc:
            actions.sign_up(activity, actor=world.user("operator_b"), resident=resident)
        assert "No such centre" in _error(exc, "centre")
        with pytest.raises(ValidationError):
            actions.sign_up(activity, actor=world.user("resident_a"), resident=resident)


@pytest.mark.django_db(transaction=True)
def test_capacity_race_between_concurrent_transactions(transactional_world):
    """Twelve residents press "sign up" at the same moment for three places: exactly three
    are confirmed, nine wait, and the counters agree with the rows."""
    w = transactional_world
    activity = w.activity(capacity=3)
    users = [w.resident_user(f"racer{i}") for i in range(12)]
    barrier = threading.Barrier(len(users))
    results, errors = [], []

    def run(user):
        from django.db import connections

        try:
            barrier.wait(timeout=10)
            results.append(actions.sign_up(activity.pk, actor=user).status)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(results).count("confirmed") == 3 and results.count("waitlisted") == 9
    activity.refresh_from_db()
    assert activity.confirmed_count == 3 and activity.waitlist_count == 9
    assert SignUp.objects.filter(activity=activity, status="confirmed").count() == 3


@pytest.mark.django_db(transaction=True)
def test_reserved_places_hold_in_a_race(transactional_world):
    """Six ordinary residents and two living alone race for four places, two of them held:
    the two priority residents get in, and only two ordinary ones."""
    w = transactional_world
    activity = w.activity(capacity=4, reserved_places=2)
    users = [w.resident_user(f"plain{i}") for i in range(6)]
    users += [w.resident_user(f"alone{i}", lives_alone=True) for i in range(2)]
    barrier = threading.Barrier(len(users))

    def run(user):
        from django.db import connections

        try:
            barrier.wait(timeout=10)
            actions.sign_up(activity.pk, actor=user)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    confirmed = SignUp.objects.filter(activity=activity, status="confirmed")
    assert confirmed.count() == 4
    assert confirmed.filter(is_priority=True).count() == 2
    activity.refresh_from_db()
    assert (activity.confirmed_count, activity.priority_confirmed, activity.waitlist_count) == (
        4,
        2,
        4,
    )


@pytest.mark.django_db(transaction=True)
def test_one_person_pressing_twice_at_once_gets_one_place(transactional_world):
    w = transactional_world
    activity = w.activity(capacity=5)
    user = w.resident_user("double")
    barrier = threading.Barrier(4)
    outcomes = []

    def run():
        from django.db import connections

        try:
            barrier.wait(timeout=10)
            outcomes.append(actions.sign_up(activity.pk, actor=user).status)
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcomes.count("confirmed") == 1
    assert SignUp.objects.filter(activity=activity, user=user).count() == 1


@pytest.mark.django_db
def test_survey_goes_only_to_those_who_came_and_once(world):
    activity = world.activity(capacity=3, survey_question="满意吗？")
    came, absent = world.resident_user("came"), world.resident_user("absent")
    s1 = actions.sign_up(activity, actor=came)
    actions.sign_up(activity, actor=absent)
    Activity.objects.filter(pk=activity.pk).update(
        starts_at=timezone.now() - timedelta(hours=1), ends_at=timezone.now() + timedelta(hours=1)
    )
    actions.check_in(s1.code, actor=world.user("operator_a"))
    assert actions.send_survey(activity, actor=world.user("operator_a")) == 1
    assert actions.send_survey(activity, actor=world.user("operator_a")) == 0
    assert Notification.objects.filter(kind="survey", recipient=came).count() == 1
    assert not Notification.objects.filter(recipient=absent).exists()
    # The survey is the activity's built-in questionnaire in the surveys engine, and the
    # notice opens its answer page.
    round = activity.questionnaire.rounds.get()
    assert [q.text for q in activity.questionnaire.questions.order_by("position")][1] == "满意吗？"
    notice = Notification.objects.get(kind="survey", recipient=came)
    assert notice.link == f"/surveys/{round.pk}/"
    assert actions.record_no_shows(activity, now=timezone.now() + timedelta(hours=2)) == 1
    with pytest.raises(ValidationError):
        actions.send_survey(activity, actor=world.user("operator_b"))
