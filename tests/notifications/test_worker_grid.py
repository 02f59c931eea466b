"""Grid workers see the cases they were told about and have not opened marked "new" on their
phone list (one query at most for the marks), and opening the case marks those notices read."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from notifications import actions, bell
from notifications.models import Notification

GRID = "/cases/grid/"


def _grid(client) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(GRID)
    assert response.status_code == 200
    return response.content.decode(), len(captured)


def test_new_cases_are_marked_until_opened(client, desk):
    worker = desk.user("grid_a")
    seen, new = desk.dispatched(), desk.dispatched()
    actions.mark_read(worker, Notification.objects.get(recipient=worker, case=seen).pk)
    client.force_login(worker)
    body, _ = _grid(client)
    rows = {c: body.split(f"/cases/grid/c/{c.number}/")[1][:200] for c in (seen, new)}
    assert "badge new" in rows[new] and "badge new" not in rows[seen]
    assert body.count('class="badge new"') == 1
    # Opening the case reads what the worker was told about it (and nothing else).
    other = desk.dispatched()
    assert client.get(f"/cases/grid/c/{new.number}/").status_code == 200
    assert not Notification.objects.filter(recipient=worker, case=new, read_at=None).exists()
    assert Notification.objects.filter(recipient=worker, case=other, read_at=None).exists()
    body, _ = _grid(client)
    assert body.count('class="badge new"') == 1 and f"/cases/grid/c/{other.number}/" in body


def test_the_marks_cost_one_query_and_none_when_nothing_is_unread(client, desk):
    worker = desk.user("grid_a")
    for _ in range(5):
        desk.dispatched()
    client.force_login(worker)
    _grid(client)  # the session and the scope are cached from here on
    _, with_unread = _grid(client)
    actions.mark_all_read(worker)
    bell.unread_count(worker)  # the bell is counted again (by any page)
    _, nothing_unread = _grid(client)
    assert with_unread == nothing_unread + 1
    # The same with 20 more cases: still one query for all the marks.
    for _ in range(20):
        desk.dispatched()
    bell.unread_count(worker)
    _, many = _grid(client)
    assert many == with_unread


def test_opening_a_case_with_nothing_unread_costs_no_query_for_it(client, desk):
    worker = desk.user("grid_a")
    case = desk.dispatched()
    actions.mark_all_read(worker)
    client.force_login(worker)
    client.get(f"/cases/grid/c/{case.number}/")
    with CaptureQueriesContext(connection) as captured:
        client.get(f"/cases/grid/c/{case.number}/")
    assert not [q for q in captured.captured_queries if "notifications_" in q["sql"]]


def test_the_mark_reads_new_in_chinese(client, desk):
    desk.dispatched()
    client.force_login(desk.user("grid_a"))
    with translation.override("zh-hans"):
        body = client.get(GRID, headers={"accept-language": "zh-hans"}).content.decode()
    assert '<span class="badge new">新</span>' in body
