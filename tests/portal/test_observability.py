"""Operations' view of the portal (issue 20, item 6): /metrics for Prometheus and the request
id on log lines, responses and the tasks a request sends."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from notifications.models import NotificationOutbox
from portal.request_id import TASK_HEADER, _prerun, _publish, request_id
from services.models import Case
from tests.services.conftest import build_desk

pytestmark = pytest.mark.django_db


def _figures(client) -> dict[str, float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    figures = {}
    for line in response.content.decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            figures[name] = float(value)
    return figures


def test_metrics_show_requests_sweep_lag_and_backlogs(client, territory):
    desk = build_desk(territory)
    late = desk.file()
    Case.objects.filter(pk=late.pk).update(next_check_at=timezone.now() - timedelta(minutes=5))
    NotificationOutbox.objects.create(channel="sms", address="13900000001", kind="x", title="t")
    client.get("/healthz")
    figures = _figures(client)
    assert 290 < figures["linli_sweep_lag_seconds"] < 400
    assert figures['linli_outbox_rows{outbox="notifications",status="pending"}'] == 1
    healthz = [k for k in figures if k.startswith("linli_http_request_seconds_count{")]
    assert any('view="healthz"' in k and 'status="2xx"' in k for k in healthz), healthz


def test_metrics_are_closed_to_other_networks_without_the_token(settings):
    settings.LINLI = {**settings.LINLI, "METRICS_NETWORKS": ["10.0.0.0/8"], "METRICS_TOKEN": "s3"}
    assert Client().get("/metrics").status_code == 404  # the test client is 127.0.0.1
    token = Client(headers={"Authorization": "Bearer s3"})
    assert token.get("/metrics").status_code == 200
    assert Client(headers={"Authorization": "Bearer no"}).get("/metrics").status_code == 404


def test_every_response_and_log_line_carries_the_request_id(client, caplog):
    answer = client.get("/healthz", headers={"X-Request-ID": "req-12345678"})
    assert answer["X-Request-ID"] == "req-12345678"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert len(made["X-Request-ID"]) == 32 and " " not in made["X-Request-ID"]
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get("/no-such-page/", headers={"X-Request-ID": "req-abcdefgh"})
    assert [r.request_id for r in caplog.records if r.name == "django.request"] == ["req-abcdefgh"]


def test_a_task_sent_during_a_request_carries_its_id():
    headers: dict = {}
    token = request_id.set("req-0011223344")
    try:
        _publish(headers=headers)
    finally:
        request_id.reset(token)
    assert headers[TASK_HEADER] == "req-0011223344"

    class Req:
        id = "t1"
        linli_request_id = "req-0011223344"

    class Task:
        request = Req()

    _prerun(task=Task())
    assert request_id.get() == "req-0011223344"
    request_id.set("-")
