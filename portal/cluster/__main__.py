"""`python -m portal.cluster COMMAND` — the loopback cluster (portal/cluster/__init__.py).

start [--no-seed] [--servers-only]
        start whatever is not running: PostgreSQL primary + replica (created on first start),
        pgbouncer, Redis, then migrate, collectstatic, the demo seed (first start only, unless
        --no-seed), 2 web processes, 2 workers, 1 beat. Idempotent: a second start starts
        only what is missing (a drill's recovery step).
restart restart the portal's processes (after a code change), servers left running.
stop    stop everything (portal processes first, then pgbouncer, Redis, replica, primary).
status  what runs, with pids, and the replica's lag (JSON with --json).
env     the portal processes' environment (`eval "$(python -m portal.cluster env)"`).
failover
        the primary is lost: promote the replica, point pgbouncer's `linli` at it, restart the
        beat (its lock lives on the primary). The cluster then runs without a replica until
        `rebuild-replica`.
rebuild-replica
        clone the current primary into a new replica on the free port (pg_basebackup).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from portal.cluster import (
    ROOT,
    ClusterError,
    Config,
    kill_pid,
    pg_bin,
    read_pid,
    servers,
)
from portal.cluster.procs import pid_of, procs, start_procs, stop_procs


def manage(cfg: Config, *args: str, direct: bool = True) -> None:
    """manage.py with the cluster's environment; `direct`: to the primary, not pgbouncer
    (migrations take session-level locks)."""
    env = {**os.environ, **cfg.env()}
    if direct:
        env["DATABASE_URL"] = cfg.direct_url(cfg.primary_port)
    proc = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env)
    if proc.returncode:
        raise ClusterError(f"manage.py {' '.join(args)} failed ({proc.returncode})")


def start(cfg: Config, seed: bool = True, servers_only: bool = False) -> list[str]:
    started = time.monotonic()
    done = servers.start_pg(cfg)
    done += servers.start_redis(cfg)
    done += servers.start_bouncer(cfg)
    cfg.write_env_file()
    if servers_only:
        return done
    marker = cfg.base / "migrated"
    template = os.environ.get("LINLI_CLUSTER_TEMPLATE_URL")
    if template and not marker.exists():
        # A copy of an already migrated database (the suite's test database) instead of
        # running every migration: what the suite's cluster test does to stay short.
        _copy_database(cfg, template)
        marker.write_text(_migrations_stamp())
        done.append("database copied from the template")
    if not marker.exists() or marker.read_text() != _migrations_stamp():
        manage(cfg, "migrate", "--noinput", "-v", "0")
        marker.write_text(_migrations_stamp())
        done.append("migrated")
    if _collect_static(cfg):
        done.append("static collected")
    if seed and not (cfg.base / "seeded").exists():
        manage(cfg, "seed_demo", "--force", "--quiet-logins")
        (cfg.base / "seeded").write_text(time.strftime("%Y-%m-%dT%H:%M:%S"))
        done.append("demo seed loaded")
    done += start_procs(cfg)
    done.append(f"ready in {time.monotonic() - started:.1f}s")
    return done


def _copy_database(cfg: Config, url: str) -> None:
    dump = subprocess.Popen(
        [pg_bin("pg_dump"), "-Fc", "--no-owner", "-d", url], stdout=subprocess.PIPE
    )
    restore = subprocess.run(
        [pg_bin("pg_restore"), "--no-owner", "-d", cfg.direct_url(cfg.primary_port)],
        stdin=dump.stdout,
        capture_output=True,
        text=True,
    )
    if dump.wait() or restore.returncode:
        raise ClusterError(f"copying {url} failed: {restore.stderr.strip()[-500:]}")


def _collect_static(cfg: Config) -> bool:
    """collectstatic (hashed and compressed names: DEBUG is off) when a static file changed
    since the last time; compressing every file is slow, so not at every start."""
    root = Path(cfg.env()["DJANGO_STATIC_ROOT"])
    files = sorted(
        p for p in [*ROOT.glob("static/**/*"), *ROOT.glob("*/static/**/*")] if p.is_file()
    )
    stamp = hashlib.sha1(
        "\n".join(
            f"{p.relative_to(ROOT)}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files
        ).encode()
    ).hexdigest()
    done = root / ".linli-static-stamp"
    if done.exists() and done.read_text() == stamp:
        return False
    manage(cfg, "collectstatic", "--noinput", "-v", "0")
    done.write_text(stamp)
    return True


def _migrations_stamp() -> str:
    """Changes when a migration file is added: start migrates again only then."""
    files = sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("*/migrations/0*.py"))
    return hashlib.sha1("\n".join(files).encode()).hexdigest()


def stop(cfg: Config) -> list[str]:
    done = [f"{name} stopped" for name in stop_procs(cfg)]
    if servers.stop_bouncer(cfg):
        done.append("pgbouncer stopped")
    if servers.stop_redis(cfg):
        done.append("redis stopped")
    state = cfg.state()
    ports = dict.fromkeys(p for p in (state.get("replica"), state["primary"], *cfg.pg_ports) if p)
    done += [f"postgres :{p} stopped" for p in ports if servers.stop_pg(cfg, int(p))]
    return done


def status(cfg: Config) -> dict:
    out: dict = {"dir": str(cfg.base), "primary": cfg.primary_port, "replica": cfg.replica_port}
    for port in cfg.pg_ports:
        out[f"postgres:{port}"] = read_pid(cfg.node_dir(port) / "postmaster.pid")
    out["pgbouncer"] = read_pid(servers.bouncer_dir(cfg) / "pgbouncer.pid")
    out["redis"] = read_pid(servers.redis_dir(cfg) / "redis.pid")
    for proc in procs(cfg):
        out[proc.name] = pid_of(cfg, proc.name)
    if out.get(f"postgres:{cfg.primary_port}"):
        out["replication"] = servers.replication(cfg)
    return out


def failover(cfg: Config) -> dict:
    """Promote the replica; repoint pgbouncer and the beat's lock. Timings in seconds."""
    old, new = cfg.primary_port, cfg.replica_port
    if new is None:
        raise ClusterError("no replica to promote")
    steps: dict = {}
    if servers.pg_running(cfg, old):  # a planned switchover: stop the old one first
        servers.stop_pg(cfg, old)
    steps["promote_s"] = round(servers.promote(cfg, new), 2)
    cfg.save_state({"primary": new, "replica": None, "lost": old})
    t = time.monotonic()
    servers.reload_bouncer(cfg)
    # Clients of pgbouncer keep their connections; its server connections to the old primary
    # are gone, the next transaction gets one to the new primary.
    steps["repoint_s"] = round(time.monotonic() - t, 2)
    cfg.write_env_file()
    pid = pid_of(cfg, "beat")
    if pid:
        kill_pid(pid)
    start_procs(cfg, only={"beat"})
    steps["primary"] = new
    return steps


