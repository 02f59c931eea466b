"""The Prometheus figures at /metrics: requests by view (timed by
portal.request_id.RequestIdMiddleware), task queue depths, the sweep's lag, the outboxes'
backlogs and failures, and the replica's lag."""

from __future__ import annotations

import logging
import os
from ipaddress import ip_address, ip_network

from django.conf import settings
from django.db import connections
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

from portal.security import client_ip

log = logging.getLogger("linli.metrics")


# --- the figures at /metrics ---------------------------------------------------------------------


def _scalar(sql: str, alias: str = "default"):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return row[0] if row else None


class PortalCollector:
    """Figures read at scrape time from the database (the source of truth) and the broker.
    Each read is an index scan or a count over a partial index of pending rows."""

    def collect(self):
        now = timezone.now()
        lag = GaugeMetricFamily(
            "linli_sweep_lag_seconds",
            "Age of the oldest case step that is due and not yet applied by the sweep.",
        )
        oldest = _scalar(
            "SELECT min(next_check_at) FROM services_case WHERE next_check_at <= now()"
        )
        lag.add_metric([], max((now - oldest).total_seconds(), 0.0) if oldest else 0.0)
        yield lag

        backlog = GaugeMetricFamily(
            "linli_outbox_rows", "Outbox rows by outbox and status.", labels=["outbox", "status"]
        )
        for outbox, table in (
            ("notifications", "notifications_notificationoutbox"),
            ("city", "services_cityoutbox"),
        ):
            with connections["default"].cursor() as cursor:
                cursor.execute(
                    f"SELECT status, count(*) FROM {table} "  # noqa: S608 - names are ours
                    "WHERE status <> 'sent' GROUP BY status"
                )
                for status, count in cursor.fetchall():
                    backlog.add_metric([outbox, status], count)
        yield backlog

        queues = GaugeMetricFamily(
            "linli_task_queue_length", "Messages waiting in a broker queue.", labels=["queue"]
        )
        for name, length in _queue_lengths().items():
            queues.add_metric([name], length)
        yield queues

        if "replica" in settings.DATABASES:
            replica = GaugeMetricFamily(
                "linli_replica_lag_seconds", "How far the read replica's replay is behind."
            )
            try:
                value = _scalar(
                    "SELECT COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()),"
                    " 0)",
                    "replica",
                )
                replica.add_metric([], float(value or 0))
            except Exception:  # noqa: BLE001 - a replica down is a figure, not an error
                replica.add_metric([], float("inf"))
            yield replica


def _queue_lengths() -> dict[str, int]:
    """Length of each Celery queue the portal uses (Redis broker only; else nothing)."""
    from portal.celery import app

    names = {settings.CELERY_TASK_DEFAULT_QUEUE, *settings.LINLI_QUEUES}
    try:
        with app.connection_for_read() as conn:
            client = conn.default_channel.client
            if not hasattr(client, "llen"):
                return {}
            return {name: int(client.llen(name)) for name in sorted(names)}
    except Exception as exc:  # noqa: BLE001 - the broker down shows as no figure, and in logs
        log.warning("queue lengths not read: %s", exc)
        return {}


# auto_describe off: registering must not query (the URLconf loads before any table exists).
_portal_registry = CollectorRegistry(auto_describe=False)
_portal_registry.register(PortalCollector())


def _allowed(request) -> bool:
    token = settings.LINLI.get("METRICS_TOKEN", "")
    if token and request.headers.get("Authorization", "") == f"Bearer {token}":
        return True
    try:
        address = ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in ip_network(n) for n in settings.LINLI.get("METRICS_NETWORKS", ()))


@never_cache
def metrics(request):
    """Prometheus text format; 404 unless the caller is on a metrics network or has the token.
    Under gunicorn with PROMETHEUS_MULTIPROC_DIR set, the request figures of every worker
    process are summed."""
    if not _allowed(request):
        raise Http404
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        requests_registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(requests_registry)
    else:
        requests_registry = REGISTRY
    body = generate_latest(requests_registry) + generate_latest(_portal_registry)
    return HttpResponse(body, content_type="text/plain; version=0.0.4; charset=utf-8")
