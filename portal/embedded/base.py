"""PostgreSQL's backend, saying what to do when the embedded server of `make run` is not running.

Settings use it (ENGINE "portal.embedded") only when DATABASE_URL is unset, so the portal
connects to the server `make run` started under VAR_DIR; libpq's own message names the socket
but not the cure. Subclassing a built-in backend is Django's documented way to change one."""

from django.db.backends.postgresql import base

HINT = (
    "DATABASE_URL is not set, so Linli uses the embedded PostgreSQL server that `make run` starts "
    "under LINLI_VAR_DIR (var/postgres), and none answers there: start the portal with "
    "`make run`, or set DATABASE_URL (see docs/configuration.md)."
)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        try:
            return super().get_new_connection(conn_params)
        except base.Database.OperationalError as exc:
            raise base.Database.OperationalError(f"{exc}\n{HINT}") from exc
