"""Fixtures of the fault tests: many due cases in a few seconds, a private PostgreSQL server,
and real worker processes on it or on the test database."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from services.models import Case
from tests.faults.pg import PrivatePostgres


@pytest.fixture
def transactional_desk(transactional_territory):
    from tests.services.conftest import build_desk

    return build_desk(transactional_territory)


@pytest.fixture(scope="session")
def private_pg():
    server = PrivatePostgres()
    server.init()
    server.start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def private_queue(settings):
    """A queue of its own, so no other run's worker or message mixes in; the test's own
    sends (on_commit kicks, apply_async) go to it."""
    from portal.celery import app

    queue = f"faults-{uuid.uuid4().hex[:8]}"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    yield queue
    app.conf.task_default_queue = previous


def due_cases(desk, n: int) -> list[int]:
    """`n` dispatched cases at grid level whose sign-for clock ran out an hour ago (yellow and
    red due together, so the sweep escalates each once): one filed through the operations,
    the rest copies of it in bulk."""
    template = desk.dispatched()
    fields = [f for f in Case._meta.concrete_fields if not f.primary_key]
    values = {f.attname: getattr(template, f.attname) for f in fields}
    Case.objects.bulk_create(
        [
            Case(**{**values, "number": f"F{i:09d}", "tracking_token": secrets.token_hex(12)})
            for i in range(n - 1)
        ],
        batch_size=2000,
    )
    past = timezone.now() - timedelta(hours=1)
    ids = list(Case.objects.filter(state="dispatched").values_list("pk", flat=True))
    Case.objects.filter(pk__in=ids).update(
        level="grid",
        sign_warn_at=past - timedelta(hours=1),
        sign_due=past,
        sign_stage=0,
        next_check_at=past - timedelta(hours=1),
    )
    return ids
