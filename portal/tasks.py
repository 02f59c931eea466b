from celery import shared_task
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
