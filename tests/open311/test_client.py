"""The city-12345 link in Open311 mode: the outbox's events as GeoReport requests and
FixMyStreet-style updates, to a stand-in GeoReport server (a real HTTP server in a thread)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from services import actions, city
from services.models import CityLink, CityOutbox, CityStatus


class GeoReportStub:
    def __init__(self):
        self.posts: list[tuple[str, dict]] = []
        self.refuse_codes = {"noise"}
        self.updates: list[dict] = []
        self.gets: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers["Content-Length"])
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                stub.posts.append((self.path, form))
                if form.get("api_key") != "city-key":
                    status, body = 403, [{"code": 403, "description": "bad key"}]
                elif form.get("service_code") in stub.refuse_codes:
                    status, body = 400, [{"code": 400, "description": "unknown service"}]
                elif self.path.endswith("/requests.json"):
                    status, body = 200, [{"service_request_id": f"C-{len(stub.posts)}"}]
                else:
                    status, body = 200, [{"update_id": "u-1"}]
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802
                stub.gets.append(self.path)
                data = json.dumps(stub.updates).encode()
                self.send_response(200 if "api_key=city-key" in self.path else 403)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/open311/v2"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def stub(settings):
    server = GeoReportStub()
    settings.LINLI = {
        **settings.LINLI,
        "CITY_12345_URL": server.url,
        "CITY_12345_KEY": "city-key",
        "CITY_12345_MODE": "open311",
        "CITY_12345_JURISDICTION": "city",
    }
    yield server
    server.server.shutdown()


def _drain():
    return city.drain(city.client(), budget=20, limit=float("inf"))


def test_cases_and_their_updates_go_as_georeport_calls_in_order(desk, stub):
    case = desk.file(reporter_name="王小明", lat=24.9, lng=118.59, address="东门口")
    case = actions.dispatch(case, actor=None)
    actions.sign_for(case, actor=desk.user("grid_a"))
    result = _drain()
    assert (result.delivered, result.failed) == (3, 0)
    paths = [p for p, _form in stub.posts]
    assert paths == [
        "/open311/v2/requests.json",
        "/open311/v2/servicerequestupdates.json",
        "/open311/v2/servicerequestupdates.json",
    ]
    filed = stub.posts[0][1]
    assert filed["service_code"] == "potholes"
    assert filed["attribute[linli_number]"] == case.number
    assert (filed["lat"], filed["long"], filed["address_string"]) == ("24.9", "118.59", "东门口")
    assert filed["jurisdiction_id"] == "city"
    sent = json.dumps(stub.posts, ensure_ascii=False)
    assert "王小明" not in sent and "1390000000" not in sent
    reference = CityLink.objects.get(case=case).reference
    updates = [form for _p, form in stub.posts[1:]]
    assert {u["service_request_id"] for u in updates} == {reference}
    assert [u["status"] for u in updates] == ["OPEN", "ACTION_SCHEDULED"]
    rows = CityOutbox.objects.filter(case=case).order_by("pk")
    assert [u["update_id"] for u in updates] == [str(r.event_id) for r in rows][1:]
    assert set(rows.values_list("status", flat=True)) == {CityStatus.SENT}


def test_a_refused_request_stops_its_case_and_sends_no_update(desk, stub):
    case = desk.file(category=desk.noise)
    actions.dispatch(case, actor=None)
    result = _drain()
    assert result.delivered == 0
    assert [p for p, _f in stub.posts] == ["/open311/v2/requests.json"]
    head = CityOutbox.objects.filter(case=case).order_by("pk").first()
    assert head.status == CityStatus.FAILED and "HTTP 400" in head.last_error
    assert not CityLink.objects.filter(case=case).exists()


def test_the_platforms_updates_are_pulled_and_kept_once(desk, stub):
    from open311.tasks import pull_city_updates
    from services.models import CaseEvent

    case = desk.file()
    _drain()
    reference = CityLink.objects.get(case=case).reference
    stub.updates = [
        {
            "service_request_id": reference,
            "status": "IN_PROGRESS",
            "description": "已派城管",
            "updated_datetime": "2026-12-07T09:00:00+08:00",
        },
        {
            "service_request_id": reference,
            "status": "FIXED",
            "description": "已修复",
            "updated_datetime": "2026-12-07T10:00:00+08:00",
        },
        {"service_request_id": "not-ours", "status": "OPEN"},
    ]
    assert pull_city_updates() == 1
    link = CityLink.objects.get(case=case)
    assert (link.dispatch, link.result) == ("FIXED: 已修复", "已修复")
    assert "start_date=" in stub.gets[0] and "jurisdiction_id=city" in stub.gets[0]
    events = CaseEvent.objects.filter(case=case, action="city_update").count()
    assert pull_city_updates() == 0  # the same day read again changes nothing
    assert CaseEvent.objects.filter(case=case, action="city_update").count() == events


def test_no_pull_in_the_linli_mode(desk, stub, settings):
    from open311.tasks import pull_city_updates

    settings.LINLI = {**settings.LINLI, "CITY_12345_MODE": "linli"}
    assert pull_city_updates() == 0 and stub.gets == []
