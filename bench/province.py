"""A province at compressed time, with the beat sweeping all along (issue #20, item 4).

A province files about 850,000 cases a month (PROVINCE_CASES), 0.33 a second on average, and
its busiest hour brings five times the mean. This benchmark replays a stretch of such a month
(from PROVINCE_START_HOUR, for PROVINCE_MINUTES of wall time) with time compressed by
PROVINCE_COMPRESSION (simulated seconds per wall second):

- arrivals follow the day curve below, filed in one-second batches as dispatched cases with
  their sign-for, contact and resolve clocks (compressed like everything else);
- a handler signs for, contacts and resolves most of them (PROVINCE_HANDLED) after a random
  simulated delay, through services.actions as the system (actor None), in two threads;
- the rest run into yellow and red cards and escalation, applied by a real Celery worker and
  beat (portal/beat.py: the sweep every minute) started here as subprocesses;
- every 2 s the sweep lag is read with /metrics' own query (the oldest due step not applied);
  the first 90 s are reported apart (they hold whatever the database had waiting before the
  worker started).

Figures: cases filed, handler actions, sweep lag (max, p95, and right after each sweep), the
sweep runs and their durations from the worker's log, events written; then table and index
sizes, dead rows and autovacuum runs, and the plans of the hot paths (the sweep's due scan,
a grid worker's open list, a case's timeline) at this volume.

It writes: DATABASE_URL must name a benchmark database (its name contains "bench" or
"province"), loaded first with the city seed (`LINLI_SEED_CASES=1000000 manage.py seed_demo
--scale city`: more than a province's month as history, so sizes and plans are those of a
province). CELERY_BROKER_URL should be a Redis database of its own.
"""

from __future__ import annotations

import heapq
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from bench._util import p95

CASES_A_MONTH = int(os.environ.get("PROVINCE_CASES", "850000"))
COMPRESSION = float(os.environ.get("PROVINCE_COMPRESSION", "20"))
MINUTES = float(os.environ.get("PROVINCE_MINUTES", "15"))
START_HOUR = float(os.environ.get("PROVINCE_START_HOUR", "7"))
HANDLED = float(os.environ.get("PROVINCE_HANDLED", "0.9"))
HANDLER_THREADS = int(os.environ.get("PROVINCE_HANDLER_THREADS", "2"))

# Share of a day's cases per hour (0–23): quiet nights, a morning peak, an afternoon shoulder.
# Relative weights; per_second() scales them to the mean (the busiest hour is then 5× it).
DAY_CURVE = [
    0.15, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 1.0,
    2.5, 5.0, 3.0, 1.6, 1.0, 1.2, 1.6, 1.5,
    1.2, 0.9, 0.6, 0.5, 0.4, 0.3, 0.25, 0.2,
]  # fmt: skip
MEAN_PER_SECOND = CASES_A_MONTH / (30 * 86400)

WARM_UP = 90  # seconds

LAG_SQL = "SELECT min(next_check_at) FROM services_case WHERE next_check_at <= now()"


def per_second(sim_hour: float) -> float:
    """Simulated arrivals per simulated second at this hour of the day."""
    curve = DAY_CURVE[int(sim_hour) % 24]
    return MEAN_PER_SECOND * curve * 24 / sum(DAY_CURVE)


def _start_celery(log_dir: Path, env: dict) -> list[subprocess.Popen]:
    py = sys.executable
    common = ["-m", "celery", "-A", "portal"]
    commands = {
        "worker": ["worker", "-l", "info", "--concurrency", "2", "-n", "province@%h"],
        "beat": ["beat", "-l", "info", "--schedule", str(log_dir / "beat-schedule")],
    }
    procs = []
    for name, args in commands.items():
        # The child keeps its own copy of the descriptor; ours can close at once.
        with open(log_dir / f"{name}.log", "w") as log:
            procs.append(
                subprocess.Popen(
                    [py, *common, *args], stdout=log, stderr=subprocess.STDOUT, env=env
                )
            )
    return procs


