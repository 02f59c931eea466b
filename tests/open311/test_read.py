"""GeoReport v2's read side: discovery, services, definitions, requests, tokens, in both formats,
and the error envelope."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from services import actions
from services.models import Case
from tests.open311.schema import errors_of, validated

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def get(client, url, **params):
    return client.get(f"/open311/v2/{url}", params)


def xml(response):
    """The answer parsed, after checking it against GeoReport v2's XML schema."""
    assert response["Content-Type"].startswith("text/xml")
    validated(response.content)
    return ET.fromstring(response.content)


def envelope(response, status):
    """The spec's error envelope, in the response's format; returns the descriptions."""
    assert response.status_code == status, response.content
    if response["Content-Type"].startswith("application/json"):
        body = json.loads(response.content)
        assert [set(e) for e in body] == [{"code", "description"}] * len(body)
        assert all(e["code"] == status for e in body)
        return [e["description"] for e in body]
    root = xml(response)
    assert root.tag == "errors"
    assert [e.tag for e in root] == ["error"] * len(root)
    assert all(e.findtext("code") == str(status) for e in root)
    return [e.findtext("description") for e in root]


@pytest.mark.django_db
def test_discovery_in_both_formats(client):
    body = json.loads(get(client, "discovery.json").content)
    endpoint = body["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert ISO.match(body["changeset"])
    root = xml(get(client, "discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == [
        "text/xml",
        "application/json",
    ]


def test_services_one_per_active_category_grouped_by_the_tree(client, desk):
    desk.noise.is_active = False
    desk.noise.save()
    body = json.loads(get(client, "services.json").content)
    by_code = {s["service_code"]: s for s in body}
    assert set(by_code) == {"roads", "potholes", "water"}
    assert by_code["potholes"]["group"] == "市政设施"
    assert by_code["potholes"]["type"] == "realtime"
    assert by_code["potholes"]["metadata"] is False
    assert set(by_code["water"]) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    root = xml(get(client, "services.xml"))
    assert root.tag == "services"
    assert {s.findtext("service_code") for s in root.findall("service")} == set(by_code)
    assert root.find("service/metadata").text == "false"


def test_service_code_is_stable_across_a_rename(client, desk):
    desk.potholes.name = "路面破损"
    desk.potholes.save()
    body = json.loads(get(client, "services.json").content)
    assert {"service_code": "potholes", "service_name": "路面破损"}.items() <= next(
        s for s in body if s["service_code"] == "potholes"
    ).items()


def test_service_definition_has_no_attributes(client, desk):
    body = json.loads(get(client, "services/potholes.json").content)
    assert body == {"service_code": "potholes", "attributes": []}
    root = xml(get(client, "services/potholes.xml"))
    assert root.tag == "service_definition" and root.find("attributes") is not None
    assert "No such service_code." in envelope(get(client, "services/nope.json"), 404)
    assert envelope(get(client, "services/nope.xml"), 404)


def test_requests_show_what_a_follower_sees_and_never_the_reporter(client, desk):
    case = desk.dispatched(description="门口有坑 张三 13900000001", address="甲1号楼东门")
    body = json.loads(get(client, "requests.json").content)
    assert [r["service_request_id"] for r in body] == [case.number]
    row = body[0]
    assert list(row) == REQUEST_FIELDS
    assert row["status"] == "open"
    assert row["service_code"] == "potholes"
    assert row["description"] == ""  # what the reporter wrote is theirs (services.followers)
    assert "甲1号楼东门" not in json.dumps(row, ensure_ascii=False)
    assert "1390000000" not in json.dumps(row, ensure_ascii=False)
    assert row["address"] == desk.t.a.buildings[0].name
    assert row["agency_responsible"] == case.unit_label
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert ISO.match(row[name]), (name, row[name])
    assert row["status_notes"].startswith("Sent to")
    root = xml(get(client, "requests.xml"))
    assert root.tag == "service_requests"
    assert [c.tag for c in root.find("request")] == REQUEST_FIELDS


def test_complaints_and_reports_are_never_listed(client, desk):
    desk.file(case_type="complaint")
    desk.file(case_type="report")
    assert json.loads(get(client, "requests.json").content) == []


def test_closed_and_open_filters_and_the_id_list(client, desk):
    open_case = desk.dispatched()
    closed = desk.file(category=desk.noise)
    actions.not_accepted(closed, actor=desk.user("superuser"), reason="不属于受理范围")
    assert {r["service_request_id"] for r in _list(client, status="open")} == {open_case.number}
    closed_rows = _list(client, status="closed")
    assert [r["service_request_id"] for r in closed_rows] == [closed.number]
    assert closed_rows[0]["status"] == "closed"
    assert closed_rows[0]["expected_datetime"] is None
    assert {r["service_request_id"] for r in _list(client, service_code="noise,water")} == {
        closed.number
    }
    ids = f"{open_case.number},{closed.number}"
    assert len(_list(client, service_request_id=ids, status="open")) == 2  # the list overrides
    assert envelope(get(client, "requests.json", status="pending"), 400)


def _list(client, **params):
    response = get(client, "requests.json", **params)
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def test_the_default_window_is_90_days_and_wider_spans_are_refused(client, desk):
    old = desk.file()
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=91))
    new = desk.file()
    assert [r["service_request_id"] for r in _list(client)] == [new.number]
    start = (timezone.now() - timedelta(days=100)).isoformat()
    end = (timezone.now() - timedelta(days=80)).isoformat()
    assert [r["service_request_id"] for r in _list(client, start_date=start, end_date=end)] == [
        old.number
    ]
    far = (timezone.now() - timedelta(days=200)).isoformat()
    assert "90 days" in envelope(get(client, "requests.xml", start_date=far, end_date=end), 400)[0]
    assert envelope(get(client, "requests.json", start_date="yesterday"), 400)


