"""Time-bank ledger benchmarks over LINLI_SEED_LEDGER_ENTRIES entries (default 5,000,000;
seeded in bulk by volunteers.demo.seed_city on the first run).

Figures: awards posted per second in one process (through ledger.award: idempotency check,
accounts, entries, the member's balance row, the deferred zero-sum trigger at each commit),
with the wall time and the CPU time per award of the benchmark process and (when PostgreSQL
runs on the same machine) of its server backend;
a member's balance and last 20 movements (the two queries the points page runs, p95); the
drift check over every account (check_ledger); and the points page's query count.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from decimal import Decimal

from bench._util import count_queries, p95, timings

AWARDS_N = int(os.environ.get("BENCH_AWARDS", "2000"))
AWARDS_WARMUP = 50


def _city():
    from grids.models import Area

    city = Area.objects.filter(code="SCALE", depth=1).first()
    if city is not None:
        return city
    # Without the city-scale seed: a bare district of 20 communities is enough for the ledger.
    city = Area.objects.filter(code="BENCH-VOL", depth=1).first()
    if city is None:
        city = Area.objects.add_root({"name": "基准市", "kind": "city", "code": "BENCH-VOL"})
        district = city.add_child(name="基准区", kind="district")
        street = district.add_child(name="基准街道", kind="street")
        for i in range(20):
            street.refresh_from_db()
            street.add_child(name=f"基准社区{i}", kind="community", code=f"BV-{i}")
    return city


def _summary(account_id: int):
    from volunteers.models import Account, LedgerEntry

    account = Account.objects.select_related("balance_row").get(pk=account_id)
    entries = list(
        LedgerEntry.objects.filter(account_id=account_id)
        .select_related("transaction")
        .order_by("-id")[:20]
    )
    return account.balance_row.balance, entries


def _server_cpu_s() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend, when the server runs
    on this machine (read from /proc); None otherwise."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def run(emit) -> None:
    from volunteers import ledger
    from volunteers.checks import check_ledger
    from volunteers.demo import seed_city
    from volunteers.models import Account, AccountKind, LedgerEntry

    city = _city()
    target = int(os.environ.get("LINLI_SEED_LEDGER_ENTRIES", "5000000"))
    seed_city(city, count=target)
    entries = LedgerEntry.objects.count()
    sizes = {"entries": entries}
    rng = random.Random(7)
    members = list(
        Account.objects.filter(kind=AccountKind.MEMBER, community__path__startswith=city.path)
        .select_related("community", "owner")
        .order_by("?")[:500]
    )

    # --- awards per second, one process ----------------------------------------------------
    # Each award is its own durable transaction (synchronous_commit as configured). The
    # process's CPU time per award is reported beside the rate: on a shared machine it moves
    # far less than the wall clock does.
    run_id = uuid.uuid4().hex[:8]
    for i in range(AWARDS_WARMUP):  # the connection, the function's cached plans
        account = members[i % len(members)]
        ledger.award(account.owner, Decimal("0.5"), account.community, key=f"warm:{run_id}:{i}")
    server = _server_cpu_s()
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(AWARDS_N):
        account = members[i % len(members)]
        ledger.award(account.owner, Decimal("0.5"), account.community, key=f"bench:{run_id}:{i}")
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    emit("awards_per_s", AWARDS_N / elapsed, "awards/s", **sizes, n=AWARDS_N)
    emit("award_wall_ms", 1000 * elapsed / AWARDS_N, "ms", **sizes, n=AWARDS_N)
    emit("award_client_cpu_ms", 1000 * cpu / AWARDS_N, "ms", **sizes, n=AWARDS_N)
    if server is not None and (after := _server_cpu_s()) is not None:
        emit("award_server_cpu_ms", 1000 * (after - server) / AWARDS_N, "ms", **sizes, n=AWARDS_N)

    # --- balance + last 20 -----------------------------------------------------------------
    ids = [a.pk for a in members]
    samples = timings(lambda: _summary(rng.choice(ids)), repeat=200)
    emit("balance_and_last_20_p95", p95(samples), "ms", **sizes)
    emit("balance_and_last_20_queries", count_queries(lambda: _summary(ids[0])), "queries")

    # --- the points page through the view ----------------------------------------------------
    from django.test import Client

    client = Client()
    client.force_login(members[0].owner)
    client.get("/volunteers/points/")
    emit(
        "points_page_queries",
        count_queries(lambda: client.get("/volunteers/points/")),
        "queries",
        **sizes,
    )
    page = timings(lambda: client.get("/volunteers/points/"), repeat=30)
    emit("points_page_p95", p95(page), "ms", **sizes)

    # --- drift check -------------------------------------------------------------------------
    start = time.perf_counter()
    report = check_ledger()
    emit(
        "drift_check_s",
        time.perf_counter() - start,
        "s",
        **sizes,
        accounts=report.accounts,
        clean=report.clean,
    )
