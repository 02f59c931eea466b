"""Failure drills against the loopback cluster (`make cluster`, portal/cluster): `python -m
bench.drills [web worker beat redis replica primary backup | all] [--seconds N]`.

Each kill drill runs a small load (bench/drill_load.py: residents filing cases through the API
with an Idempotency-Key, retried as a phone would, and Open311/health reads, spread over both
web processes), kills one piece with SIGKILL, takes the documented recovery step, and reports
what kept serving, what failed, the recovery time, and whether every case whose filing was
answered 201 is in the database afterwards (`lost` must be 0). The backup drill takes a base
backup (pg_basebackup) plus the WAL archive and a copy of media, restores them into a fresh
data directory, and checks the case count and `manage.py check_ledger` there.

Results print as JSON lines and are appended to var/cluster/drills.jsonl.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.drill_load import Load
from portal.cluster import ROOT, Config, pg_bin, port_open, psql, read_pid, run, servers, wait_for
from portal.cluster import __main__ as cluster
from portal.cluster.procs import children, pid_of, procs, start_procs


def _sql(cfg: Config, sql: str, port: int | None = None) -> str:
    return psql(port or cfg.primary_port, sql, database="linli")


def _lost(cfg: Config, acked: list[int]) -> list[int]:
    """Acknowledged case ids that are not in the (current) primary."""
    if not acked:
        return []
    ids = ",".join(str(i) for i in acked)
    found = _sql(cfg, f"SELECT id FROM services_case WHERE id IN ({ids})").split()
    return sorted(set(acked) - {int(i) for i in found})


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _queue(cfg: Config, name: str) -> int:
    proc = subprocess.run(
        ["redis-cli", "-p", str(cfg.redis_port), "llen", name], capture_output=True, text=True
    )
    try:
        return int(proc.stdout.strip())
    except ValueError:
        return -1


def _undispatched(cfg: Config, since: float) -> int:
    """Cases filed since `since` (epoch) still waiting for the dispatcher."""
    return int(
        _sql(
            cfg,
            "SELECT count(*) FROM services_case WHERE state = 'submitted' AND handling_area_id IS"
            f" NULL AND created_at >= to_timestamp({since})",
        )
        or 0
    )


def _died(cfg: Config, pids: dict[str, int | None]) -> list[str]:
    """Portal processes that are not the ones running before the drill (died, or restarted)."""
    return [name for name, pid in pids.items() if pid and pid_of(cfg, name) != pid]


def _log_has(path: Path, text: str, after: int) -> bool:
    try:
        with path.open("rb") as f:
            f.seek(after)
            return text.encode() in f.read()
    except OSError:
        return False


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def drill(cfg: Config, name: str, seconds: float) -> dict:
    cluster.start(cfg, seed=False)
    load = Load(cfg.web_ports, primary=lambda: cfg.primary_port)
    load.start()
    time.sleep(min(5.0, seconds / 3))
    before = load.snapshot()
    pids = {p.name: pid_of(cfg, p.name) for p in procs(cfg)}
    killed_at = time.time()
    t0 = time.monotonic()
    out: dict = {"drill": name}
    if name == "web":
        master = pid_of(cfg, f"web-{cfg.web_ports[0]}")
        worker = children(master)[0]
        os.kill(worker, signal.SIGKILL)
        out["killed"] = f"gunicorn worker {worker} of web-{cfg.web_ports[0]}"
        out["recovery"] = "gunicorn's master starts a new worker (no step)"
        wait_for(lambda: children(master) and children(master)[0] != worker, "respawn", 60)
        wait_for(lambda: _healthy(cfg.web_ports[0]), "web healthy", 60)
    elif name == "worker":
        pid = pid_of(cfg, "worker-cases")
        os.kill(pid, signal.SIGKILL)
        out["killed"] = f"celery worker-cases {pid}"
        time.sleep(seconds / 3)
        out["cases_queue_while_down"] = _queue(cfg, "cases")
        out["undispatched_while_down"] = _undispatched(cfg, killed_at)
        t0 = time.monotonic()
        start_procs(cfg, only={"worker-cases"})
        out["recovery"] = "`make cluster` starts the missing worker (systemd: Restart=always)"
        wait_for(lambda: _queue(cfg, "cases") == 0, "cases queue drained", 120)
    elif name == "beat":
        log = cfg.log / "beat.log"
        pid = pid_of(cfg, "beat")
        os.kill(pid, signal.SIGKILL)
        out["killed"] = f"celery beat {pid}"
        time.sleep(2)
        mark = _size(log)
        t0 = time.monotonic()
        start_procs(cfg, only={"beat"})
        out["recovery"] = "`make cluster` starts the beat again; it takes the advisory lock"
        wait_for(lambda: _log_has(log, "beat lock taken", mark), "beat lock", 90)
    elif name == "redis":
        pid = read_pid(servers.redis_dir(cfg) / "redis.pid")
        os.kill(pid, signal.SIGKILL)
        out["killed"] = f"redis {pid}"
        time.sleep(seconds / 3)
        out["died_with_it"] = _died(cfg, pids)
        out["undispatched_while_down"] = _undispatched(cfg, killed_at - 60)
        t0 = time.monotonic()
        cluster.start(cfg, seed=False)
        out["recovery"] = (
            "`make cluster`: Redis again (its append-only file keeps the queues) and the "
            "workers that kombu's restore of unacked messages killed"
        )
        wait_for(lambda: _healthy(cfg.web_ports[0]), "broker back", 60)
        wait_for(lambda: _undispatched(cfg, killed_at - 60) == 0, "cases dispatched", 300)
    elif name == "replica":
        port = cfg.replica_port
        pid = read_pid(cfg.node_dir(port) / "postmaster.pid")
        os.kill(pid, signal.SIGKILL)
        out["killed"] = f"postgres replica :{port} ({pid})"
        time.sleep(seconds / 3)
        out["open311_read_from_while_down"] = load.read_from()
        t0 = time.monotonic()
        servers.start_pg(cfg)
        out["recovery"] = "`make cluster` starts the replica; it catches up from its slot"
        wait_for(lambda: servers.replication(cfg).get("state") == "streaming", "streaming", 120)
    elif name == "primary":
        port = cfg.primary_port
        pid = read_pid(cfg.node_dir(port) / "postmaster.pid")
        os.kill(pid, signal.SIGKILL)
        out["killed"] = f"postgres primary :{port} ({pid})"
        time.sleep(3)
        t0 = time.monotonic()
        out["failover"] = cluster.failover(cfg)
        out["recovery"] = (
            "`python -m portal.cluster failover`: promote the replica, point pgbouncer's linli "
            "at it (RELOAD), restart the beat (its lock is on the primary); later "
            "`rebuild-replica`"
        )
        wait_for(lambda: load.last_write_ok() > time.monotonic() - 1, "writes again", 120)
    else:
        raise SystemExit(f"unknown drill {name}")
    out["recovery_s"] = round(time.monotonic() - t0, 1)
    out.setdefault("died_with_it", _died(cfg, pids))
    time.sleep(max(0.0, seconds - (time.monotonic() - t0)))
    load.stop()
    after = load.snapshot()
    out["load"] = Load.delta(before, after)
    out["outage_s"] = load.longest_gap()
    acked = load.acked()
    out["cases_acknowledged"] = len(acked)
    out["lost"] = _lost(cfg, acked)
    out["duplicates"] = int(
        _sql(
            cfg,
            "SELECT count(*) FROM (SELECT description FROM services_case WHERE description LIKE "
            f"'drill {load.tag} %' GROUP BY description HAVING count(*) > 1) d",
        )
        or 0
    )
    if name == "primary":
        t = time.monotonic()
        cluster.rebuild_replica(cfg)
        out["rebuild_replica_s"] = round(time.monotonic() - t, 1)
    return out


def backup_drill(cfg: Config) -> dict:
    """Base backup + WAL archive + media, restored into a fresh data directory and checked."""
    cluster.start(cfg, seed=False)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    dest = cfg.base / "backups" / stamp
    dest.mkdir(parents=True)
    servers.own(dest)
    out: dict = {"drill": "backup"}
    t = time.monotonic()
    run(
        servers.as_server(
            [pg_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(cfg.primary_port)]
            + ["-U", "postgres", "-D", str(dest / "base"), "-X", "none", "-c", "fast"]
        )
    )
    out["base_backup_s"] = round(time.monotonic() - t, 1)
    out["base_backup_mb"] = round(_du(dest / "base") / 1e6, 1)
    # Writes after the base backup: they must come back from the archived WAL.
    _sql(cfg, "CREATE TABLE IF NOT EXISTS drill_marker (at timestamptz)")
    _sql(cfg, "INSERT INTO drill_marker VALUES (now())")
    cases = int(_sql(cfg, "SELECT count(*) FROM services_case"))
    markers = int(_sql(cfg, "SELECT count(*) FROM drill_marker"))
    _sql(cfg, "SELECT pg_switch_wal()")  # the last segment to the archive
    wait_for(
        lambda: (
            _sql(
                cfg,
                "SELECT last_failed_wal IS NULL OR last_archived_time > "
                "last_failed_time FROM pg_stat_archiver",
            )
            == "t"
            and _sql(
                cfg,
                "SELECT pg_walfile_name(pg_current_wal_lsn()) > last_archived_wal "
                "FROM pg_stat_archiver",
            )
            == "t"
        ),
        "archived",
        60,
    )
    if cfg.media.exists():
        shutil.copytree(cfg.media, dest / "media")
    out["media_files"] = (
        sum(1 for p in (dest / "media").rglob("*") if p.is_file())
        if (dest / "media").exists()
        else 0
    )
    # Restore: a fresh data directory from the base backup, replaying the archive to its end.
    port = max(cfg.pg_ports) + 1
    pgdata = cfg.base / f"restore-{port}"
    shutil.rmtree(pgdata, ignore_errors=True)
    t = time.monotonic()
    shutil.copytree(dest / "base", pgdata)
    os.chmod(pgdata, 0o700)
    with (pgdata / "postgresql.conf").open("a") as f:
        f.write(
            f"port = {port}\narchive_mode = off\nhot_standby = on\n"
            f"restore_command = 'cp {cfg.archive}/%f %p'\nrecovery_target_timeline = 'latest'\n"
        )
    (pgdata / "recovery.signal").write_text("")
    servers.own(pgdata)
    log = cfg.log / f"postgres-{port}.log"
    run(
        servers.as_server(
            [pg_bin("pg_ctl"), "-D", str(pgdata), "-l", str(log), "-w", "-t", "120", "start"]
        )
    )
    try:
        wait_for(
            lambda: port_open(port) and psql(port, "SELECT pg_is_in_recovery()") == "f",
            "restore promoted",
            180,
        )
        out["restore_s"] = round(time.monotonic() - t, 1)
        out["cases_primary"] = cases
        out["cases_restored"] = int(psql(port, "SELECT count(*) FROM services_case", "linli"))
        out["markers_restored"] = int(psql(port, "SELECT count(*) FROM drill_marker", "linli"))
        out["markers_primary"] = markers
        env = {**os.environ, **cfg.env(), "DATABASE_URL": cfg.direct_url(port)}
        proc = subprocess.run(
            [sys.executable, "manage.py", "check_ledger"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        out["check_ledger"] = "ok" if proc.returncode == 0 else proc.stdout[-400:]
        out["check_ledger_output"] = proc.stdout.strip().splitlines()[-1:]
    finally:
        run(servers.as_server([pg_bin("pg_ctl"), "-D", str(pgdata), "-w", "-m", "fast", "stop"]))
        shutil.rmtree(pgdata, ignore_errors=True)
    out["ok"] = (
        out["cases_restored"] == cases
        and out["markers_restored"] == markers
        and out["check_ledger"] == "ok"
    )
    return out


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


DRILLS = ["web", "worker", "beat", "redis", "replica", "primary", "backup"]


def main(argv: list[str]) -> int:
    seconds = 20.0
    if "--seconds" in argv:
        i = argv.index("--seconds")
        seconds = float(argv[i + 1])
        argv = argv[:i] + argv[i + 2 :]
    names = DRILLS if not argv or argv == ["all"] else argv
    cfg = Config()
    failed = 0
    for name in names:
        try:
            result = backup_drill(cfg) if name == "backup" else drill(cfg, name, seconds)
        except Exception as exc:  # report and go on with the next drill
            result = {"drill": name, "error": f"{type(exc).__name__}: {exc}"}
        ok = "error" not in result and not result.get("lost") and result.get("ok", True)
        failed += not ok
        result["at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        line = json.dumps(result, ensure_ascii=False)
        print(line, flush=True)
        with (cfg.base / "drills.jsonl").open("a") as f:
            f.write(line + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
