"""Case engine benchmarks on the city-scale seed (make seed-city; LINLI_SEED_CASES cases).

Figures: intake through the real API view (cases/s, test client, no photo), one request at a
time and from BENCH_INTAKE_THREADS threads of the same process (the staff case list is
bench/desk.py's); the case page with a 30-step timeline (queries, p95); a sweep escalating
10,000 due cases in this process (in its own two threads, as the task runs), and again
through a pool of real worker processes (BENCH_SWEEP_WORKERS, default 2); a sweep with nothing
due; the KPIs of a district for a month.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timedelta

from django.db.models import F

from bench._util import count_queries, p95, timings

INTAKE_N = int(os.environ.get("BENCH_INTAKE", "400"))
# Threads for the second intake figure: one process serving several requests at once, as a
# threaded gunicorn worker does (each thread its own client and database connection).
INTAKE_THREADS = int(os.environ.get("BENCH_INTAKE_THREADS", "4"))
SWEEP_N = int(os.environ.get("BENCH_SWEEP", "10000"))
WORKERS = int(os.environ.get("BENCH_SWEEP_WORKERS", "2"))  # worker processes for the pool figure


def _setup():
    from django.contrib.auth import get_user_model

    from grids.models import Area, Household, Role, RoleAssignment
    from services.demo import seed_catalogue

    city = Area.objects.filter(code="SCALE", depth=1).first()
    if city is None:
        raise RuntimeError("run `make seed-city` first (manage.py seed_demo --scale city)")
    seed_catalogue()
    district = Area.objects.filter(path__startswith=city.path, kind="district").order_by("path")[0]
    User = get_user_model()
    staff, _ = User.objects.get_or_create(username="bench-district", defaults={"is_staff": True})
    RoleAssignment.objects.get_or_create(user=staff, role=Role.DISTRICT_STAFF, area=district)
    resident, _ = User.objects.get_or_create(username="bench-resident")
    household = Household.objects.filter(building__path__startswith=district.path).first()
    RoleAssignment.objects.get_or_create(user=resident, role=Role.RESIDENT, household=household)
    return city, district, staff, resident, household


def _make_due(city) -> list[int]:
    """SWEEP_N open cases whose sign-for clocks ran out an hour ago (dispatched, never signed)."""
    from django.db import connection
    from django.utils import timezone

    from services.models import Case

    now = timezone.now()
    ids = list(
        Case.objects.filter(
            place_path__startswith=city.path,
            state__in=["dispatched", "signed", "in_progress"],
        ).values_list("pk", flat=True)[:SWEEP_N]
    )
    Case.objects.filter(pk__in=ids).update(
        state="dispatched",
        level="grid",
        handling_area=F("grid"),  # back with their grid (an earlier run escalated some)
        handling_department=None,
        sign_warn_at=now - timedelta(hours=3),
        sign_due=now - timedelta(hours=1),
        sign_stage=0,
        next_check_at=now - timedelta(hours=3),
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE services_case")
    return ids


def _sweep_with_workers(ids: list[int]) -> tuple[float, int]:
    """One sweep message to a pool of WORKERS real worker processes (the sweep sends helpers
    when more than a batch is due); seconds until every case has escalated (worker start-up
    not counted)."""
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    from django.conf import settings

    from portal.celery import app
    from services import tasks
    from services.models import Case

    queue = "bench-sweep"
    log = Path(tempfile.mkstemp(prefix="bench-sweep-", suffix=".log")[1])
    env = {**os.environ, "LINLI_CELERY_QUEUE": queue}
    env.setdefault("CELERY_BROKER_URL", settings.CELERY_BROKER_URL)
    cmd = [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", queue]
    cmd += ["-c", str(WORKERS), "--without-mingle", "--without-gossip", "-l", "info"]
    worker = subprocess.Popen(cmd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "ready" not in log.read_text(errors="replace"):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"bench worker did not start:\n{log.read_text()}")
            time.sleep(0.2)
        start = time.perf_counter()
        tasks.sweep_deadlines.apply_async(kwargs={"helpers": WORKERS - 1}, queue=queue)
        done = 0
        while time.perf_counter() - start < 300:
            done = Case.objects.filter(pk__in=ids, level="community").count()
            if done == len(ids):
                break
            time.sleep(0.05)
        return time.perf_counter() - start, done
    finally:
        worker.terminate()
        worker.wait(30)
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)
        log.unlink(missing_ok=True)


def _intake_in_threads(resident, body: str, n: int, threads: int) -> float:
    """Seconds to file `n` cases through the API view from `threads` threads of this process."""
    import threading

    from django.db import connection
    from django.test import Client

    barrier = threading.Barrier(threads + 1)
    failures: list[str] = []

    def work(count: int) -> None:
        try:
            client = Client()
            client.force_login(resident)
            barrier.wait()
            for _ in range(count):
                r = client.post("/api/services/cases/", body, content_type="application/json")
                if r.status_code != 201:
                    failures.append(r.content[:300].decode(errors="replace"))
        finally:
            connection.close()

    share = [n // threads + (1 if i < n % threads else 0) for i in range(threads)]
    pool = [threading.Thread(target=work, args=(k,)) for k in share]
    for t in pool:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise RuntimeError(f"intake failed in a thread: {failures[0]}")
    return elapsed


def run(emit) -> None:
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from portal.celery import app
    from services import actions, kpis, tasks
    from services.calendar import TZ
    from services.models import Case, Category

    city, district, staff, resident, household = _setup()
    total = Case.objects.filter(place_path__startswith=city.path).count()
    sizes = {"cases": total}

    # Tasks sent by the intake go to a queue nobody reads; it is purged at the end.
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = "bench-services"
    try:
        # --- intake through the real view ---------------------------------------------------
        client = Client()
        client.force_login(resident)
        category = Category.objects.filter(parent__isnull=False).first()
        body = json.dumps(
            {
                "case_type": "help",
                "category": category.pk,
                "description": "楼道灯坏了",
                "place": household.building_id,
            }
        )
        client.post("/api/services/cases/", body, content_type="application/json")
        start = time.perf_counter()
        for _ in range(INTAKE_N):
            response = client.post("/api/services/cases/", body, content_type="application/json")
            assert response.status_code == 201, response.content[:300]
        elapsed = time.perf_counter() - start
        emit("intake_cases_per_s", INTAKE_N / elapsed, "cases/s", **sizes, n=INTAKE_N)
        elapsed = _intake_in_threads(resident, body, INTAKE_N, INTAKE_THREADS)
        emit(
            "intake_threads_cases_per_s",
            INTAKE_N / elapsed,
            "cases/s",
            **sizes,
            n=INTAKE_N,
            threads=INTAKE_THREADS,
        )
        # Route them now, as a worker would have: otherwise the sweep figures below dispatch
        # whichever of them passed their minute of grace meanwhile.
        tasks.dispatch_pending()

        # (The staff case list and its counts are benched by bench/desk.py.)
        client = Client()
        client.force_login(staff)

        # --- case page with a 30-step timeline ---------------------------------------------------
        case = Case.objects.filter(place_path__startswith=district.path, state="submitted").last()
        case = actions.dispatch(case, actor=None)
        actions.sign_for(case, actor=staff)
        for i in range(27):
            actions.add_progress(case, actor=staff, note=f"进展 {i}")
        url = reverse("desk:case", args=[case.number])
        assert client.get(url).status_code == 200
        steps = case.events.count()
        emit("case_page_queries", count_queries(lambda: client.get(url)), "queries", steps=steps)
        emit("case_page_p95", p95(timings(lambda: client.get(url), repeat=40)), "ms", steps=steps)

        # --- sweep with nothing due ----------------------------------------------------------------
        tasks.sweep_deadlines()  # clear anything really due now
        emit(
            "sweep_nothing_due_p95",
            p95(timings(lambda: tasks.sweep_once(timezone.now()), repeat=50)),
            "ms",
            **sizes,
            open=Case.objects.open().count(),
        )

        # --- sweep escalating SWEEP_N due cases: one process, then WORKERS worker processes --------
        ids = _make_due(city)
        start = time.perf_counter()
        taken = tasks.sweep_deadlines(max_batches=10_000, helpers=0)
        elapsed = time.perf_counter() - start
        escalated = Case.objects.filter(pk__in=ids, level="community").count()
        emit("sweep_due_s", elapsed, "s", **sizes, due=len(ids), taken=taken, escalated=escalated)

        ids = _make_due(city)
        elapsed, escalated = _sweep_with_workers(ids)
        emit(
            "sweep_due_workers_s",
            elapsed,
            "s",
            **sizes,
            due=len(ids),
            escalated=escalated,
            processes=WORKERS,
        )

        # --- KPIs of a district for a month -------------------------------------------------------
        today = timezone.localdate()
        month = today.replace(day=1) - timedelta(days=1)
        start_m = datetime(month.year, month.month, 1, tzinfo=TZ)
        end_m = datetime(today.year, today.month, 1, tzinfo=TZ)
        result = kpis.kpis(start=start_m, end=end_m, area=district)
        emit(
            "kpis_district_month_p95",
            p95(timings(lambda: kpis.kpis(start=start_m, end=end_m, area=district), repeat=20)),
            "ms",
            **sizes,
            cohort=result.dispatched,
        )
        emit(
            "kpis_city_month_p95",
            p95(timings(lambda: kpis.kpis(start=start_m, end=end_m, area=city), repeat=10)),
            "ms",
            **sizes,
        )
    finally:
        app.conf.task_default_queue = previous_queue
        try:
            with app.connection_for_write() as conn:
                conn.default_channel.queue_purge("bench-services")
        except Exception:  # the queue may not exist on this broker
            pass
