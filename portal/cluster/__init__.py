"""The production-shaped stack on one machine (`make cluster`): PostgreSQL primary + streaming
replica, pgbouncer in transaction mode in front of both, Redis (broker and cache), two gunicorn
web processes, two Celery workers on split queues and one guarded beat — all on loopback, with
their data under VAR_DIR/cluster (LINLI_CLUSTER_DIR), stopped by `make cluster-stop`.

This package imports no Django. `python -m portal.cluster start|stop|status|env|failover|
rebuild-replica|backup|restore` (portal/cluster/__main__.py). Starting is idempotent: whatever
runs is left alone and whatever is missing (a killed process, a stopped server) is started —
that is also how a drill recovers a process, as systemd's Restart=always would.

PostgreSQL comes from Debian (/usr/lib/postgresql/<version>/bin, LINLI_PG_BIN), pgbouncer from
Debian's `pgbouncer` (scripts/ensure-pgbouncer installs it). Servers refuse to run as root; as
root they run as the system user `postgres`, which then owns their data directories.

Which node is the primary is state (cluster.json): after `failover` the replica, promoted, is the
primary on its own port, pgbouncer's `linli` points there, and the beat's lock follows.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DATABASE = "linli"


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


@dataclass
class Config:
    """Ports and directories; every one may be moved by an environment variable (the suite's
    test runs a second cluster beside a developer's)."""

    base: Path = field(
        default_factory=lambda: Path(
            os.environ.get("LINLI_CLUSTER_DIR")
            or Path(os.environ.get("LINLI_VAR_DIR") or ROOT / "var") / "cluster"
        ).resolve()
    )
    pg_ports: tuple[int, int] = field(
        default_factory=lambda: (
            _port("LINLI_CLUSTER_PG_PORT", 55432),
            _port("LINLI_CLUSTER_REPLICA_PORT", 55433),
        )
    )
    bouncer_port: int = field(default_factory=lambda: _port("LINLI_CLUSTER_BOUNCER_PORT", 56432))
    redis_port: int = field(default_factory=lambda: _port("LINLI_CLUSTER_REDIS_PORT", 56379))
    web_ports: tuple[int, ...] = field(
        default_factory=lambda: tuple(
            int(p) for p in (os.environ.get("LINLI_CLUSTER_WEB_PORTS") or "58001,58002").split(",")
        )
    )

    def node_dir(self, port: int) -> Path:
        return self.base / f"pg-{port}"

    @property
    def archive(self) -> Path:
        return self.base / "wal-archive"

    @property
    def run(self) -> Path:
        return self.base / "run"

    @property
    def log(self) -> Path:
        return self.base / "log"

    @property
    def media(self) -> Path:
        return self.base / "media"

    @property
    def state_file(self) -> Path:
        return self.base / "cluster.json"

    def state(self) -> dict:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {"primary": self.pg_ports[0], "replica": self.pg_ports[1]}

    def save_state(self, state: dict) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        self.state_file.write_text(json.dumps(state))

    @property
    def primary_port(self) -> int:
        return int(self.state()["primary"])

    @property
    def replica_port(self) -> int | None:
        replica = self.state().get("replica")
        return int(replica) if replica else None

    def direct_url(self, port: int, database: str = DATABASE) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{database}"

    def env(self) -> dict[str, str]:
        """The environment of every portal process of the cluster (written to cluster.env too,
        for `manage.py` by hand: `. var/cluster/cluster.env`)."""
        bouncer = f"postgres://postgres@127.0.0.1:{self.bouncer_port}"
        redis = f"127.0.0.1:{self.redis_port}"
        return {
            "DATABASE_URL": f"{bouncer}/{DATABASE}",
            "DATABASE_READ_URL": f"{bouncer}/{DATABASE}_replica",
            "DATABASE_POOLER": "transaction",
            "LINLI_DASHBOARD_DB": "replica",
            # The beat's session lock needs a session of its own: straight to the primary.
            "LINLI_BEAT_LOCK_DATABASE_URL": self.direct_url(self.primary_port),
            "CELERY_BROKER_URL": f"redis://{redis}/0",
            "CACHE_URL": f"rediscache://{redis}/1",
            "LINLI_SPLIT_QUEUES": "true",
            # A task whose worker was killed mid-run comes back after this (not an hour).
            "CELERY_VISIBILITY_TIMEOUT": os.environ.get("CELERY_VISIBILITY_TIMEOUT", "60"),
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "cluster-on-loopback-only-" + "0" * 40,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Plain HTTP on loopback: no redirect to https (nginx terminates TLS in production).
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_STATIC_ROOT": os.environ.get("LINLI_CLUSTER_STATIC_ROOT")
            or str(self.base / "static"),
            "DJANGO_MEDIA_ROOT": str(self.media),
            "LINLI_VAR_DIR": str(self.base / "var"),
            "LINLI_READ_DOT_ENV": "false",
            "PYTHONUNBUFFERED": "1",
            # A bench, not a public site: load generators file from a few accounts and one
            # address, far above the per-user limits real residents get (override to test them).
            "LINLI_THROTTLE_INTAKE": os.environ.get("LINLI_THROTTLE_INTAKE", "100000/min"),
            "LINLI_THROTTLE_WRITE": os.environ.get("LINLI_THROTTLE_WRITE", "100000/min"),
            "LINLI_THROTTLE_LOGIN": os.environ.get("LINLI_THROTTLE_LOGIN", "100000/min"),
        }

    def write_env_file(self) -> Path:
        path = self.base / "cluster.env"
        lines = [f"export {k}='{v}'" for k, v in self.env().items()]
        path.write_text("\n".join(lines) + "\n")
        return path


# --- Running as the servers' user -----------------------------------------------------------


def pg_bin(name: str) -> str:
    """A PostgreSQL program from Debian's packages (the newest version installed)."""
    configured = os.environ.get("LINLI_PG_BIN")
    if configured:
        return str(Path(configured) / name)
    versions = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / name).exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not versions:
        raise ClusterError(
            f"{name} not found under /usr/lib/postgresql: install PostgreSQL "
            "(apt-get install postgresql) or set LINLI_PG_BIN."
        )
    return str(versions[-1] / name)


