"""The one per-process TTL memo: a lookup that staff rarely change (a category, a time limit, the
holiday table, the admin's navigation) is kept for a few seconds in each process instead of read
on every request. Staff edits clear it at once in their own process; other processes see them
within the TTL. Built on cachetools' TTLCache, with a lock (TTLCache is not thread-safe and
gunicorn/celery threads share a process)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from cachetools import TTLCache

V = TypeVar("V")
_MISSING = object()


class TTLMemo(Generic[V]):
    """`memo.get(key, load)` returns the value kept for `key`, calling `load()` when it is missing
    or older than `ttl` seconds. At most `maxsize` keys are kept (least recently used go first)."""

    def __init__(self, ttl: float, maxsize: int = 10_000) -> None:
        self._cache: TTLCache = TTLCache(maxsize=maxsize, ttl=ttl)
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], V]) -> V:
        with self._lock:
            value = self._cache.get(key, _MISSING)
        if value is _MISSING:
            value = load()  # outside the lock: a slow load must not stall other keys
            with self._lock:
                self._cache[key] = value
        return value  # type: ignore[return-value]

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def __len__(self) -> int:
        return len(self._cache)
