"""The Celery app. Settings come from Django settings under the CELERY_ namespace."""

import logging
import os

from celery import Celery, Task
from celery.signals import worker_process_init
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

logger = logging.getLogger("linli.celery")


class PortalTask(Task):
    """Every task of the project. Sending one never fails the request that sends it: with the
    broker down, the message is logged as lost and None returned. That is safe because every
    task here only hurries work the database already holds — a case waiting for dispatch, an
    outbox row, a notice — which the periodic sweeps pick up when the broker is back
    (docs/operations.md, "When Redis is down")."""

    abstract = True

    def apply_async(self, *args, **kwargs):
        try:
            return super().apply_async(*args, **kwargs)
        except OperationalError as exc:
            logger.error(
                "task %s not sent, the broker is unreachable (%s); the sweeps will redo it",
                self.name,
                exc,
            )
            return None


app = Celery("portal", task_cls=PortalTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _connect_request_ids() -> None:
    from portal.request_id import connect_celery_signals

    connect_celery_signals()


_connect_request_ids()


@worker_process_init.connect
def _settle(**_kwargs) -> None:
    from portal.runtime import settle_gc

    settle_gc()
