"""Centre benchmarks on the city-scale seed (make seed-city: 229 centres, 20,000 activities,
2,000,000 sign-ups; LINLI_SEED_ACTIVITIES / LINLI_SEED_SIGNUPS change the sizes).

Figures: the public centre page (queries, p95) for the centre with the most activities today;
the finder ordered by distance (p95); 200 sign-ups arriving at once for 50 places (wall time,
and that exactly 50 are confirmed and 150 wait); one sign-up (p95); the figures of every centre
for a month (p95).

The concurrent sign-ups run in BENCH_SIGNUP_PROCESSES forked processes (default 8, like web
workers) of BENCH_SIGNUP_THREADS threads each (default 8: 64 connections, the server allows
100), released together by a barrier; they queue on the activity's row lock as real requests do.
Each sign-up runs the real actions.sign_up (its own transaction), not an HTTP request.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from bench._util import count_queries, p95, timings

SIGNUPS = int(os.environ.get("BENCH_SIGNUPS", "200"))
PLACES = int(os.environ.get("BENCH_PLACES", "50"))
PROCESSES = int(os.environ.get("BENCH_SIGNUP_PROCESSES", "8"))
THREADS = int(os.environ.get("BENCH_SIGNUP_THREADS", "8"))  # per process


def _signup_worker(activity_id, user_ids, barrier, results) -> None:
    """One process (as one web worker would be) running its share of the sign-ups on
    THREADS threads, each with its own database connection."""
    from django.contrib.auth import get_user_model
    from django.db import connections

    from centres import actions

    users = list(get_user_model().objects.filter(pk__in=user_ids))
    connections.close_all()

    connected = threading.Barrier(THREADS + 1)
    go = threading.Barrier(THREADS + 1)

    def share(chunk) -> list[str]:
        # One connection per thread, opened before the start and kept for all its sign-ups,
        # as a web worker keeps its connection (CONN_MAX_AGE); opening one per sign-up would
        # measure PostgreSQL forking backends instead.
        from django.db import connection

        connection.ensure_connection()
        connected.wait(timeout=60)
        go.wait(timeout=60)
        out = []
        try:
            for user in chunk:
                try:
                    out.append(actions.sign_up(activity_id, actor=user).status)
                except Exception as exc:  # reported, and the check in run() fails
                    out.append(f"error: {exc}")
        finally:
            connections.close_all()
        return out

    chunks = [users[i::THREADS] for i in range(THREADS)]
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(share, chunk) for chunk in chunks]
        connected.wait(timeout=60)
        barrier.wait(timeout=60)  # every process is connected: all start together
        go.wait(timeout=60)
        out = [status for f in futures for status in f.result()]
    results.put(out)


def _concurrent_signups(activity_id: int, user_ids: list[int]) -> tuple[list[str], float]:
    """Fork PROCESSES workers, release them together, return the outcomes and the wall time
    from the release until the last sign-up is decided."""
    import multiprocessing

    from django.db import connections

    ctx = multiprocessing.get_context("fork")
    connections.close_all()  # children must not share the parent's connection
    barrier = ctx.Barrier(PROCESSES + 1)
    results = ctx.Queue()
    shares = [user_ids[i::PROCESSES] for i in range(PROCESSES)]
    procs = [
        ctx.Process(target=_signup_worker, args=(activity_id, share, barrier, results))
        for share in shares
    ]
    for proc in procs:
        proc.start()
    barrier.wait(timeout=60)
    begin = time.perf_counter()
    outcomes: list[str] = []
    for _ in procs:
        outcomes += results.get(timeout=120)
    elapsed = time.perf_counter() - begin
    for proc in procs:
        proc.join(30)
    return outcomes, elapsed


def _setup():
    from django.db.models import Count, Q
    from django.utils import timezone

    from centres.models import Centre
    from grids.models import Area

    city = Area.objects.filter(code="SCALE", depth=1).first()
    if city is None:
        raise RuntimeError("run `make seed-city` first (manage.py seed_demo --scale city)")
    centres = Centre.objects.filter(community__path__startswith=city.path)
    if not centres.exists():
        raise RuntimeError("no centres in the scale city: run centres.demo.seed_city")
    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(today, datetime.min.time()))
    busiest = (
        centres.annotate(
            today=Count(
                "activities",
                filter=Q(
                    activities__starts_at__gte=start,
                    activities__starts_at__lt=start + timedelta(days=1),
                ),
            )
        )
        .order_by("-today", "pk")
        .first()
    )
    return city, centres, busiest


def _users(n: int, prefix: str):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    names = [f"{prefix}{i}" for i in range(n)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create([User(username=u, password="!") for u in names if u not in existing])
    return list(User.objects.filter(username__in=names).order_by("username"))


def run(emit) -> None:
    from django.test import Client
    from django.utils import timezone

    from centres import actions, figures
    from centres.models import Activity, SignUp

    city, centres, busiest = _setup()
    sizes = {
        "centres": centres.count(),
        "activities": Activity.objects.filter(centre__in=centres).count(),
        "signups": SignUp.objects.filter(activity__centre__in=centres).count(),
    }

    # --- the centre page ---------------------------------------------------------------------
    client = Client()
    url = f"/centres/{busiest.pk}/"
    assert client.get(url).status_code == 200
    emit("centre_page_queries", count_queries(lambda: client.get(url)), "queries", **sizes)
    emit(
        "centre_page_p95",
        p95(timings(lambda: client.get(url), repeat=200)),
        "ms",
        **sizes,
        today=busiest.today,
    )
    finder = "/centres/?lat=24.95&lng=118.65"
    assert client.get(finder).status_code == 200
    emit("finder_nearest_p95", p95(timings(lambda: client.get(finder), repeat=100)), "ms", **sizes)

    # --- 200 sign-ups at once for 50 places --------------------------------------------------
    users = _users(SIGNUPS + 50, "bench-signup-")
    function = busiest.functions.get(code="leisure")
    starts = timezone.now() + timedelta(days=3)
    activity = Activity.objects.create(
        centre=busiest,
        function=function,
        title="基准测试: 抢名额",
        kind="class",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        capacity=PLACES,
    )
    outcomes, elapsed = _concurrent_signups(activity.pk, [u.pk for u in users[:SIGNUPS]])
    activity.refresh_from_db()
    confirmed = SignUp.objects.filter(activity=activity, status="confirmed").count()
    waiting = SignUp.objects.filter(activity=activity, status="waitlisted").count()
    correct = (
        confirmed == PLACES
        and waiting == SIGNUPS - PLACES
        and activity.confirmed_count == PLACES
        and activity.waitlist_count == SIGNUPS - PLACES
        and outcomes.count("confirmed") == PLACES
    )
    emit(
        "concurrent_signups_s",
        elapsed,
        "s",
        signups=SIGNUPS,
        places=PLACES,
        processes=PROCESSES,
        threads=THREADS,
        confirmed=confirmed,
        waitlisted=waiting,
        correct=correct,
        errors=[o for o in outcomes if o.startswith("error")][:3],
    )

    # --- one sign-up -----------------------------------------------------------------------------
    spare = iter(users[SIGNUPS:])
    big = Activity.objects.create(
        centre=busiest,
        function=function,
        title="基准测试: 单人报名",
        kind="class",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        capacity=1000,
    )
    emit(
        "signup_p95",
        p95(timings(lambda: actions.sign_up(big.pk, actor=next(spare)), repeat=40, warmup=3)),
        "ms",
        **sizes,
    )

    # --- figures for every centre for a month ----------------------------------------------------
    from django.contrib.auth import get_user_model

    root, _ = get_user_model().objects.get_or_create(
        username="bench-root", defaults={"is_superuser": True, "is_staff": True}
    )
    end = timezone.now()
    begin_m = end - timedelta(days=30)
    emit(
        "figures_city_month_p95",
        p95(timings(lambda: figures.figures(root, begin_m, end), repeat=10, warmup=1)),
        "ms",
        **sizes,
    )

    # Leave the seed as it was.
    SignUp.objects.filter(activity__in=[activity, big]).delete()
    Activity.objects.filter(pk__in=[activity.pk, big.pk]).delete()
