"""A fixed-window rate limit on the shared cache (Redis in production).

Used for anonymous case filing (per phone number and per IP) and one-time login codes. While the
cache is unreachable (django-redis is set to ignore its errors) the limit lets requests through
and says so in the log: a resident's intake matters more than the limit during an outage."""

from __future__ import annotations

import logging
import time

from django.core.cache import cache

logger = logging.getLogger("linli.ratelimit")


def hit(bucket: str, limit: int, window_seconds: int) -> bool:
    """Count one use of `bucket`; False when it is over `limit` in the current window."""
    window = int(time.time() // window_seconds)
    key = f"linli:rl:{bucket}:{window}"
    # Count first: after a window's first use that is the only round trip to the cache.
    try:
        count = cache.incr(key)
    except ValueError:  # the window's first use
        added = cache.add(key, 1, timeout=window_seconds + 5)
        if added is None:  # the cache did not answer
            logger.warning("rate limit %s not counted: the cache is unreachable", bucket)
            return True
        if added:
            return limit >= 1
        try:  # another request added it first
            count = cache.incr(key)
        except ValueError:  # and it expired in between
            cache.add(key, 1, timeout=window_seconds + 5)
            count = 1
    if count is None:
        logger.warning("rate limit %s not counted: the cache is unreachable", bucket)
        return True
    return count <= limit


def client_ip(request) -> str:
    """The client's address, from the configured trusted proxies (portal.security.client_ip)."""
    from portal.security import client_ip as resolve

    return resolve(request)
