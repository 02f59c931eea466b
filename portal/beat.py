"""The periodic tasks, in one place. Each app adds its own entries here.

django-celery-beat's DatabaseScheduler copies these into the database at start-up; staff can
then see, pause and re-time them in the admin (Periodic tasks).
"""

BEAT_SCHEDULE: dict[str, dict] = {
    "portal.heartbeat": {"task": "portal.tasks.heartbeat", "schedule": 60.0},
}
