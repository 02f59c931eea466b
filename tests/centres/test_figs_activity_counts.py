"""The per-activity counts the dashboard's sign-up figures sum (Activity.figs_confirmed,
figs_checked_in) are the database's: after every kind of write (sign up, the waitlist, cancel
with promotion, check in, a whole activity cancelled, a bulk update, a move to another
activity, a delete) each activity's counts equal a direct count of its sign-ups, and no other
writer (an Activity.save() holding stale values, a raw UPDATE, an insert) can set them."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.db.models import Count, Q

from centres import actions
from centres.models import Activity, SignUp
from tests.centres.conftest import at


def _direct() -> dict[int, tuple[int, int]]:
    rows = Activity.objects.annotate(
        c=Count("signups", filter=Q(signups__status="confirmed")),
        k=Count(
            "signups",
            filter=Q(signups__status="confirmed", signups__checked_in_at__isnull=False),
        ),
    ).values_list("pk", "c", "k")
    return {pk: (c, k) for pk, c, k in rows}


def _kept() -> dict[int, tuple[int, int]]:
    rows = Activity.objects.values_list("pk", "figs_confirmed", "figs_checked_in")
    return {pk: (c, k) for pk, c, k in rows}


def test_counts_follow_every_write(world):
    people = [world.resident_user(f"r{i}") for i in range(5)]
    op = world.user("operator_a")
    ended = world.activity(starts_at=at(-2), capacity=2)
    ahead = world.activity(starts_at=at(2), capacity=2)
    for p in people[:3]:  # two confirmed, one waiting
        actions.sign_up(ended, actor=p, now=at(-3))
    assert _kept()[ended.pk] == (2, 0) == _direct()[ended.pk]
    came = SignUp.objects.filter(activity=ended, status="confirmed").order_by("pk").first()
    actions.check_in(came.code, actor=op, now=ended.starts_at + timedelta(minutes=5))
    assert _kept()[ended.pk] == (2, 1)

    first = actions.sign_up(ahead, actor=people[0])
    actions.sign_up(ahead, actor=people[1])
    actions.sign_up(ahead, actor=people[2])  # waiting
    actions.cancel_signup(first, actor=people[0])  # the waiting one moves up
    assert _kept() == _direct()
    assert _kept()[ahead.pk] == (2, 0)
    actions.cancel_activity(ahead, actor=op, reason="下雨")
    assert _kept()[ahead.pk] == (0, 0) == _direct()[ahead.pk]

    # Writes outside centres.actions are counted too (the triggers are the database's).
    other = world.activity(starts_at=at(3), capacity=5)
    SignUp.objects.filter(activity=ended, checked_in_at__isnull=True).update(activity=other)
    assert _kept() == _direct()
    SignUp.objects.filter(activity=other).delete()
    assert _kept() == _direct()
    assert _kept()[ended.pk] == (1, 1)


def test_no_other_writer_sets_the_counts(world):
    people = [world.resident_user(f"r{i}") for i in range(2)]
    activity = world.activity(starts_at=at(2), capacity=2)
    stale = Activity.objects.get(pk=activity.pk)  # loaded before the sign-ups
    for p in people:
        actions.sign_up(activity, actor=p)
    stale.title = "太极拳（新）"
    stale.save()  # every column, the counts as they were loaded (0)
    assert _kept()[activity.pk] == (2, 0)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE centres_activity SET figs_confirmed = 99, figs_checked_in = 7 WHERE id = %s",
            [activity.pk],
        )
    assert _kept()[activity.pk] == (2, 0)
    made = Activity.objects.create(
        centre=world.a,
        function=activity.function,
        title="讲座",
        kind="lecture",
        capacity=3,
        starts_at=at(4),
        ends_at=at(4) + timedelta(hours=1),
        figs_confirmed=3,
        figs_checked_in=3,
    )
    assert _kept()[made.pk] == (0, 0)
