from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone


@shared_task(name="portal.tasks.heartbeat")
def heartbeat() -> str:
    """Beat sends this every minute; /healthz could read it to tell beat is alive."""
    now = timezone.now().isoformat()
    cache.set("linli:beat:last", now, 600)
    return now


@shared_task(name="portal.tasks.ping")
def ping(marker_path: str) -> str:
    """Writes a file: lets tests prove a real worker process ran a task from the broker."""
    from pathlib import Path

    Path(marker_path).write_text("pong")
    return "pong"


@shared_task(name="portal.tasks.purge_login_log")
def purge_login_log() -> int:
    """Delete login-log rows older than LINLI_LOGIN_LOG_DAYS (never under 180: the database
    refuses younger ones) and lockout counters past their cool-off. Returns rows deleted."""
    from axes.models import AccessAttempt

    from portal.models import LoginEvent

    now = timezone.now()
    cutoff = now - timedelta(days=max(180, settings.LINLI_LOGIN_LOG_DAYS))
    deleted, _ = LoginEvent.objects.filter(at__lt=cutoff).delete()
    AccessAttempt.objects.filter(attempt_time__lt=now - settings.AXES_COOLOFF_TIME).delete()
    return deleted
