"""A fixed-window rate limit on the shared cache (Redis in production).

Used for anonymous case filing (per phone number and per IP) and one-time login codes."""

from __future__ import annotations

import time

from django.core.cache import cache


def hit(bucket: str, limit: int, window_seconds: int) -> bool:
    """Count one use of `bucket`; False when it is over `limit` in the current window."""
    window = int(time.time() // window_seconds)
    key = f"linli:rl:{bucket}:{window}"
    if cache.add(key, 1, timeout=window_seconds + 5):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window_seconds + 5)
            count = 1
    return count <= limit


def client_ip(request) -> str:
    """The client's address. Behind a proxy, the last hop it appended (not spoofable)."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")
