"""The bell in every page's header: the unread count, from the cache. A page with a cached
bell costs no query for it; a new notification or a reading clears the cached count."""

from __future__ import annotations

import copy
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications import actions, bell, notify
from notifications.models import Notification

HOME = "/"


def _tell(user, n: int = 1) -> None:
    for i in range(n):
        notify.queue(users=[user], kind="points", title=f"积分{i}")


def _queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_the_header_shows_the_bell_with_the_unread_count(client, territory):
    user = territory.user("resident_a")
    _tell(user, 2)
    client.force_login(user)
    html = client.get(HOME).content.decode()
    assert 'id="bell"' in html and 'href="/inbox/"' in html
    assert 'data-count="2"' in html and "Notifications, 2 unread" in html
    client.logout()
    assert 'id="bell"' not in client.get(HOME).content.decode()


def test_a_page_with_a_cached_bell_costs_not_one_query_more(client, territory, settings):
    user = territory.user("grid_a")
    _tell(user, 3)
    client.force_login(user)  # the count is taken at login
    client.get(HOME)  # the session and the scope are cached
    with_bell = _queries(client, HOME)
    assert not [q for q in with_bell if "notifications_notification" in q]
    # The same page without the bell: exactly as many queries.
    templates = copy.deepcopy(settings.TEMPLATES)
    processors = templates[0]["OPTIONS"]["context_processors"]
    processors.remove("notifications.bell.context")
    settings.TEMPLATES = templates
    without = _queries(client, HOME)
    assert 'id="bell"' not in client.get(HOME).content.decode()
    assert len(with_bell) == len(without)


def test_a_cold_bell_is_one_count_then_cached(client, territory):
    user = territory.user("grid_a")
    _tell(user, 3)
    client.force_login(user)
    client.get(HOME)
    warm = len(_queries(client, HOME))
    bell.forget([user])
    cold = _queries(client, HOME)
    assert len(cold) == warm + 1
    assert len([q for q in cold if "notifications_notification" in q]) == 1
    assert len(_queries(client, HOME)) == warm


def test_a_new_notification_and_a_reading_change_the_bell(client, territory):
    user = territory.user("resident_a")
    _tell(user, 1)
    client.force_login(user)
    assert 'data-count="1"' in client.get(HOME).content.decode()
    _tell(user, 2)  # written in another request or task: the cached count is dropped
    assert 'data-count="3"' in client.get(HOME).content.decode()
    actions.mark_read(user, Notification.objects.filter(recipient=user).first().pk)
    assert 'data-count="2"' in client.get(HOME).content.decode()
    actions.mark_all_read(user)
    html = client.get(HOME).content.decode()
    assert "data-count" not in html and "Notifications, 0 unread" in html


def test_the_count_is_dropped_again_when_the_writing_transaction_commits(
    territory, django_capture_on_commit_callbacks
):
    """A count read between the write and its commit would be stale: the commit drops it."""
    user = territory.user("resident_a")
    assert bell.unread_count(user) == 0
    with django_capture_on_commit_callbacks() as callbacks:
        _tell(user)
        bell.unread_count(user)  # someone reads the count before the commit…
    for callback in callbacks:
        callback()  # …the commit drops it
    assert bell.cached_count(user) is None and bell.unread_count(user) == 1


def test_the_key_belongs_to_this_account_only(territory):
    user = territory.user("resident_a")
    _tell(user, 2)
    assert bell.unread_count(user) == 2
    # Another account with the same id (a restored database, another test run) starts afresh.
    user.date_joined -= timedelta(days=1)
    assert bell.cached_count(user) is None


def test_without_the_cache_the_bell_reads_the_database(territory, monkeypatch):
    user = territory.user("resident_a")
    _tell(user, 2)

    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(bell.cache, "get", down)
    monkeypatch.setattr(bell.cache, "set", down)
    assert bell.unread_count(user) == 2


def test_the_count_is_capped_and_shown_short(territory, monkeypatch):
    user = territory.user("resident_a")
    _tell(user, 4)
    monkeypatch.setattr(bell, "CAP", 3)
    bell.forget([user])
    assert bell.unread_count(user) == 3
    shown = bell.Bell(user)
    shown.count = 120  # type: ignore[misc]
    assert shown.shown == "99+"
