"""`python -m portal.embedded run|start|stop` — see portal/embedded/__init__.py.

run    what `make run` does: the embedded server (unless DATABASE_URL is set), migrate,
       seed_demo, then web + worker + beat under honcho; Ctrl-C stops them and the server.
start  [DATA_DIR] start the server (default VAR_DIR/postgres), print the database's URL.
stop   [DATA_DIR] stop it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import environ

from portal import embedded

ROOT = Path(__file__).resolve().parent.parent.parent


def _read_env() -> None:
    """The .env file, as settings read it, so DATABASE_URL or LINLI_VAR_DIR set there count."""
    env = environ.Env()
    if env.bool("LINLI_READ_DOT_ENV", default=(ROOT / ".env").exists()):
        environ.Env.read_env(ROOT / ".env")


def _var_dir() -> Path:
    return Path(os.environ.get("LINLI_VAR_DIR") or ROOT / "var")


def _child(cmd: list[str]) -> tuple[int, bool]:
    """Run `cmd` to its end; return its exit code and whether Ctrl-C ended it. Ctrl-C reaches
    it directly (same process group), so this process only waits for it to finish; SIGTERM
    (make's when it is terminated) is passed on."""
    proc = subprocess.Popen(cmd, cwd=ROOT)
    interrupted = []
    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, lambda *_: interrupted.append(True)),
        signal.SIGTERM: signal.signal(signal.SIGTERM, lambda *_: proc.terminate()),
    }
    try:
        return proc.wait(), bool(interrupted)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run() -> int:
    _read_env()
    pgdata = None
    if not os.environ.get("DATABASE_URL"):
        pgdata = embedded.data_dir(_var_dir())
        print(f"Embedded PostgreSQL: {pgdata}", flush=True)
        os.environ["DATABASE_URL"] = embedded.start(pgdata)
    py = sys.executable
    try:
        for step in (["migrate", "--noinput"], ["seed_demo"]):
            code, _ = _child([py, "manage.py", *step])
            if code:
                return code
        print(
            "Portal: http://127.0.0.1:8000   admin: http://127.0.0.1:8000/admin/   "
            "(Ctrl-C stops all three and the database)",
            flush=True,
        )
        code, interrupted = _child([py, "-m", "honcho", "-f", "Procfile.dev", "start"])
        return 0 if interrupted else code  # Ctrl-C is how the portal is meant to stop
    finally:
        if pgdata is not None and embedded.stop(pgdata):
            print("Embedded PostgreSQL stopped; its data stays for the next `make run`.")


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "run" and len(argv) == 1:
        return run()
    if command in ("start", "stop") and len(argv) <= 2:
        _read_env()
        pgdata = Path(argv[1]).resolve() if len(argv) == 2 else embedded.data_dir(_var_dir())
        if command == "start":
            print(embedded.start(pgdata))
        else:
            embedded.stop(pgdata)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
