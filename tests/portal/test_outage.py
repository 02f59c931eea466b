"""The database unreachable (issue 17, item 7): a clear 503 with Retry-After — JSON for the API
and scripts, a small page in the reader's language for people — never Django's 500 page,
whether the error comes from a view, the API or a middleware. The fault test with a real
restart is tests/faults/test_intake_faults.py."""

from __future__ import annotations

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from portal import outage
from tests.services.conftest import build_desk


@pytest.fixture
def desk(territory):
    return build_desk(territory)


def _down(*args, **kwargs):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


def test_an_api_request_during_the_outage_is_a_json_503(desk, monkeypatch):
    from services.api import views

    monkeypatch.setattr(views.KpiView, "get", _down)
    api = APIClient()
    api.force_authenticate(desk.user("district"))
    r = api.get("/api/services/kpis/")
    assert r.status_code == 503 and r["Retry-After"] == "30"
    assert (
        r["Content-Type"].startswith("application/json") and "请一分钟后再试" in r.json()["detail"]
    )


def test_a_page_during_the_outage_is_a_503_page_in_chinese(desk, monkeypatch):
    from django.db import connection

    client = Client(raise_request_exception=False, headers={"accept-language": "zh-hans"})
    monkeypatch.setattr(connection, "cursor", _down)  # every query now fails
    r = client.post("/cases/new/", {"description": "路灯不亮"})
    monkeypatch.undo()
    page = r.content.decode()
    assert r.status_code == 503 and r["Retry-After"] == "30", page[:500]
    assert r["Content-Type"].startswith("text/html") and "服务暂时不可用" in page
    assert "请一分钟后再试" in page and "Traceback" not in page


def test_an_error_raised_in_a_middleware_is_a_503_too(db, monkeypatch, rf):
    """A session saved to the database, a user loaded for a check: Django has turned those
    into a 500 before the outermost middleware sees the answer; it swaps it for the 503."""
    from django.core.handlers.exception import response_for_exception

    request = rf.get("/cases/mine/", HTTP_ACCEPT_LANGUAGE="en")

    def inner(req):
        try:
            raise InterfaceError("connection already closed")
        except InterfaceError as exc:
            return response_for_exception(req, exc)

    with translation.override("en"):
        response = outage.DatabaseUnavailableMiddleware(inner)(request)
    assert response.status_code == 503
    assert "cannot reach its database" in response.content.decode()
    api = rf.get("/api/services/cases/")
    assert outage.DatabaseUnavailableMiddleware(inner)(api)["Content-Type"] == "application/json"


def test_other_errors_stay_500(db, rf):
    from django.core.handlers.exception import response_for_exception

    def inner(req):
        try:
            raise RuntimeError("a bug")
        except RuntimeError as exc:
            return response_for_exception(req, exc)

    assert outage.DatabaseUnavailableMiddleware(inner)(rf.get("/cases/")).status_code == 500


def test_what_counts_as_the_database_down():
    assert outage.is_database_down(OperationalError("terminating connection"))
    assert outage.is_database_down(InterfaceError("connection already closed"))
    try:
        try:
            raise OperationalError("server closed the connection")
        except OperationalError as exc:
            raise ValueError("wrapped") from exc
    except ValueError as wrapped:
        assert outage.is_database_down(wrapped)
    assert not outage.is_database_down(ValueError("bad input"))
    from django.db import IntegrityError

    assert not outage.is_database_down(IntegrityError("duplicate key"))
