"""Who sees which case: territory by place subtree, departments by handling (current or
joint), residents their own and the ones they follow; nobody else."""

from __future__ import annotations

from services import actions
from services.models import Case


def visible(desk, key) -> set[str]:
    return set(Case.objects.visible_to(desk.user(key)).values_list("number", flat=True))


def test_territorial_scope_follows_the_place_subtree(desk):
    a1 = desk.dispatched(place=desk.t.a.buildings[0])
    a2 = desk.dispatched(place=desk.t.a.buildings[1])
    b1 = desk.dispatched(actor=desk.user("resident_b"), place=desk.t.b.buildings[0])
    assert visible(desk, "grid_a") == {a1.number}  # their own grid only
    assert visible(desk, "grid_b") == {b1.number}
    assert visible(desk, "community_a") == {a1.number, a2.number}
    assert visible(desk, "street") == visible(desk, "district") == {a1.number, a2.number, b1.number}
    assert visible(desk, "unit_a") == set()


def test_a_department_sees_what_it_handles_now_or_jointly(desk):
    water = desk.dispatched(category=desk.water)  # → 住建局 (other_department)
    road = desk.dispatched()
    assert visible(desk, "dept") == set()  # 城管局
    actions.sign_for(road, actor=desk.user("grid_a"))
    actions.add_joint_unit(road, actor=desk.user("community_a"), department=desk.t.department)
    assert visible(desk, "dept") == {road.number}
    assert water.number not in visible(desk, "dept")
    # Changeable is the same set for staff, never wider than visible.
    dept = desk.user("dept")
    assert set(Case.objects.changeable_by(dept).values_list("number", flat=True)) == {road.number}


def test_residents_see_their_own_and_followed_cases_only(desk):
    own = desk.file(actor=desk.user("resident_a"))
    other = desk.file(actor=desk.user("resident_b"), place=desk.t.a.buildings[0])
    assert visible(desk, "resident_a") == {own.number}
    assert visible(desk, "resident_b") == {other.number}
    actions.merge(other, actor=desk.user("community_a"), master=own)
    assert visible(desk, "resident_b") == {own.number, other.number}
    assert Case.objects.changeable_by(desk.user("resident_b")).count() == 0


def test_the_visible_query_is_one_statement(desk, django_assert_num_queries):
    desk.dispatched()
    user = desk.user("dept")
    from grids.scope import scope_for

    scope_for(user)  # the scope itself is read once per request and cached
    with django_assert_num_queries(1):
        list(Case.objects.visible_to(user))


def test_staff_see_a_case_they_reported_or_follow_outside_their_territory(desk):
    inside = desk.dispatched(place=desk.t.a.buildings[0])
    outside = desk.dispatched(actor=desk.user("resident_b"), place=desk.t.b.buildings[0])
    # grid_a's own territory alone: the personal arms are left out of the query (none exist).
    assert visible(desk, "grid_a") == {inside.number}
    actions.follow(outside, actor=desk.user("grid_a"))
    assert visible(desk, "grid_a") == {inside.number, outside.number}
    # A case over the border that community_a reported (as a resident of it, say).
    reported = desk.dispatched(actor=desk.user("resident_b"), place=desk.t.b.buildings[1])
    assert reported.number not in visible(desk, "community_a")
    Case.objects.filter(pk=reported.pk).update(reporter=desk.user("community_a"))
    assert reported.number in visible(desk, "community_a")


def test_territorial_staff_pay_one_small_existence_check(desk, django_assert_num_queries):
    desk.dispatched()
    user = desk.user("community_a")
    from grids.scope import scope_for

    scope_for(user)
    with django_assert_num_queries(2):  # "anything of mine outside my territory?" + the list
        list(Case.objects.visible_to(user))
