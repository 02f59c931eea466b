"""Timing helpers shared by the benchmarks."""

import statistics
import time
from collections.abc import Callable

from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext


def timings(fn: Callable[[], object], repeat: int = 50, warmup: int = 3) -> list[float]:
    """Milliseconds per call, after a few warm-up calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)


def count_queries(fn: Callable[[], object]) -> int:
    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)
