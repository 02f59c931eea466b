"""Process start-up tuning shared by the web (portal/wsgi.py), the Celery worker processes
(portal/celery.py) and the benchmarks, so the figures measure what production runs."""

from __future__ import annotations

import gc


def settle_gc() -> None:
    """Move everything loaded at start-up (Django, the URLconf, the apps) out of the cyclic
    collector's way.

    Those objects live as long as the process, yet every full collection walked them all again:
    on a page that allocates a lot (the inbox, the case page) a collection landing mid-request
    cost about 4 ms, which showed in the 95th percentile. `gc.freeze()` puts them in the
    permanent generation (the approach Python's documentation suggests before forking, which
    also keeps a preforked worker's pages shared); collection of what requests create is
    unchanged."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (load the URLconf now, not on the first request)
    gc.collect()
    gc.freeze()
