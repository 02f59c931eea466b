"""The API under attack (issue 17, items 1 and 7): errors are JSON (500 included), every write
endpoint is throttled, the case API honours Idempotency-Key per account and URL."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from portal.api_auth import WriteThrottle
from services.models import Case
from tests.services.conftest import build_desk

CASES = "/api/services/cases/"


@pytest.fixture
def desk(territory):
    return build_desk(territory)


def _intake(desk, **extra) -> dict:
    return {
        "case_type": "help",
        "category": desk.potholes.pk,
        "description": "楼道灯坏了",
        "place": desk.t.a.buildings[0].pk,
        **extra,
    }


def test_an_unexpected_error_in_the_api_is_a_json_500(desk, monkeypatch):
    """The review: the API's 500 was Django's HTML page."""
    from services.api import views

    def explode(self, request):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.KpiView, "get", explode)
    api = APIClient()
    api.force_authenticate(desk.user("district"))
    r = api.get("/api/services/kpis/")
    assert r.status_code == 500
    assert r["Content-Type"].startswith("application/json") and "detail" in r.json()


def test_errors_outside_the_views_are_json_under_api(db):
    from portal.urls import handler404, handler500

    r = Client().get("/api/no-such-thing/")
    assert r.status_code == 404 and r.json()["detail"]
    from django.test import RequestFactory

    request = RequestFactory().get("/api/services/cases/")
    assert handler500(request).status_code == 500
    assert handler500(request)["Content-Type"].startswith("application/json")
    assert handler404(RequestFactory().get("/cases/x/"), None)["Content-Type"].startswith(
        "text/html"
    )


def _api_views():
    """(route, view class) of every DRF view under /api/."""

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                cls = getattr(p.callback, "cls", None)
                if cls is not None:
                    yield prefix + str(p.pattern), cls, getattr(p.callback, "actions", None)

    for route, cls, actions in walk(get_resolver().url_patterns):
        if route.startswith("api/"):
            yield route, cls, actions


def test_every_api_write_endpoint_is_throttled():
    writes = 0
    for route, cls, actions in _api_views():
        methods = set((actions or {}).keys()) or {
            m for m in ("post", "put", "patch", "delete") if hasattr(cls, m)
        }
        if not methods & {"post", "put", "patch", "delete"}:
            continue
        writes += 1
        assert any(issubclass(t, WriteThrottle) for t in cls.throttle_classes), route
    assert writes >= 10  # the cases, centres, grids and time-bank write endpoints


def test_case_writes_are_throttled(desk, monkeypatch):
    monkeypatch.setattr(
        WriteThrottle, "THROTTLE_RATES", {**WriteThrottle.THROTTLE_RATES, "intake": "2/min"}
    )
    api = APIClient()
    api.force_authenticate(desk.user("resident_a"))
    codes = [api.post(CASES, _intake(desk), format="json").status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert Case.objects.count() == 2
    # Reads are not counted.
    assert api.get(CASES).status_code == 200


def test_the_case_api_honours_idempotency_key(desk):
    """The review: a client retrying a lost answer filed the case three times."""
    key = uuid.uuid4().hex
    api = APIClient(headers={"idempotency-key": key})
    api.force_authenticate(desk.user("resident_a"))
    first = api.post(CASES, _intake(desk), format="json")
    again = api.post(CASES, _intake(desk), format="json")
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and again["Idempotent-Replay"] == "true"
    assert again["Location"] == first["Location"]
    assert Case.objects.count() == 1
    # The same key from someone else is theirs: a case of their own, not this one's receipt.
    other = APIClient(headers={"idempotency-key": key})
    other.force_authenticate(desk.user("resident_b"))
    theirs = other.post(CASES, _intake(desk, place=desk.t.b.buildings[0].pk), format="json")
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
    assert Case.objects.count() == 2
    # A refused submission keeps no key: the corrected one goes through with it.
    key2 = uuid.uuid4().hex
    api2 = APIClient(headers={"idempotency-key": key2})
    api2.force_authenticate(desk.user("resident_a"))
    assert api2.post(CASES, _intake(desk, category=0), format="json").status_code == 400
    assert api2.post(CASES, _intake(desk), format="json").status_code == 201
