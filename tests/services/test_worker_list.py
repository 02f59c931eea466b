"""The grid worker's list (issue 16, item 4): what they must act on in 今日到期 / 待签收 /
待办理, each case once; other units' and followed cases in 协办/关注 without buttons; the case
page offers only the steps services.actions.may_handle lets them take; pinned queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from services import actions
from services.models import Case, CaseFollower

pytestmark = pytest.mark.usefixtures("clean_cache")


def section(body: str, name: str) -> str:
    return body.split(f'data-section="{name}"', 1)[1].split("</section>", 1)[0]


def test_sections_hold_each_case_once_and_other_units_cases_have_no_buttons(client, desk, worker):
    to_sign = desk.dispatched()
    in_hand = actions.sign_for(desk.dispatched(), actor=worker)
    due = desk.dispatched()
    Case.objects.filter(pk=due.pk).update(resolve_due=timezone.now() + timedelta(minutes=5))
    # In the grid, but the district's 住建局 handles water: not the worker's to sign for.
    theirs = desk.dispatched(category=desk.water)
    assert theirs.level == "department"
    # Followed only: a case of the sibling grid the worker follows.
    followed = desk.dispatched(place=desk.t.a.buildings[1])
    CaseFollower.objects.create(case=followed, user=worker)
    body = client.get("/cases/grid/").content.decode()
    assert to_sign.number in section(body, "to_sign")
    assert in_hand.number in section(body, "in_hand")
    assert due.number in section(body, "due_today")
    others = section(body, "others")
    assert theirs.number in others and followed.number in others
    assert "Handled by 住建局" in others and "Followed" in others
    # No step in the others' section; the sign-for button on the worker's own cases only.
    assert "<form" not in others
    assert f"/cases/grid/c/{to_sign.number}/sign_for/" in section(body, "to_sign")
    assert f"/cases/grid/c/{theirs.number}/sign_for/" not in body
    for number in (to_sign.number, in_hand.number, due.number, theirs.number):
        assert body.count(f'href="/cases/grid/c/{number}/"') == 1  # each case once


def test_the_case_page_offers_only_the_steps_the_worker_may_take(client, desk, worker):
    theirs = desk.dispatched(category=desk.water)
    page = client.get(f"/cases/grid/c/{theirs.number}/").content.decode()
    assert "action-sign_for" not in page and "action-resolve" not in page
    assert "住建局 handles this case" in page
    # The operation refuses it all the same (the one rule, services.actions.may_handle).
    r = client.post(f"/cases/grid/c/{theirs.number}/sign_for/", {"version": theirs.version})
    assert r.status_code == 400 and "not the handling unit" in r.content.decode()
    mine = desk.dispatched()
    page = client.get(f"/cases/grid/c/{mine.number}/").content.decode()
    assert "action-sign_for" in page and "handles this case" not in page


def test_the_rule_is_the_operations_rule(desk):
    """The list sorts by the function the operations check: whatever it calls the worker's
    own, sign_for accepts; whatever it leaves to others, sign_for refuses."""
    from django.core.exceptions import ValidationError

    from services.views.worker import sort_cases

    worker = desk.user("grid_a")
    cases = [desk.dispatched(), desk.dispatched(category=desk.water)]
    loaded = list(Case.objects.filter(pk__in=[c.pk for c in cases]).select_related("handling_area"))
    end = timezone.now() - timedelta(days=1)  # nothing due "today"
    sections = sort_cases(worker, loaded, end)
    assert [c.pk for c in sections.to_sign] == [cases[0].pk]
    assert [c.pk for c in sections.others] == [cases[1].pk]
    actions.sign_for(sections.to_sign[0], actor=worker)
    with pytest.raises(ValidationError):
        actions.sign_for(sections.others[0], actor=worker)


def test_the_list_takes_the_same_queries_however_many_cases(
    client, desk, worker, django_assert_max_num_queries
):
    desk.dispatched()
    desk.dispatched(category=desk.water)
    CaseFollower.objects.create(case=desk.dispatched(place=desk.t.a.buildings[1]), user=worker)
    with django_assert_max_num_queries(16) as first:
        client.get("/cases/grid/")
    for _ in range(6):
        desk.dispatched()
        desk.dispatched(category=desk.water)
    actions.sign_for(desk.dispatched(), actor=worker)
    with django_assert_max_num_queries(len(first.captured_queries)):
        body = client.get("/cases/grid/").content.decode()
    assert body.count("/cases/grid/c/") >= 16


def test_new_cases_are_marked(client, desk, worker):
    case = desk.dispatched()  # dispatch tells the grid worker (an unread notice)
    from notifications.models import Notification

    assert Notification.objects.filter(recipient=worker, case=case, read_at__isnull=True)
    body = client.get("/cases/grid/").content.decode()
    assert 'class="badge new"' in section(body, "to_sign")
    client.get(f"/cases/grid/c/{case.number}/")
    body = client.get("/cases/grid/").content.decode()
    assert 'class="badge new"' not in body
