"""Notification benchmarks on a big inbox table: BENCH_NOTIFICATIONS rows (default 2,000,000)
spread over the accounts of the database (the city-scale seed has about 50,000), a third of
them unread, plus one heavy account (a street office's dispatcher) holding BENCH_HEAVY rows
(default 100,000, half unread). The rows are written once, by INSERT … SELECT; a later run
finds them there. It writes: run it on a copy of the bench database, e.g.
`createdb -T linli_bench linli_bench_notify` and DATABASE_URL=…/linli_bench_notify.

Figures: the bell's unread count from the cache (the number every page shows: no query) and
from the database after it was dropped (capped count over the partial index), for a typical
and for the heavy account; the unread-count API request; the first inbox page; marking all
read for the heavy account; one notify.send of 500 messages with preferences (the sweep's
batch), all p95 in milliseconds, and the queries a page adds for a cached bell (0).
"""

from __future__ import annotations

import os

from bench._util import count_queries, p95, timings

ROWS = int(os.environ.get("BENCH_NOTIFICATIONS", "2000000"))
HEAVY = int(os.environ.get("BENCH_HEAVY", "100000"))
TITLE = "压测通知"


def _fill() -> tuple[int, int]:
    """Rows up to ROWS (kind "reminder", title TITLE); returns (typical user id, heavy id)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from notifications.models import Notification

    User = get_user_model()
    heavy, _ = User.objects.get_or_create(
        username="bench-dispatcher", defaults={"is_staff": True, "display_name": "压测调度员"}
    )
    have = Notification.objects.filter(title__startswith=TITLE).count()
    accounts = User.objects.filter(is_active=True).count()
    with connection.cursor() as cursor:
        if have < ROWS:
            # Every account a share, newest last; every third one unread. (The modulus is a
            # constant, so the join is a hash join, not every row against every account.)
            cursor.execute(
                """
                WITH u AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
                           FROM portal_user WHERE is_active)
                INSERT INTO notifications_notification
                    (recipient_id, kind, title, body, link, created_at, read_at)
                SELECT u.id, 'reminder', %s || g, '', '/inbox/',
                       now() - (g || ' seconds')::interval,
                       CASE WHEN g %% 3 = 0 THEN NULL ELSE now() END
                FROM generate_series(1, %s) AS g
                JOIN u ON u.n = g %% %s
                """,
                [TITLE, ROWS - have, accounts],
            )
        mine = Notification.objects.filter(recipient=heavy).count()
        if mine < HEAVY:
            cursor.execute(
                """
                INSERT INTO notifications_notification
                    (recipient_id, kind, title, body, link, created_at, read_at)
                SELECT %s, 'assigned', %s || g, '', '/desk/',
                       now() - (g || ' seconds')::interval,
                       CASE WHEN g %% 2 = 0 THEN NULL ELSE now() END
                FROM generate_series(1, %s) AS g
                """,
                [heavy.pk, TITLE, HEAVY - mine],
            )
    with connection.cursor() as cursor:  # outside a transaction block, as VACUUM must be
        # The visibility map set, as autovacuum would leave a table that has settled: the
        # bell's count is then an index-only scan.
        cursor.execute("VACUUM ANALYZE notifications_notification")
    typical = (
        Notification.objects.filter(read_at__isnull=True, kind="reminder")
        .values_list("recipient_id", flat=True)
        .first()
    )
    return typical, heavy.pk


def run(emit) -> None:
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.test import Client

    from notifications import actions, bell, notify
    from notifications.models import Notification

    typical_id, heavy_id = _fill()
    User = get_user_model()
    total = Notification.objects.count()
    sizes = {"notifications": total}
    for label, user in (
        ("typical", User.objects.get(pk=typical_id)),
        ("heavy", User.objects.get(pk=heavy_id)),
    ):
        unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        bell.forget([user])
        bell.unread_count(user)
        hit = timings(lambda u=user: bell.unread_count(u), repeat=300)
        queries_on_hit = count_queries(lambda u=user: bell.unread_count(u))

        def miss(u=user) -> int:
            bell.forget([u])
            return bell.unread_count(u)

        def count(u=user) -> int:
            return Notification.objects.filter(recipient=u, read_at__isnull=True)[
                : bell.CAP
            ].count()

        load = round(os.getloadavg()[0], 1)
        emit(f"unread count, cached ({label})", p95(hit), "ms", unread=unread, load=load)
        emit(f"unread count queries, cached ({label})", queries_on_hit, "queries")
        emit(f"unread count query alone ({label})", p95(timings(count)), "ms", **sizes)
        emit(
            f"unread count, cache dropped then refilled ({label})",
            p95(timings(miss)),
            "ms",
            load=load,
            **sizes,
        )

        def inbox(u=user) -> list:
            return list(
                Notification.objects.filter(recipient=u).order_by("-created_at", "-id")[:21]
            )

        emit(f"inbox first page ({label})", p95(timings(inbox)), "ms", **sizes)

    heavy = User.objects.get(pk=heavy_id)
    client = Client()
    client.force_login(heavy)
    client.get("/api/notifications/unread-count/")
    api = timings(lambda: client.get("/api/notifications/unread-count/"), repeat=200)
    emit("GET /api/notifications/unread-count/ (heavy)", p95(api), "ms", **sizes)
    emit(
        "queries a cached bell adds to a page",
        count_queries(lambda: client.get("/api/notifications/unread-count/")) - 1,  # the user
        "queries",
    )

    def mark_all() -> None:
        with transaction.atomic():
            actions.mark_all_read(heavy)
            transaction.set_rollback(True)

    emit("mark all read (heavy, rolled back)", p95(timings(mark_all, repeat=10)), "ms")

    recipients = list(User.objects.filter(is_active=True).values_list("pk", flat=True)[:500])

    def batch() -> None:
        with transaction.atomic():
            notify.send(
                notify.Message(user=pk, kind="yellow", title="黄牌预警", link="/desk/")
                for pk in recipients
            )
            transaction.set_rollback(True)

    emit("notify.send of 500 messages (rolled back)", p95(timings(batch, repeat=20)), "ms")