class ClusterError(RuntimeError):
    pass


def server_user() -> str | None:
    """The user the servers run as: None (this one) unless this is root."""
    return "postgres" if os.geteuid() == 0 else None


def as_server(cmd: list[str]) -> list[str]:
    user = server_user()
    return ["runuser", "-u", user, "--", *cmd] if user else cmd


def own(path: Path) -> None:
    """Give `path` (recursively) to the servers' user."""
    user = server_user()
    if user:
        pw = pwd.getpwnam(user)
        for p in [path, *path.rglob("*")]:
            os.chown(p, pw.pw_uid, pw.pw_gid)


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if proc.returncode:
        raise ClusterError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr.strip()}")
    return proc


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for(check, what: str, timeout: float = 30.0) -> float:
    """Poll `check` until true; the seconds it took."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise ClusterError(f"{what}: not ready after {timeout:.0f}s")
        time.sleep(0.1)
    return time.monotonic() - started


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (killed, not yet reaped by its parent) is not alive.
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def read_pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if pid_alive(pid) else None


def kill_pid(pid: int, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
    """Signal `pid` and wait for it to end; SIGKILL after `timeout`."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    started = time.monotonic()
    while pid_alive(pid):
        if time.monotonic() - started > timeout:
            os.kill(pid, signal.SIGKILL)
            timeout += 5
        time.sleep(0.1)


def psql(port: int, sql: str, database: str = "postgres") -> str:
    """One statement on a server, straight (not through pgbouncer); its output, unaligned."""
    proc = run(
        [pg_bin("psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", database]
        + ["-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql]
    )
    return proc.stdout.strip()


def need(program: str, hint: str) -> str:
    path = shutil.which(program) or (
        f"/usr/sbin/{program}" if Path(f"/usr/sbin/{program}").exists() else None
    )
    if not path:
        raise ClusterError(f"{program} is not installed: {hint}")
    return path