def test_paging(client, desk):
    numbers = [desk.file().number for _ in range(5)][::-1]
    pages = [_list(client, page=p, page_size=2) for p in (1, 2, 3, 4)]
    assert [[r["service_request_id"] for r in page] for page in pages] == [
        numbers[0:2],
        numbers[2:4],
        numbers[4:5],
        [],
    ]
    assert envelope(get(client, "requests.json", page_size=1001), 400)
    assert envelope(get(client, "requests.json", page=0), 400)


def test_one_request_and_unknown_ones(client, desk):
    case = desk.file()
    body = json.loads(get(client, f"requests/{case.number}.json").content)
    assert [r["service_request_id"] for r in body] == [case.number]
    root = xml(get(client, f"requests/{case.number}.xml"))
    assert root.find("request/service_request_id").text == case.number
    assert envelope(get(client, "requests/999.json"), 404)
    complaint = desk.file(case_type="complaint")
    assert envelope(get(client, f"requests/{complaint.number}.xml"), 404)


def test_jurisdiction_is_checked(client, desk, settings):
    assert get(client, "services.json", jurisdiction_id="linli").status_code == 200
    assert envelope(get(client, "services.json", jurisdiction_id="elsewhere"), 404)
    assert envelope(get(client, "requests.xml", jurisdiction_id="elsewhere"), 404)


def test_unknown_format_resource_and_method(client, desk):
    assert envelope(get(client, "services.csv"), 404)
    assert envelope(get(client, "nothing/here"), 404)
    assert envelope(client.post("/open311/v2/services.json"), 405)
    assert envelope(get(client, "tokens/nope.json"), 404)


def test_a_wrong_key_on_a_read_is_refused(client, desk):
    assert envelope(get(client, "requests.json", api_key="wrong"), 403)


def test_query_count_of_a_page_is_pinned(client, desk, django_assert_max_num_queries):
    for _ in range(3):
        desk.dispatched()
    # The cases (alone: no joins), their places', categories' and units' names (one round
    # trip), their latest steps; no photos without a key.
    with django_assert_max_num_queries(3):
        assert len(_list(client)) == 3
    for _ in range(10):
        desk.dispatched()
    with django_assert_max_num_queries(3):
        assert len(_list(client)) == 13


def test_query_count_with_a_key_is_pinned(client, desk, key, django_assert_max_num_queries):
    _row, plain = key
    for _ in range(5):
        desk.dispatched()
    # The key, the cases, their names, their steps, their photos.
    with django_assert_max_num_queries(5):
        assert len(_list(client, api_key=plain)) == 5


def test_the_envelope_speaks_chinese_by_default(desk):
    from django.test import Client

    response = Client().get("/open311/v2/services/nope.json")
    assert envelope(response, 404) == ["没有这个 service_code。"]


def test_query_count_of_updates_is_pinned(client, desk, django_assert_max_num_queries):
    for _ in range(4):
        desk.dispatched()
    since = (timezone.now() - timedelta(minutes=5)).isoformat()
    with django_assert_max_num_queries(1):  # the steps, with their cases and units
        response = get(client, "servicerequestupdates.json", start_date=since)
    assert len(json.loads(response.content)) == 8


def test_every_xml_answer_parses(client, desk):
    case = desk.dispatched()
    for url in (
        "discovery.xml",
        "services.xml",
        "services/potholes.xml",
        "requests.xml",
        f"requests/{case.number}.xml",
        "servicerequestupdates.xml",
        "requests.xml?status=bogus",
        "tokens/nope.xml",
        f"requests.xml?extensions=true&service_request_id={case.number}",
        f"requests/{case.number}.xml?extensions=true",
        "nowhere.xml",
        "requests.txt",
    ):
        response = client.get(f"/open311/v2/{url}")
        validated(response.content)  # against georeport_v2.xsd
        root = ET.fromstring(response.content)
        assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'), url
        assert root.tag in {
            "discovery",
            "services",
            "service_definition",
            "service_requests",
            "service_request_updates",
            "errors",
        }


def test_control_characters_in_a_query_are_the_envelope(client, desk):
    assert envelope(client.get("/open311/v2/requests.json?status=%00"), 400)
    assert envelope(client.get("/open311/v2/requests.xml?service_code=a%01b"), 400)


def test_the_schema_catches_what_breaks_the_spec():
    """The check is real: documents a client would choke on are invalid."""
    head = b'<?xml version="1.0" encoding="UTF-8"?>'
    good = head + (
        b"<service_requests><request><service_request_id>1</service_request_id>"
        b"<status>open</status><requested_datetime>2026-12-07T10:00:00+08:00"
        b"</requested_datetime></request></service_requests>"
    )
    assert errors_of(good) == []
    for bad in (
        good.replace(b"<status>open", b"<status>pending"),  # open or closed only
        good.replace(b"+08:00", b""),  # a date-time without its offset
        good.replace(b"<status>open</status>", b"")
        .replace(b"</service_request_id>", b"</service_request_id><status>open</status>")
        .replace(b"<requested_datetime>", b"<lat>north</lat><requested_datetime>"),
        head + b"<errors><error><code>x</code><description>d</description></error></errors>",
        head + b"<errors></errors>",
        head + b"<services><service><service_code>a</service_code></service></services>",
    ):
        assert errors_of(bad), bad
