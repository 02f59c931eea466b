"""The loopback cluster (portal/cluster) started, drilled and stopped: PostgreSQL primary and a
real streaming replica, pgbouncer, Redis, two web processes, two workers and the beat, on ports
of its own (a developer's `make cluster` may run beside it) and a directory under var/.

The database comes from the suite's own test database (LINLI_CLUSTER_TEMPLATE_URL) instead of
running every migration, to stay within the suite's budget; `make cluster` migrates.

The drill: with the replica killed (SIGKILL) the replica's reads keep answering from the
primary; with a web process's worker killed the other web process keeps serving and gunicorn
brings the worker back; a second start brings the replica back, streaming, and reads return
to it. The whole drill set (primary failover, Redis, workers, backup and restore) is
bench/drills.py, run by hand: docs/scaling.md has its outcomes."""

from __future__ import annotations

import os
import shutil
import signal
import time
import uuid

import pytest
import requests
from django.db import connection

from portal.cluster import ROOT, Config, port_open, read_pid, servers
from portal.cluster import __main__ as cluster
from portal.cluster.procs import children, pid_of, procs

PORTS = {
    "LINLI_CLUSTER_PG_PORT": "55532",
    "LINLI_CLUSTER_REPLICA_PORT": "55533",
    "LINLI_CLUSTER_BOUNCER_PORT": "56532",
    "LINLI_CLUSTER_REDIS_PORT": "56479",
    "LINLI_CLUSTER_WEB_PORTS": "58101,58102",
}


@pytest.fixture
def cfg(db, monkeypatch):
    base = ROOT / "var" / f"test-cluster-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("LINLI_CLUSTER_DIR", str(base))
    for name, value in PORTS.items():
        monkeypatch.setenv(name, value)
    # The suite's test database (migrated; the test's own transaction is not in the copy).
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        name = cursor.fetchone()[0]
    s = connection.settings_dict
    monkeypatch.setenv(
        "LINLI_CLUSTER_TEMPLATE_URL",
        f"postgresql://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:"
        f"{s['PORT'] or 5432}/{name}",
    )
    monkeypatch.setenv("LINLI_CLUSTER_THREADS", "2")
    # Collected static files (hashed, compressed: DEBUG is off) kept between runs, collected
    # again only when a static file changes: compressing them all takes minutes here.
    monkeypatch.setenv("LINLI_CLUSTER_STATIC_ROOT", str(ROOT / "var" / "test-cluster-static"))
    cfg = Config()
    cluster._collect_static(cfg)  # once, outside the time bound (kept between runs)
    yield cfg
    cluster.stop(cfg)
    if os.environ.get("LINLI_KEEP_TEST_CLUSTER") != "1":
        shutil.rmtree(base, ignore_errors=True)


def _get(port: int, path: str, **kw) -> requests.Response:
    return requests.get(f"http://127.0.0.1:{port}{path}", timeout=10, **kw)


def _until(check, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def test_the_cluster_starts_survives_a_dead_replica_and_web_worker_and_stops(cfg):
    started = time.monotonic()
    for line in cluster.start(cfg, seed=False):
        print(f"{time.monotonic() - started:5.1f}s {line}")
    status = cluster.status(cfg)
    assert all(status[p.name] for p in procs(cfg)), status
    assert status["pgbouncer"] and status["redis"]
    assert _until(lambda: servers.replication(cfg).get("state") == "streaming", 20)
    web1, web2 = cfg.web_ports

    # Open311's reads come from the streaming replica, through pgbouncer; a browser that has
    # just written reads from the primary.
    r = _get(web1, "/open311/v2/services.json")
    assert r.status_code == 200 and r.headers["X-Linli-Read-From"] == "replica"
    wrote = {"linli_wrote": f"{time.time():.3f}"}
    assert (
        _get(web2, "/open311/v2/services.json", cookies=wrote).headers["X-Linli-Read-From"]
        == "default"
    )

    # A second start starts nothing (idempotent).
    pids = {p.name: pid_of(cfg, p.name) for p in procs(cfg)}
    again = cluster.start(cfg, seed=False)
    assert len(again) == 1 and again[0].startswith("ready in"), again
    assert pids == {p.name: pid_of(cfg, p.name) for p in procs(cfg)}

    # The replica killed: its reads answer from the primary, every one of them a 200.
    replica = read_pid(cfg.node_dir(cfg.replica_port) / "postmaster.pid")
    os.kill(replica, signal.SIGKILL)
    answers = []

    def served_by_primary() -> bool:
        r = _get(web1, "/open311/v2/services.json")
        answers.append(r.status_code)
        return r.headers.get("X-Linli-Read-From") == "default"

    assert _until(served_by_primary, 15)
    assert set(answers) == {200}, answers

    # A web process's worker killed: the other keeps serving; gunicorn starts a new worker.
    master = pid_of(cfg, f"web-{web1}")
    worker = children(master)[0]
    os.kill(worker, signal.SIGKILL)
    assert _get(web2, "/healthz").status_code == 200
    assert _until(lambda: children(master) and children(master)[0] != worker, 30)
    assert _until(lambda: _get(web1, "/healthz").status_code == 200, 60)

    # Recovery is a second start: the replica is back, streaming, and serving reads again.
    cluster.start(cfg, seed=False)
    assert _until(lambda: servers.replication(cfg).get("state") == "streaming", 30)
    assert _until(
        lambda: (
            _get(web1, "/open311/v2/services.json").headers.get("X-Linli-Read-From") == "replica"
        ),
        15,
    )

    cluster.stop(cfg)
    assert not any(cluster.status(cfg)[p.name] for p in procs(cfg))
    assert not any(
        port_open(p) for p in (*cfg.pg_ports, cfg.bouncer_port, cfg.redis_port, *cfg.web_ports)
    )
    assert time.monotonic() - started < 90
