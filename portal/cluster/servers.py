"""The cluster's servers: the PostgreSQL nodes (primary, streaming replica), pgbouncer and Redis."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from portal.cluster import (
    DATABASE,
    ClusterError,
    Config,
    as_server,
    need,
    own,
    pg_bin,
    port_open,
    psql,
    read_pid,
    run,
    wait_for,
)

SLOT = "linli_replica"


def _conf(cfg: Config, port: int) -> str:
    archive = cfg.archive
    return f"""
# --- portal.cluster (loopback only) ---
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = ''
max_connections = 120
shared_buffers = {os.environ.get("LINLI_CLUSTER_SHARED_BUFFERS", "128MB")}
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
wal_keep_size = 256MB
hot_standby = on
hot_standby_feedback = on
# Every finished WAL segment is copied to the archive: with a base backup it restores the
# database to any moment since (docs/operations.md, "Backups").
archive_mode = on
archive_command = 'test ! -f {archive}/%f && cp %p {archive}/%f'
archive_timeout = 60
logging_collector = off
log_min_duration_statement = 1000
"""


def pg_running(cfg: Config, port: int) -> bool:
    pgdata = cfg.node_dir(port)
    return read_pid(pgdata / "postmaster.pid") is not None and port_open(port)


def pg_ctl(cfg: Config, port: int, *args: str) -> None:
    pgdata = cfg.node_dir(port)
    if args[0] == "start":
        # The orphans of a server killed with SIGKILL may hold its port for a few seconds.
        wait_for(lambda: not port_open(port), f"port {port} free", timeout=60)
    log = cfg.log / f"postgres-{port}.log"
    run(as_server([pg_bin("pg_ctl"), "-D", str(pgdata), "-l", str(log), "-w", "-t", "60", *args]))


def _prepare_dirs(cfg: Config) -> None:
    for d in (cfg.base, cfg.archive, cfg.log, cfg.run):
        d.mkdir(parents=True, exist_ok=True)
    own(cfg.archive)
    own(cfg.log)


def init_primary(cfg: Config, port: int) -> bool:
    """initdb (once) a node that will be the primary. True when it was created now."""
    pgdata = cfg.node_dir(port)
    if (pgdata / "PG_VERSION").exists():
        return False
    pgdata.mkdir(parents=True, mode=0o700)
    own(pgdata)
    run(
        as_server(
            [pg_bin("initdb"), "-D", str(pgdata), "-U", "postgres", "--auth=trust"]
            + ["-E", "UTF8", "--locale=C.UTF-8", "--data-checksums"]
        )
    )
    with (pgdata / "postgresql.conf").open("a") as f:
        f.write(_conf(cfg, port))
    (pgdata / "pg_hba.conf").write_text(
        "local all all trust\n"
        "host all all 127.0.0.1/32 trust\n"
        "host replication all 127.0.0.1/32 trust\n"
    )
    own(pgdata)
    return True


def init_replica(cfg: Config, primary: int, port: int) -> bool:
    """Clone the primary into a new node (pg_basebackup -R: it starts as a streaming standby
    on a replication slot, so the primary keeps the WAL it has not had yet)."""
    pgdata = cfg.node_dir(port)
    if (pgdata / "PG_VERSION").exists():
        return False
    if pgdata.exists():
        shutil.rmtree(pgdata)
    pgdata.mkdir(parents=True, mode=0o700)
    own(pgdata)
    if not psql(primary, f"SELECT 1 FROM pg_replication_slots WHERE slot_name = '{SLOT}'"):
        psql(primary, f"SELECT pg_create_physical_replication_slot('{SLOT}')")
    run(
        as_server(
            [pg_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary), "-U", "postgres"]
            + ["-D", str(pgdata), "-R", "-X", "stream", "-S", SLOT, "-c", "fast"]
        )
    )
    # Its own port (the configuration came from the primary).
    with (pgdata / "postgresql.conf").open("a") as f:
        f.write(f"port = {port}\n")
    own(pgdata)
    return True


def start_pg(cfg: Config) -> list[str]:
    """Primary then replica, each created when missing and started when down."""
    _prepare_dirs(cfg)
    done = []
    primary, replica = cfg.primary_port, cfg.replica_port
    if init_primary(cfg, primary):
        done.append(f"initdb primary :{primary}")
    if not pg_running(cfg, primary):
        pg_ctl(cfg, primary, "start")
        done.append(f"primary :{primary} started")
    if psql(primary, "SELECT pg_is_in_recovery()") == "t":
        raise ClusterError(f"the node on :{primary} is a standby but cluster.json names it primary")
    if not psql(primary, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"):
        psql(primary, f'CREATE DATABASE "{DATABASE}"')
    if replica:
        if init_replica(cfg, primary, replica):
            done.append(f"replica :{replica} cloned (pg_basebackup)")
        if not pg_running(cfg, replica):
            pg_ctl(cfg, replica, "start")
            done.append(f"replica :{replica} started")
    return done


def stop_pg(cfg: Config, port: int, mode: str = "fast") -> bool:
    if not pg_running(cfg, port) and read_pid(cfg.node_dir(port) / "postmaster.pid") is None:
        return False
    pg_ctl(cfg, port, "stop", "-m", mode)
    return True


def replication(cfg: Config) -> dict:
    """The replica as the primary sees it: state and lag in bytes and seconds."""
    try:
        row = psql(
            cfg.primary_port,
            "SELECT state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn),"
            " coalesce(extract(epoch FROM replay_lag), 0) FROM pg_stat_replication",
        )
    except ClusterError as exc:
        return {"error": str(exc).splitlines()[-1]}
    if not row:
        return {"state": "none"}
    state, lag_bytes, lag_s = row.splitlines()[0].split("|")
    return {"state": state, "lag_bytes": int(float(lag_bytes or 0)), "lag_s": float(lag_s)}


def promote(cfg: Config, port: int) -> float:
    """Promote the standby on `port`; seconds until it accepts writes."""
    started = time.monotonic()
    run(as_server([pg_bin("pg_ctl"), "-D", str(cfg.node_dir(port)), "-w", "promote"]))
    wait_for(lambda: psql(port, "SELECT pg_is_in_recovery()") == "f", "promotion")
    return time.monotonic() - started


# --- pgbouncer ----------------------------------------------------------------------------


def bouncer_dir(cfg: Config) -> Path:
    return cfg.base / "pgbouncer"


def write_bouncer_ini(cfg: Config) -> Path:
    """linli → the primary, linli_replica → the replica (the primary when there is none)."""
    d = bouncer_dir(cfg)
    d.mkdir(parents=True, exist_ok=True)
    primary = cfg.primary_port
    replica = cfg.replica_port or primary
    ini = d / "pgbouncer.ini"
    # LINLI_CLUSTER_DB: the portal's `linli` may be another database of the cluster (a copy of
    # the city seed for a load run), the portal's settings unchanged.
    real = os.environ.get("LINLI_CLUSTER_DB") or DATABASE
    ini.write_text(f"""; written by portal.cluster (the same settings as deploy/pgbouncer.ini)
