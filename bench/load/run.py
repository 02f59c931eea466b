"""Run the load mix (bench/load/locustfile.py) against the cluster and measure the machine
while it runs: `python -m bench.load.run [--users 40] [--rate 4] [--minutes 3]
[--web 58001,58002] [--out var/cluster/load]`.

locust runs headless in its own process (--processes N to give it more cores) and writes its
CSV; beside it this samples every 5 s: CPU of each cluster process (web, workers, beat,
PostgreSQL nodes, pgbouncer, Redis, locust itself), connections on each PostgreSQL node,
pgbouncer's pools, the replica's lag and the machine's load average. The summary (JSON, also
in OUT/summary.json) has, per request kind, requests/s and p50/p95/p99, and the errors.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

from portal.cluster import ROOT, Config, psql, read_pid, servers
from portal.cluster.procs import pid_of, procs


def _cluster_pids(cfg: Config) -> dict[str, int]:
    out = {}
    for proc in procs(cfg):
        pid = pid_of(cfg, proc.name)
        if pid:
            out[proc.name] = pid
    for port in cfg.pg_ports:
        pid = read_pid(cfg.node_dir(port) / "postmaster.pid")
        if pid:
            out[f"postgres-{port}"] = pid
    for name, path in (
        ("pgbouncer", servers.bouncer_dir(cfg) / "pgbouncer.pid"),
        ("redis", servers.redis_dir(cfg) / "redis.pid"),
    ):
        pid = read_pid(path)
        if pid:
            out[name] = pid
    return out


def _tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and its children (PostgreSQL's backends)."""
    try:
        p = psutil.Process(pid)
        total = sum(p.cpu_times()[:2])
        for c in p.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += sum(c.cpu_times()[:2])
        return total
    except psutil.Error:
        return 0.0


def _sample(cfg: Config) -> dict:
    s: dict = {"t": time.time(), "load1": os.getloadavg()[0]}
    for port in cfg.pg_ports:
        try:
            s[f"connections-{port}"] = int(
                psql(port, "SELECT count(*) FROM pg_stat_activity WHERE datname IS NOT NULL")
            )
        except Exception:  # noqa: BLE001 - a node down is a sample
            s[f"connections-{port}"] = None
    s["replication"] = servers.replication(cfg)
    try:
        pools = psql(cfg.bouncer_port, "SHOW POOLS", database="pgbouncer")
        s["bouncer_pools"] = [line.split("|")[:6] for line in pools.splitlines()]
    except Exception:  # noqa: BLE001
        s["bouncer_pools"] = None
    return s


def _percentiles(stats_csv: Path, seconds: float) -> list[dict]:
    with stats_csv.open() as f:
        return [
            {
                "type": row["Type"],
                "name": row["Name"],
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": round(int(row["Request Count"]) / seconds, 2),
                "p50_ms": row["50%"],
                "p95_ms": row["95%"],
                "p99_ms": row["99%"],
                "max_ms": row["Max Response Time"],
            }
            for row in csv.DictReader(f)
        ]


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=40)
    ap.add_argument("--rate", type=float, default=4)
    ap.add_argument("--minutes", type=float, default=3)
    ap.add_argument("--web", default="")
    ap.add_argument("--processes", type=int, default=1)
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)
    cfg = Config()
    ports = [int(p) for p in args.web.split(",")] if args.web else list(cfg.web_ports)
    out = Path(args.out or cfg.base / "load" / time.strftime("%Y%m%dT%H%M%S"))
    out.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "LINLI_LOAD_HOSTS": ",".join(f"http://127.0.0.1:{p}" for p in ports),
        "LINLI_LOAD_PLACES": psql(
            cfg.primary_port,
            "SELECT string_agg(id::text, ',') FROM (SELECT id FROM grids_area"
            " WHERE grid_level = 3 ORDER BY id LIMIT 20) g",
            os.environ.get("LINLI_CLUSTER_DB") or "linli",
        ),
    }
    seconds = args.minutes * 60
    cmd = [
        sys.executable, "-m", "locust", "-f", str(ROOT / "bench/load/locustfile.py"),
        "--headless", "-u", str(args.users), "-r", str(args.rate), "-t", f"{int(seconds)}s",
        "--host", env["LINLI_LOAD_HOSTS"].split(",")[0], "--csv", str(out / "locust"),
        "--only-summary", "--stop-timeout", "10",
    ]  # fmt: skip
    if args.processes > 1:
        cmd += ["--processes", str(args.processes)]
    pids = _cluster_pids(cfg)
    cpu0 = {name: _tree_cpu(pid) for name, pid in pids.items()}
    started = time.time()
    locust = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=(out / "locust.log").open("w"), stderr=subprocess.STDOUT
    )
    pids["locust"] = locust.pid
    cpu0["locust"] = 0.0
    samples = []
    while locust.poll() is None:
        samples.append(_sample(cfg))
        cpu_now = {name: _tree_cpu(pid) for name, pid in pids.items()}
        time.sleep(5)
    wall = time.time() - started
    cpu = {
        name: round((cpu_now.get(name, 0.0) - cpu0.get(name, 0.0)) / wall * 100, 1) for name in pids
    }
    lags = [s["replication"].get("lag_s", 0) for s in samples if "replication" in s]
    summary = {
        "users": args.users,
        "minutes": args.minutes,
        "web_ports": ports,
        "requests": _percentiles(out / "locust_stats.csv", seconds),
        "cpu_percent_of_one_core": cpu,
        "connections_max": {
            k: max((s.get(k) or 0) for s in samples)
            for k in samples[0]
            if k.startswith("connections-")
        }
        if samples
        else {},
        "replica_lag_s_max": round(max(lags, default=0.0), 3),
        "load1_max": round(max((s["load1"] for s in samples), default=0.0), 2),
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 1e9, 1),
        "bouncer_pools_last": samples[-1].get("bouncer_pools") if samples else None,
    }
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1))
    (out / "samples.json").write_text(json.dumps(samples))
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    return locust.returncode or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
