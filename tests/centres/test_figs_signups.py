"""The dashboard's sign-up figures (centres.figures) count confirmed sign-ups only, from the
partial covering index centres_signup_figs_confirmed. Pinned here on hand-built sign-ups
(confirmed, waitlisted, cancelled, checked in, before and after the activity's end, in and out of
the period, on both sides): the figures equal a direct count over every live sign-up, and the
query count."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from centres import actions
from centres import figures as centre_figures
from centres.models import SignUp
from tests.centres.conftest import at


def _direct(path: str, start, end) -> dict:
    """The figure the old way: every confirmed or waitlisted sign-up of the period's activities."""
    now = timezone.now()
    return SignUp.objects.filter(
        activity__centre__community__path__startswith=path,
        activity__starts_at__gte=start,
        activity__starts_at__lt=end,
        status__in=["confirmed", "waitlisted"],
    ).aggregate(
        signups=Count("pk", filter=Q(status="confirmed")),
        attended=Count("pk", filter=Q(checked_in_at__isnull=False)),
        no_shows=Count(
            "pk",
            filter=Q(status="confirmed", checked_in_at__isnull=True, activity__ends_at__lt=now),
        ),
    )


def test_signup_figures_equal_a_direct_count(world, django_assert_num_queries):
    t = world.t
    people = [world.resident_user(f"r{i}") for i in range(4)]
    other = world.resident_user("rb", side="b")
    op = world.user("operator_a")
    start, end = at(-3, 0, 0), at(4, 0, 0)

    # Ended, in the period: two confirmed (one checked in), one waitlisted.
    ended = world.activity(starts_at=at(-2))
    for p in people[:3]:
        actions.sign_up(ended, actor=p, now=at(-3))
    came = SignUp.objects.filter(activity=ended, status="confirmed").order_by("pk").first()
    actions.check_in(came.code, actor=op, now=ended.starts_at + timedelta(minutes=5))
    # Still ahead, in the period, another function: one confirmed, one cancelled.
    ahead = world.activity(starts_at=at(2), function=world.function(world.a, "elderly"))
    actions.sign_up(ahead, actor=people[0])
    gone = actions.sign_up(ahead, actor=people[1])
    actions.cancel_signup(gone, actor=people[1])
    # Outside the period; and the other side's centre.
    outside = world.activity(starts_at=at(6))
    actions.sign_up(outside, actor=people[3])
    actions.sign_up(world.activity(world.b, starts_at=at(1)), actor=other)

    with django_assert_num_queries(9):
        street = centre_figures.for_area(t.user("street"), t.street, start, end)
    got = {k: street["totals"][k] for k in ("signups", "attended", "no_shows")}
    assert got == {"signups": 4, "attended": 1, "no_shows": 1}
    assert got == _direct(t.street.path, start, end)
    a = centre_figures.for_area(t.user("street"), t.a.community, start, end)
    got_a = {k: a["totals"][k] for k in ("signups", "attended", "no_shows")}
    assert got_a == {"signups": 3, "attended": 1, "no_shows": 1}
    assert got_a == _direct(t.a.community.path, start, end)
    by_function = {r["function"]: (r["signups"], r["no_shows"]) for r in a["by_function"]}
    assert by_function == {"leisure": (2, 1), "elderly": (1, 0)}