class Arrivals:
    """Files the simulated arrivals as dispatched cases, in bulk (as the city seed does: the
    intake itself is measured elsewhere, bench/services.py); returns what the handler does."""

    def __init__(self, rng: random.Random):
        from grids.models import Area
        from services.demo import seed_catalogue

        city = Area.objects.filter(code="SCALE", depth=1).first()
        if city is None:
            raise RuntimeError("load the city seed first (manage.py seed_demo --scale city)")
        self.rng = rng
        self.leaves = [c for c in seed_catalogue().values() if c.parent_id]
        self.buildings = list(
            Area.objects.filter(path__startswith=city.path, kind="building").values_list(
                "id", "path"
            )
        )
        self.grids = dict(
            Area.objects.filter(path__startswith=city.path, kind="grid", grid_level=3).values_list(
                "path", "id"
            )
        )
        self.step = Area.steplen
        # Numbers above the intake's (which counts from 1 a day) and the seed's (from 50001),
        # after any an earlier run filed today.
        from django.utils import timezone

        from services.models import Case

        today = f"{timezone.localdate():%Y%m%d}"
        last = (
            Case.objects.filter(number__startswith=today, number__gte=f"{today}60000")
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        self.seq = int(last[8:]) if last else 60000

    def file(self, count: int) -> list[tuple[float, int, str]]:
        from django.db import transaction
        from django.utils import timezone

        from services.models import Case, CaseEvent

        now = timezone.now()
        wall = time.monotonic()
        c = COMPRESSION
        cases = []
        for _ in range(count):
            building_id, path = self.buildings[self.rng.randrange(len(self.buildings))]
            grid_id = self.grids.get(path[: -2 * self.step])
            self.seq += 1
            resolve_days = self.rng.choice((2, 10, 15))
            case = Case(
                number=f"{timezone.localdate():%Y%m%d}{self.seq:05d}",
                channel="hotline",
                case_type="help",
                category=self.leaves[self.rng.randrange(len(self.leaves))],
                description="省级规模模拟工单",
                place_id=building_id,
                place_path=path,
                grid_id=grid_id,
                tracking_token=secrets.token_urlsafe(12),
                reporter_phone="13800000000",
                state="dispatched",
                level="grid",
                handling_area_id=grid_id,
                dispatched_at=now,
                sign_warn_at=now + timedelta(seconds=0.8 * 2 * 3600 / c),
                sign_due=now + timedelta(seconds=2 * 3600 / c),
                contact_warn_at=now + timedelta(seconds=0.8 * 24 * 3600 / c),
                contact_due=now + timedelta(seconds=24 * 3600 / c),
                resolve_warn_at=now + timedelta(seconds=0.8 * resolve_days * 86400 / c),
                resolve_due=now + timedelta(seconds=resolve_days * 86400 / c),
                card_level=0,
            )
            case.next_check_at = case.sign_warn_at
            cases.append(case)
        with transaction.atomic():
            created = Case.objects.bulk_create(cases)
            events = []
            for case in created:
                events.append(CaseEvent(case=case, at=now, action="submit", to_state="submitted"))
                events.append(
                    CaseEvent(
                        case=case,
                        at=now,
                        action="dispatch",
                        from_state="submitted",
                        to_state="dispatched",
                    )
                )
            CaseEvent.objects.bulk_create(events)
        plan = []
        for case in created:
            if self.rng.random() >= HANDLED:
                continue
            sign = self.rng.uniform(600, 2.5 * 3600)  # simulated seconds after filing
            contact = sign + self.rng.uniform(60, 20 * 3600)
            resolve = contact + self.rng.uniform(3600, 12 * 86400)
            plan += [
                (wall + sign / c, case.pk, "sign_for"),
                (wall + contact / c, case.pk, "record_contact"),
                (wall + resolve / c, case.pk, "resolve"),
            ]
        return plan


class Handler:
    """The handling units: each planned step at its time, through services.actions."""

    def __init__(self):
        self.heap: list[tuple[float, int, str]] = []
        self.lock = threading.Lock()
        self.done = 0
        self.refused = 0
        self.behind: list[float] = []
        self.stop = threading.Event()

    def add(self, plan) -> None:
        with self.lock:
            for item in plan:
                heapq.heappush(self.heap, item)

    def _next(self):
        with self.lock:
            if self.heap and self.heap[0][0] <= time.monotonic():
                return heapq.heappop(self.heap)
        return None

    def run(self) -> None:
        from django.core.exceptions import ValidationError
        from django.db import connection

        from services import actions

        try:
            while not self.stop.is_set():
                item = self._next()
                if item is None:
                    time.sleep(0.05)
                    continue
                when, case_id, step = item
                self.behind.append(time.monotonic() - when)
                try:
                    if step == "resolve":
                        actions.resolve(case_id, actor=None, result="已处理完毕")
                    else:
                        getattr(actions, step)(case_id, actor=None)
                    self.done += 1
                except ValidationError:
                    # Escalated away from the grid meanwhile, or returned: as a unit would,
                    # leave it to the next level.
                    self.refused += 1
        finally:
            connection.close()


def _lag_seconds(cursor) -> float:
    from django.utils import timezone

    cursor.execute(LAG_SQL)
    oldest = cursor.fetchone()[0]
    return max((timezone.now() - oldest).total_seconds(), 0.0) if oldest else 0.0


def _sweeps(log: Path) -> list[tuple[float, int]]:
    """(seconds, cases) of each finished sweep, from the worker's log."""
    pattern = re.compile(r"sweep_deadlines\[[^\]]+\] succeeded in ([\d.]+)s: (\d+)")
    return [(float(s), int(n)) for s, n in pattern.findall(log.read_text(errors="replace"))]


def _simulate(emit, log_dir: Path) -> None:
    from django.db import connection

    from services.models import Case, CaseEvent

    rng = random.Random(2026)
    arrivals = Arrivals(rng)
    handler = Handler()
    threads = [threading.Thread(target=handler.run) for _ in range(HANDLER_THREADS)]
    for t in threads:
        t.start()
    events_before = CaseEvent.objects.count()
    cases_before = Case.objects.count()
    lags: list[float] = []
    first: list[float] = []
    owed = 0.0
    filed = 0
    peak_second = 0
    start = time.monotonic()
    next_lag = start
    try:
        with connection.cursor() as cursor:
            while (elapsed := time.monotonic() - start) < MINUTES * 60:
                sim_hour = START_HOUR + elapsed * COMPRESSION / 3600
                owed += per_second(sim_hour) * COMPRESSION
                count = int(owed)
                owed -= count
                if count:
                    handler.add(arrivals.file(count))
                    filed += count
                    peak_second = max(peak_second, count)
                if time.monotonic() >= next_lag:
                    (lags if elapsed >= WARM_UP else first).append(_lag_seconds(cursor))
                    next_lag += 2
                time.sleep(max(0.0, start + elapsed + 1 - time.monotonic()))
    finally:
        handler.stop.set()
        for t in threads:
            t.join()
    sweeps = _sweeps(log_dir / "worker.log")
    sim_hours = MINUTES * 60 * COMPRESSION / 3600
    sizes = {
        "compression": COMPRESSION,
        "minutes": MINUTES,
        "simulated_hours": round(sim_hours, 1),
        "from_hour": START_HOUR,
        "cases_before": cases_before,
    }
    emit("cases filed", filed, "cases", **sizes)
    emit("busiest hour over the mean", max(DAY_CURVE) * 24 / sum(DAY_CURVE), "×", **sizes)
    emit("busiest second", peak_second, "cases/s", **sizes)
    emit("handler steps done", handler.done, "steps", refused=handler.refused, **sizes)
    if handler.behind:
        emit("handler behind its plan, p95", p95(handler.behind), "s", **sizes)
    emit("events written", CaseEvent.objects.count() - events_before, "events", **sizes)
    emit("sweep lag in the first 90 s, max", max(first), "s", samples=len(first), **sizes)
    emit("sweep lag, max", max(lags), "s", samples=len(lags), **sizes)
    emit("sweep lag, p95", p95(lags), "s", samples=len(lags), **sizes)
    if sweeps:
        emit("sweeps run", len(sweeps), "runs", **sizes)
        emit("sweep duration, max", max(s for s, _ in sweeps), "s", **sizes)
        emit("cases taken by one sweep, max", max(n for _, n in sweeps), "cases", **sizes)
    # After the run: how far behind the sweep is once the last arrivals are in.
    time.sleep(35)
    with connection.cursor() as cursor:
        emit("sweep lag 35 s after the last arrival", _lag_seconds(cursor), "s", **sizes)


def _report_tables(emit) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT relname, pg_total_relation_size(relid), pg_relation_size(relid),
                      pg_indexes_size(relid), n_live_tup, n_dead_tup, autovacuum_count,
                      autoanalyze_count
                 FROM pg_stat_user_tables
                WHERE relname IN ('services_case', 'services_caseevent',
                                  'notifications_notice', 'services_cityoutbox')
                   OR relname LIKE 'notifications_%%'
                   -- the case events' months, once partitioned (services.partitions)
                   OR relname LIKE 'services_caseevent_p%%'
                ORDER BY pg_total_relation_size(relid) DESC LIMIT 12"""
        )
        for name, total, heap, indexes, live, dead, vacuums, analyzes in cursor.fetchall():
            emit(
                f"table {name}",
                total / 2**20,
                "MB",
                heap_mb=round(heap / 2**20),
                indexes_mb=round(indexes / 2**20),
                live_rows=live,
                dead_rows=dead,
                autovacuums=vacuums,
                autoanalyzes=analyzes,
            )


def _hot_paths() -> dict[str, tuple[str, tuple]]:
    """The hot paths' own queries, as the ORM writes them."""
    from django.utils import timezone

    from services.choices import OPEN_STATES
    from services.models import Case, CaseEvent

    last = Case.objects.order_by("-pk").values("pk", "place_path", "grid__path").first()
    grid_path = last["grid__path"] or last["place_path"][:-4]
    queries = {
        "sweep due scan": Case.objects.filter(next_check_at__lte=timezone.now())
        .order_by("next_check_at")
        .values_list("pk", flat=True)[:500],
        "a grid's open cases (grid worker list)": Case.objects.filter(
            place_path__startswith=grid_path, state__in=OPEN_STATES
        ).order_by("-card_level", "resolve_due", "id")[:50],
        "a case's timeline": CaseEvent.objects.filter(case_id=last["pk"]).order_by("at"),
    }
    return {name: qs.query.sql_with_params() for name, qs in queries.items()}


_SCAN = re.compile(
    r"(?:Index Only Scan|Index Scan|Bitmap Index Scan)(?: Backward)? using \w+|Seq Scan on \w+"
)


def _report_plans(emit) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for name, (sql, params) in _hot_paths().items():
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) " + sql, params)
            plan = [row[0] for row in cursor.fetchall()]
            took = next(
                (
                    float(m.group(1))
                    for line in plan
                    if (m := re.search(r"Execution Time: ([\d.]+)", line))
                ),
                0.0,
            )
            scans = sorted({m.group(0) for line in plan for m in _SCAN.finditer(line)})
            emit(f"plan: {name}", took, "ms", scans="; ".join(scans))


def run(emit) -> None:
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if "province" not in name and "bench" not in name:
        raise RuntimeError(
            f"bench.province files thousands of cases: run it on a benchmark database, whose "
            f"name contains 'bench' or 'province' (DATABASE_URL names {name!r})"
        )
    log_dir = Path(tempfile.mkdtemp(prefix="linli-province-"))
    env = dict(os.environ, LINLI_LOG_FORMAT="plain")
    procs = _start_celery(log_dir, env)
    try:
        time.sleep(5)  # the worker connects, beat takes its lock
        _simulate(emit, log_dir)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    _report_tables(emit)
    _report_plans(emit)
    print(f"# worker and beat logs: {log_dir}", file=sys.stderr)
