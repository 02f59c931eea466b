"""The bell: each user's unread count, kept in the cache so a page costs no query for it.

A count is read from the database once (an index-only count over the user's unread rows,
capped at CAP) and kept for TTL seconds; writing a notification for the user and marking one
read delete it, at once and again when the transaction commits (a count read between the two
would otherwise be kept). The key carries the account's creation time with its id, so a
restored database or a test run reusing ids never meets an old count."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from functools import cached_property

from django.core.cache import cache
from django.db import transaction

TTL = 600  # seconds; a count a race left stale heals by then
CAP = 1000  # the bell shows "99+" long before; the count stays bounded for anyone


def _key(user) -> str:
    joined = user.date_joined.timestamp() if user.date_joined else 0
    return f"notifications:unread:{user.pk}:{joined:.6f}"


def cached_count(user) -> int | None:
    """The cached count, or None when there is none (or the cache is down)."""
    try:
        return cache.get(_key(user))
    except Exception:  # the cache is an optimisation: without it, read the database
        return None


def unread_count(user) -> int:
    """How many unread notifications `user` has (at most CAP). No query on a cache hit."""
    count = cached_count(user)
    if count is None:
        from notifications.models import Notification

        count = Notification.objects.filter(recipient=user, read_at__isnull=True)[:CAP].count()
        with contextlib.suppress(Exception):
            cache.set(_key(user), count, TTL)
    return count


def unread_case_ids(user, case_ids: Iterable[int]) -> set[int]:
    """Which of these cases the user has an unread notification about (the "new" mark on a
    grid worker's list). Reads the bell first, which the page shows anyway: when it says
    nothing is unread, no query; else one."""
    ids = list(case_ids)
    if not ids or unread_count(user) == 0:
        return set()
    from notifications.models import Notification

    return set(
        Notification.objects.filter(
            recipient=user, read_at__isnull=True, case_id__in=ids
        ).values_list("case_id", flat=True)
    )


def forget(users: Iterable) -> None:
    """Drop these users' counts now and when the transaction commits."""
    keys = list({_key(u) for u in users if u is not None})
    if not keys:
        return

    def drop() -> None:
        with contextlib.suppress(Exception):
            cache.delete_many(keys)

    drop()
    transaction.on_commit(drop)


def prime_on_login(sender, request, user, **kwargs) -> None:
    """Count at login, so the first page after it reads the bell from the cache."""
    if user is not None and user.is_active:
        unread_count(user)


class Bell:
    """What the header shows; counted only when a page renders it."""

    def __init__(self, user):
        self.user = user

    @cached_property
    def count(self) -> int:
        return unread_count(self.user)

    @property
    def shown(self) -> str:
        return "99+" if self.count > 99 else str(self.count)


def context(request) -> dict:
    """Context processor: `bell` on every page of a logged-in user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"bell": Bell(user)}
