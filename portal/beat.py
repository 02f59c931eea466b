"""The periodic tasks, in one place. Each app adds its own entries here.

django-celery-beat's DatabaseScheduler copies these into the database at start-up; staff can
then see, pause and re-time them in the admin (Periodic tasks).
"""

BEAT_SCHEDULE: dict[str, dict] = {
    # Deliberation: votes past their closing time closed and tallied; repeated cases proposed
    # as matters (both idempotent).
    "deliberation.close_due_votes": {
        "task": "deliberation.tasks.close_due_votes",
        "schedule": 300.0,
    },
    "deliberation.propose_from_cases": {
        "task": "deliberation.tasks.propose_from_cases",
        "schedule": 86400.0,
    },
    "portal.heartbeat": {"task": "portal.tasks.heartbeat", "schedule": 60.0},
    # The login log past its retention (LINLI_LOGIN_LOG_DAYS), and expired lockout counters.
    "portal.purge_login_log": {"task": "portal.tasks.purge_login_log", "schedule": 86400.0},
    # 12345 case timers (yellow/red cards, escalation, 催办/督办). Every 30 s: a step due just
    # after a sweep waits one interval plus the next sweep's own run, which keeps the sweep lag
    # under the minute operations promise (bench/province.py measured it at province volume).
    "services.sweep_deadlines": {"task": "services.tasks.sweep_deadlines", "schedule": 30.0},
    # Notifications: lost deliveries, and SMS/WeChat held for quiet hours that have ended.
    "notifications.flush_outbox": {
        "task": "notifications.tasks.flush_outbox",
        "schedule": 120.0,
    },
    # Holiday changes whose deadline recompute message was lost (it is sent on commit).
    "services.recompute_unfinished_changes": {
        "task": "services.tasks.recompute_unfinished_changes",
        "schedule": 600.0,
    },
    # Case events by month (services.partitions): the next months' partitions created ahead
    # (idempotent) and the parent analyzed, which autovacuum never does.
    "services.upkeep_event_partitions": {
        "task": "services.tasks.upkeep_event_partitions",
        "schedule": 86400.0,
    },
    # Both outboxes keep delivered rows LINLI_OUTBOX_KEEP_DAYS, then drop them (daily).
    "services.prune_city_outbox": {"task": "services.tasks.prune_city_outbox", "schedule": 86400.0},
    "notifications.prune_outbox": {"task": "notifications.tasks.prune_outbox", "schedule": 86400.0},
    # City 12345 link: events a lost message or a long outage left pending.
    "services.drain_city_outbox": {"task": "services.tasks.drain_city_outbox", "schedule": 30.0},
    # City 12345 link in Open311 mode: the platform's updates (a no-op in the Linli mode).
    "open311.pull_city_updates": {"task": "open311.tasks.pull_city_updates", "schedule": 300.0},
    # Day-before reminders for activity places, bookings and affairs appointments (hourly:
    # each person is reminded once, whenever tomorrow's entries appear).
    "centres.send_reminders": {"task": "centres.tasks.send_reminders", "schedule": 3600.0},
    # Time bank: untaken orders flagged to staff, 评单 auto-confirmation, expiry, drift check.
    "volunteers.flag_untaken_orders": {
        "task": "volunteers.tasks.flag_untaken_orders",
        "schedule": 600.0,
    },
    "volunteers.auto_confirm_orders": {
        "task": "volunteers.tasks.auto_confirm_orders",
        "schedule": 3600.0,
    },
    "volunteers.expire_points": {"task": "volunteers.tasks.expire_points", "schedule": 86400.0},
    "volunteers.nightly_ledger_check": {
        "task": "volunteers.tasks.nightly_ledger_check",
        "schedule": 86400.0,
    },
    # The dashboard's daily rollup of the 12345 figures (dashboard/rollup.py): closed days
    # whose cases changed, written again; until then those days are read live.
    "dashboard.refresh_rollup": {"task": "dashboard.tasks.refresh_rollup", "schedule": 300.0},
    # Workforce: the yearly promotion round, proposed once LINLI_WORKFORCE_PROPOSE_ON has
    # passed (daily; idempotent: only workers newly due are added).
    "workforce.propose_yearly_promotions": {
        "task": "workforce.tasks.propose_yearly_promotions",
        "schedule": 86400.0,
    },
}
