"""Reads that may go to a read replica: the dashboard's figures (and whatever else asks) run
inside `reading_from(alias)`, and the router sends every read made there to that database
alias. Writes, and reads anywhere else, stay on the primary. The alias is a setting
(LINLI["DASHBOARD_DB"], env LINLI_DASHBOARD_DB; default "default", the primary); a replica is
declared with DATABASE_READ_URL (docs/configuration.md). A replica lags its primary by a
moment: only figures that may be a few seconds old read from it, never a page that has just
written."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_alias: ContextVar[str | None] = ContextVar("linli_read_alias", default=None)


@contextmanager
def reading_from(alias: str | None) -> Iterator[None]:
    """Send the reads made inside to `alias` (None or "default": the primary)."""
    token = _alias.set(alias or None)
    try:
        yield
    finally:
        _alias.reset(token)


class ReadRouter:
    """settings.DATABASE_ROUTERS: reads inside `reading_from` go to its alias; everything
    else is Django's default (the primary)."""

    def db_for_read(self, model, **hints):
        return _alias.get()

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the primary's rows: objects from either relate

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return None if db == "default" else False  # a replica follows the primary's schema
