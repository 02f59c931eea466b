"""The portal's processes in the cluster: two gunicorn web processes, two Celery workers (the
queues split between them) and one beat. Each runs in its own session with its pid in
run/<name>.pid and its output in log/<name>.log."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from portal.cluster import ROOT, Config, kill_pid, pid_alive, read_pid, wait_for


@dataclass(frozen=True)
class Proc:
    name: str
    argv: tuple[str, ...]
    port: int | None = None


def procs(cfg: Config) -> list[Proc]:
    py = sys.executable
    out = [
        Proc(
            f"web-{port}",
            (
                py,
                "-m",
                "gunicorn",
                "portal.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                os.environ.get("LINLI_CLUSTER_THREADS", "4"),
                "--worker-class",
                "gthread",
                "--timeout",
                "30",
                "--graceful-timeout",
                "10",
                # Close after each answer, as nginx's upstream does with sync workers. With
                # gthread's 2 s keep-alive a client that comes back after ~2 s idle races the
                # server's close and gets "connection reset" (8 of 3,465 in a load run).
                "--keep-alive",
                "0",
                "--access-logfile",
                "-",
                "--access-logformat",
                '%(h)s "%(r)s" %(s)s %(b)s %(M)sms',
            ),
            port,
        )
        for port in cfg.web_ports
    ]
    celery = (py, "-m", "celery", "-A", "portal")
    worker = ("--pool", "solo", "--without-mingle", "--without-gossip", "-l", "info")
    out += [
        # The case clock (dispatch, sweep) and the default queue on one worker, messages
        # (SMS, WeChat, the city's outbox) and reports on the other.
        Proc("worker-cases", (*celery, "worker", "-Q", "cases,celery", "-n", "cases@%h", *worker)),
        Proc(
            "worker-deliveries",
            (*celery, "worker", "-Q", "deliveries,reports", "-n", "deliveries@%h", *worker),
        ),
        Proc(
            "beat",
            (*celery, "beat", "-l", "info", "-s", str(cfg.run / "celerybeat-schedule")),
        ),
    ]
    return out


def pidfile(cfg: Config, name: str):
    return cfg.run / f"{name}.pid"


def pid_of(cfg: Config, name: str) -> int | None:
    return read_pid(pidfile(cfg, name))


def _web_ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def start_procs(cfg: Config, only: set[str] | None = None, wait: bool = True) -> list[str]:
    """Start each process that is not running (all of them, or those named in `only`)."""
    cfg.run.mkdir(parents=True, exist_ok=True)
    cfg.log.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **cfg.env()}
    started = []
    for proc in procs(cfg):
        if (only and proc.name not in only) or pid_of(cfg, proc.name):
            continue
        log = (cfg.log / f"{proc.name}.log").open("ab")
        p = subprocess.Popen(
            proc.argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop ends its children too
        )
        pidfile(cfg, proc.name).write_text(str(p.pid))
        started.append(proc)
    if wait:
        for proc in started:
            if proc.port:
                wait_for(lambda port=proc.port: _web_ready(port), f"{proc.name}", timeout=60)
    return [f"{p.name} started" for p in started]


def stop_procs(cfg: Config) -> list[str]:
    """SIGTERM each process group (gunicorn and Celery finish what they are doing), then wait."""
    stopped = []
    for proc in reversed(procs(cfg)):
        pid = pid_of(cfg, proc.name)
        if pid is None:
            continue
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        kill_pid(pid, signal.SIGTERM, timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)  # anything of the group left behind
        pidfile(cfg, proc.name).unlink(missing_ok=True)
        stopped.append(proc.name)
    return stopped


def children(pid: int) -> list[int]:
    """The direct children of `pid` (a gunicorn master's workers)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split() if pid_alive(int(c))]