[databases]
{DATABASE} = host=127.0.0.1 port={primary} dbname={real} user=postgres
{DATABASE}_replica = host=127.0.0.1 port={replica} dbname={real} user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {cfg.bouncer_port}
unix_socket_dir =
auth_type = any
admin_users = postgres
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
reserve_pool_size = 5
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
server_connect_timeout = 3
server_login_retry = 1
; A dead server is not refused by pgbouncer: its clients wait for it. Not long: a read
; waiting on a dead replica fails after this and is read again from the primary
; (portal.readdb), a write answers 503 "try again" during a failover.
query_wait_timeout = 5
pidfile = {d}/pgbouncer.pid
logfile = {cfg.log}/pgbouncer.log
""")
    own(d)
    return ini


def bouncer_running(cfg: Config) -> bool:
    return read_pid(bouncer_dir(cfg) / "pgbouncer.pid") is not None and port_open(cfg.bouncer_port)


def start_bouncer(cfg: Config) -> list[str]:
    binary = need("pgbouncer", "run scripts/ensure-pgbouncer (apt-get install pgbouncer)")
    ini = write_bouncer_ini(cfg)
    if bouncer_running(cfg):
        reload_bouncer(cfg)
        return []
    run(as_server([binary, "-d", str(ini)]))
    wait_for(lambda: port_open(cfg.bouncer_port), "pgbouncer")
    return [f"pgbouncer :{cfg.bouncer_port} started"]


def reload_bouncer(cfg: Config) -> None:
    """Re-read pgbouncer.ini (after a failover: `linli` now names the new primary)."""
    write_bouncer_ini(cfg)
    psql(cfg.bouncer_port, "RELOAD", database="pgbouncer")


def stop_bouncer(cfg: Config) -> bool:
    from portal.cluster import kill_pid

    pid = read_pid(bouncer_dir(cfg) / "pgbouncer.pid")
    if pid is None:
        return False
    kill_pid(pid)
    return True


# --- Redis --------------------------------------------------------------------------------


def redis_dir(cfg: Config) -> Path:
    return cfg.base / "redis"


def redis_running(cfg: Config) -> bool:
    return read_pid(redis_dir(cfg) / "redis.pid") is not None and port_open(cfg.redis_port)


def start_redis(cfg: Config) -> list[str]:
    if redis_running(cfg):
        return []
    binary = need("redis-server", "apt-get install redis-server")
    d = redis_dir(cfg)
    d.mkdir(parents=True, exist_ok=True)
    # Append-only file, fsync'd every second: queued tasks survive a crash of Redis itself.
    run(
        [binary, "--bind", "127.0.0.1", "--port", str(cfg.redis_port), "--dir", str(d)]
        + ["--daemonize", "yes", "--pidfile", str(d / "redis.pid")]
        + ["--logfile", str(cfg.log / "redis.log"), "--save", ""]
        + ["--appendonly", "yes", "--appendfsync", "everysec"]
    )
    wait_for(lambda: port_open(cfg.redis_port), "redis")
    return [f"redis :{cfg.redis_port} started"]


def stop_redis(cfg: Config) -> bool:
    from portal.cluster import kill_pid

    pid = read_pid(redis_dir(cfg) / "redis.pid")
    if pid is None:
        return False
    kill_pid(pid)
    return True
