"""The request id: taken from the proxy's `X-Request-ID` when it is well-formed (nginx sets
it: deploy/nginx.conf), else made here; on every log line (`%(request_id)s`, and in the JSON
logs), in the response's `X-Request-ID`, and in the headers of every task sent while the
request runs, so a worker's lines about a case carry the id of the request that filed it.
The middleware also times each request for /metrics (portal/observability.py).

Imported by the logging configuration and the Celery app before Django's apps are ready: it
imports no models."""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid

from django.core.signals import request_finished
from prometheus_client import Histogram

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
TASK_HEADER = "linli_request_id"


class RequestIdFilter(logging.Filter):
    """Puts the current request id (or the task's, or "-") on every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def _install_record_factory() -> None:
    """Every record gets the id when it is made, so every handler can print it: Celery's
    worker handlers (CELERY_WORKER_LOG_FORMAT) as well as the portal's."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "adds_request_id", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        record.request_id = request_id.get()
        return record

    factory.adds_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


_install_record_factory()


REQUESTS = Histogram(
    "linli_http_request_seconds",
    "Time to answer a request, by view, method and status class.",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class RequestIdMiddleware:
    """First in the chain: the id for the request's log lines and tasks; its time and view for
    the request histogram."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        rid = given if _WELL_FORMED.match(given) else uuid.uuid4().hex
        request.request_id = rid
        # Not reset on the way out: Django logs a 404 or 500 after the middleware returns.
        # The request_finished signal clears it (below).
        request_id.set(rid)
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match else "<unresolved>"
        status = f"{response.status_code // 100}xx"
        REQUESTS.labels(view, request.method, status).observe(time.perf_counter() - started)
        response["X-Request-ID"] = rid
        return response


def _finished(**_kwargs) -> None:
    request_id.set("-")


request_finished.connect(_finished, dispatch_uid="linli-request-id")


# --- Celery: the id travels in the task's headers ---------------------------------------------


def _publish(headers=None, **_kwargs) -> None:
    rid = request_id.get()
    if headers is not None and rid != "-":
        headers.setdefault(TASK_HEADER, rid)


def _prerun(task=None, **_kwargs) -> None:
    rid = getattr(task.request, TASK_HEADER, None) if task is not None else None
    if rid is None and task is not None:
        rid = (getattr(task.request, "headers", None) or {}).get(TASK_HEADER)
    if task is None:
        request_id.set("-")
    else:
        request_id.set(rid or f"task-{task.request.id}")


def _postrun(**_kwargs) -> None:
    request_id.set("-")


def connect_celery_signals() -> None:
    from celery.signals import before_task_publish, task_postrun, task_prerun

    before_task_publish.connect(_publish, weak=False)
    task_prerun.connect(_prerun, weak=False)
    task_postrun.connect(_postrun, weak=False)