def rebuild_replica(cfg: Config) -> list[str]:
    """A new replica of the current primary on the other port (the lost node's data goes)."""
    state = cfg.state()
    primary = int(state["primary"])
    spare = next(p for p in cfg.pg_ports if p != primary)
    if servers.pg_running(cfg, spare):
        servers.stop_pg(cfg, spare, mode="immediate")
    import shutil

    shutil.rmtree(cfg.node_dir(spare), ignore_errors=True)
    # The old slot (if this primary was a replica once) is reused by name.
    cfg.save_state({"primary": primary, "replica": spare})
    done = servers.start_pg(cfg)
    servers.reload_bouncer(cfg)
    return done


def main(argv: list[str]) -> int:
    cfg = Config()
    command = argv[0] if argv else ""
    try:
        if command == "start":
            for line in start(cfg, "--no-seed" not in argv, "--servers-only" in argv):
                print(line, flush=True)
            print(f"Portal: {', '.join(f'http://127.0.0.1:{p}/' for p in cfg.web_ports)}")
            print(f"Environment for manage.py: . {cfg.base / 'cluster.env'}")
        elif command == "restart":  # the portal's processes only (new code, new settings)
            stop_procs(cfg)
            for line in start_procs(cfg):
                print(line)
        elif command == "stop":
            for line in stop(cfg):
                print(line)
        elif command == "status":
            st = status(cfg)
            if "--json" in argv:
                print(json.dumps(st))
            else:
                for k, v in st.items():
                    print(f"{k:<20} {v if v is not None else '-'}")
        elif command == "env":
            for k, v in cfg.env().items():
                print(f"export {k}='{v}'")
        elif command == "failover":
            print(json.dumps(failover(cfg)))
        elif command == "rebuild-replica":
            for line in rebuild_replica(cfg):
                print(line)
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except ClusterError as exc:
        print(f"cluster: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
