"""GET /api/notifications/ (own only, paginated, ?unread=1), the unread count, marking read;
anyone else's notification is a 404, staff and superusers included; bad input names the
field."""

from __future__ import annotations

import pytest

from notifications import actions, notify
from notifications.models import Notification

API = "/api/notifications/"


def _notes(user, n: int) -> list[Notification]:
    notify.queue(users=[user], kind="reminder", title="提醒", link="/centres/me/")
    for i in range(1, n):
        notify.queue(users=[user], kind="points", title=f"积分{i}")
    return list(Notification.objects.filter(recipient=user).order_by("-created_at", "-id"))


def test_the_list_is_ones_own_newest_first_and_paginated(client, territory):
    user = territory.user("resident_a")
    notes = _notes(user, 5)
    _notes(territory.user("resident_b"), 2)
    actions.mark_read(user, notes[0].pk)
    client.force_login(user)
    body = client.get(API, {"page_size": 2}).json()
    assert body["count"] == 5 and body["next"]
    first = body["results"][0]
    assert first["id"] == notes[0].pk and first["unread"] is False and first["read_at"]
    assert set(first) >= {"kind", "kind_label", "title", "body", "link", "case", "created_at"}
    everything = client.get(API).json()["results"]
    assert [r["id"] for r in everything] == [n.pk for n in notes]
    unread = client.get(API, {"unread": "1"}).json()
    assert unread["count"] == 4 and all(r["unread"] for r in unread["results"])
    assert client.get(API, {"unread": "0"}).json()["count"] == 5


def test_bad_input_is_a_400_naming_the_field(client, territory):
    client.force_login(territory.user("resident_a"))
    response = client.get(API, {"unread": "maybe"})
    assert response.status_code == 400 and "unread" in response.json()
    assert client.get(API, {"page": "99"}).status_code == 404
    assert client.post(f"{API}abc/read/").status_code == 404


def test_unread_count_and_marking_read(client, territory):
    user = territory.user("resident_a")
    notes = _notes(user, 3)
    client.force_login(user)
    assert client.get(f"{API}unread-count/").json() == {"unread": 3}
    response = client.post(f"{API}{notes[1].pk}/read/")
    assert response.status_code == 200 and response.json()["unread"] is False
    assert client.get(f"{API}unread-count/").json() == {"unread": 2}
    assert client.post(f"{API}{notes[1].pk}/read/").status_code == 200  # again: harmless
    assert client.post(f"{API}read-all/").json() == {"marked": 2}
    assert client.get(f"{API}unread-count/").json() == {"unread": 0}
    assert client.get(f"{API}read-all/").status_code == 405


@pytest.mark.parametrize("who", ["resident_b", "grid_a", "community_a", "district", "superuser"])
def test_someone_elses_notification_is_a_404(client, territory, who):
    (note,) = _notes(territory.user("resident_a"), 1)
    client.force_login(territory.user(who))
    assert client.get(f"{API}{note.pk}/").status_code == 404
    assert client.post(f"{API}{note.pk}/read/").status_code == 404
    assert note.pk not in {r["id"] for r in client.get(API).json()["results"]}
    client.post(f"{API}read-all/")
    note.refresh_from_db()
    assert note.read_at is None


def test_the_api_needs_a_login(client):
    for url in (API, f"{API}unread-count/"):
        assert client.get(url).status_code in (401, 403)
    assert client.post(f"{API}read-all/").status_code in (401, 403)


def test_the_unread_count_is_one_query_then_none(client, territory, django_assert_num_queries):
    user = territory.user("resident_a")
    _notes(user, 2)
    client.force_login(user)
    client.get(API)  # the session is in the cache from here on
    with django_assert_num_queries(1):  # the user; the count was cached at login
        assert client.get(f"{API}unread-count/").json() == {"unread": 2}
