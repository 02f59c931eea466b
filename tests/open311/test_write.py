"""GeoReport v2's write side: POST requests with a key (THE intake path), keys and their scope,
the rate limit, media_url through the photo pipeline, and the servicerequestupdates extension."""

from __future__ import annotations

import io
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from PIL import Image

from open311 import actions as key_actions
from open311.models import ApiKey, MediaState, Submission
from open311.tasks import fetch_media
from services import actions
from services.choices import Channel, State
from services.models import Case, CaseEvent, CasePhoto
from tests.open311.test_read import ISO, envelope, get, xml


def post(client, url, **data):
    return client.post(f"/open311/v2/{url}", data)


def file(client, plain, fmt="json", **data):
    data = {"api_key": plain, "service_code": "potholes", "description": "路面有坑", **data}
    return post(client, f"requests.{fmt}", **data)


def filed(response) -> Case:
    assert response.status_code == 200, response.content
    number = json.loads(response.content)[0]["service_request_id"]
    return Case.objects.get(number=number)


def test_post_then_get_round_trip(client, desk, key):
    row, plain = key
    building = desk.t.a.buildings[1]
    response = file(
        client,
        plain,
        lat=building.lat + 0.0001,
        long=building.lng,
        address_string="东门口",
        first_name="小明",
        last_name="王",
        phone="13912345678",
        email="w@example.com",
        account_id="fms-77",
    )
    body = json.loads(response.content)
    assert set(body[0]) == {"service_request_id", "token", "service_notice", "account_id"}
    assert body[0]["account_id"] == "fms-77"
    case = filed(response)
    # Filed through submit_case as the key's account, on the key's channel.
    assert (case.channel, case.reporter_id, case.place) == (
        Channel.RESIDENT_WEB,
        row.account_id,
        building,
    )
    assert (case.reporter_name, case.reporter_phone, case.address) == (
        "王小明",
        "13912345678",
        "东门口",
    )
    assert CaseEvent.objects.filter(case=case, action="submit").count() == 1
    # The key reads its own case whole; nobody reads the name or phone.
    mine = json.loads(get(client, f"requests/{case.number}.json", api_key=plain).content)[0]
    assert mine["description"] == "路面有坑"
    assert mine["address"].endswith("东门口")
    assert mine["lat"] == pytest.approx(building.lat + 0.0001)
    assert ISO.match(mine["requested_datetime"])
    public = json.loads(get(client, f"requests/{case.number}.json").content)[0]
    assert public["description"] == "" and "东门口" not in public["address"]
    for text in (json.dumps(mine, ensure_ascii=False), json.dumps(public, ensure_ascii=False)):
        assert "13912345678" not in text and "小明" not in text
    token = json.loads(get(client, f"tokens/{body[0]['token']}.json").content)
    assert token[0]["service_request_id"] == case.number
    root = xml(get(client, f"tokens/{body[0]['token']}.xml"))
    assert root.find("request/service_request_id").text == case.number


def test_post_in_xml_and_by_address_id_and_address_string(client, desk, key):
    _row, plain = key
    root = xml(file(client, plain, fmt="xml", address_id=desk.t.a.buildings[0].pk))
    assert root.tag == "service_requests"
    number = root.find("request/service_request_id").text
    assert Case.objects.get(number=number).place == desk.t.a.buildings[0]
    case = filed(file(client, plain, address_string="测试街道乙2号楼西侧"))
    assert case.place == desk.t.b.buildings[1]
    assert envelope(file(client, plain, address_string="月球"), 400)
    assert envelope(file(client, plain, address_id=desk.t.a.community.pk), 400)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_input_is_the_envelope_and_nothing_is_saved(client, desk, key, fmt):
    _row, plain = key
    here = {"lat": desk.t.a.buildings[0].lat, "long": desk.t.a.buildings[0].lng}
    cases = [
        (403, {"api_key": ""}),
        (403, {"api_key": "wrong"}),
        (400, {"service_code": "nope", **here}),
        (400, {"lat": 30.0, "long": 100.0}),  # outside every area
        (400, {"lat": 24.9}),
        (400, {"lat": 95, "long": 118.59}),
        (400, {}),  # no location
        (400, {"description": "", **here}),
        (400, {"phone": "12345", **here}),
        (400, {"media_url": "ftp://x/y.jpg", **here}),
        (400, {"description": "坑\x00", **here}),
        (400, {"description": "长" * 4001, **here}),
    ]
    for status, data in cases:
        response = file(client, data.pop("api_key", plain), fmt=fmt, **data)
        assert envelope(response, status), data
    assert Case.objects.count() == 0 and Submission.objects.count() == 0


def test_a_revoked_key_is_refused(client, desk, key):
    row, plain = key
    assert key_actions.revoke_key(row, actor=desk.user("superuser"))
    assert "revoked" in envelope(file(client, plain, address_id=desk.t.a.buildings[0].pk), 403)[0]
    row.refresh_from_db()
    assert not row.is_active and row.revoked_at


def test_only_city_staff_issue_keys_and_the_channel_is_the_accounts(desk):
    with pytest.raises(ValidationError):
        key_actions.issue_key(name="x", actor=desk.user("district"))
    with pytest.raises(ValidationError) as exc:
        key_actions.issue_key(name="x", actor=desk.user("superuser"), channel=Channel.HOTLINE)
    assert "channel" in exc.value.message_dict
    row, plain = key_actions.issue_key(name="Kiosk vendor", actor=desk.user("superuser"))
    assert row.key_hash != plain and plain not in row.key_hash and row.prefix == plain[:8]
    assert row.account.username.startswith("open311-kiosk-vendor")
    assert not row.account.has_usable_password()


def test_a_key_bound_to_an_area_files_and_reads_inside_it_only(client, desk, issue):
    _row, plain = issue(area=desk.t.a.community)
    assert envelope(file(client, plain, address_id=desk.t.b.buildings[0].pk), 403)
    b = desk.t.b.buildings[0]
    assert envelope(file(client, plain, lat=b.lat, long=b.lng), 403)
    assert Case.objects.count() == 0
    inside = filed(file(client, plain, address_id=desk.t.a.buildings[0].pk))
    outside = desk.file(place=b)
    rows = json.loads(get(client, "requests.json", api_key=plain).content)
    assert [r["service_request_id"] for r in rows] == [inside.number]
    assert envelope(get(client, f"requests/{outside.number}.json", api_key=plain), 404)


def test_rate_limit_per_key(client, desk, issue, settings):
    settings.LINLI = {**settings.LINLI, "OPEN311_POSTS_PER_MINUTE": 3}
    _row, plain = issue()
    _other, other = issue(name="Other app")
    place = desk.t.a.buildings[0].pk
    for _ in range(3):
        filed(file(client, plain, address_id=place))
    assert "at most 3" in envelope(file(client, plain, address_id=place), 429)[0]
    filed(file(client, other, address_id=place))  # another key has its own count
    assert Case.objects.count() == 4


# --- media_url ---------------------------------------------------------------------------------


def _jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 10)).save(out, format="JPEG")
    return out.getvalue()


class _Media(BaseHTTPRequestHandler):
    routes = {
        "/photo.jpg": ("image/jpeg", _jpeg_bytes()),
        "/page": ("text/html", b"<html></html>"),
        "/big.jpg": ("image/jpeg", b"\xff" * (8 * 1024 * 1024 + 10)),
        "/fake.jpg": ("image/jpeg", b"not really a picture"),
    }

    def do_GET(self):
        kind, body = self.routes.get(self.path, ("text/plain", b""))
        self.send_response(200 if self.path in self.routes else 404)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def media_server(settings):
    settings.LINLI = {**settings.LINLI, "OPEN311_MEDIA_PRIVATE_OK": True}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Media)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_media_url_is_fetched_by_the_task_through_the_photo_pipeline(
    client, desk, key, media_server, django_capture_on_commit_callbacks
):
    _row, plain = key
    place = desk.t.a.buildings[0].pk
    with django_capture_on_commit_callbacks() as callbacks:
        response = file(client, plain, address_id=place, media_url=f"{media_server}/photo.jpg")
    case = filed(response)
    assert any("fetch_media" in repr(c) or callable(c) for c in callbacks)
    submission = case.open311
    assert submission.media_state == MediaState.PENDING
    assert fetch_media(submission.pk) == "saved"
    assert fetch_media(submission.pk) == "skipped"  # once only
    assert CasePhoto.objects.filter(case=case).count() == 1
    row = json.loads(get(client, f"requests/{case.number}.json", api_key=plain).content)[0]
    assert row["media_url"].startswith("http://testserver/")
    assert json.loads(get(client, f"requests/{case.number}.json").content)[0]["media_url"] == ""


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/page", "not an image"),
        ("/big.jpg", "larger than"),
        ("/fake.jpg", "not an image"),
        ("/missing.jpg", "answered 404"),
    ],
)
def test_bad_media_is_refused_and_said_so(client, desk, key, media_server, path, reason):
    _row, plain = key
    case = filed(
        file(client, plain, address_id=desk.t.a.buildings[0].pk, media_url=media_server + path)
    )
    assert fetch_media(case.open311.pk) == "refused"
    token = json.loads(get(client, f"tokens/{case.open311.token}.json").content)[0]
    assert token["media_status"] == "refused" and reason in token["media_error"]
    assert not CasePhoto.objects.filter(case=case).exists()


def test_media_on_a_private_address_is_not_fetched(client, desk, key):
    _row, plain = key
    case = filed(
        file(
            client,
            plain,
            address_id=desk.t.a.buildings[0].pk,
            media_url="http://127.0.0.1:9/x.jpg",
        )
    )
    assert fetch_media(case.open311.pk) == "refused"
    case.open311.refresh_from_db()
    assert "public address" in case.open311.media_error


# --- servicerequestupdates ---------------------------------------------------------------------


def _resolved(client, desk, plain) -> Case:
    case = filed(file(client, plain, address_id=desk.t.a.buildings[0].pk))
    grid = desk.user("grid_a")
    case = actions.dispatch(case, actor=None)
    actions.sign_for(case, actor=grid)
    return actions.resolve(case, actor=grid, result="已修补路面")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_updates_since_a_time(client, desk, key, fmt):
    _row, plain = key
    since = (timezone.now() - timedelta(minutes=1)).isoformat()
    case = _resolved(client, desk, plain)
    response = get(client, f"servicerequestupdates.{fmt}", start_date=since, api_key=plain)
    assert response.status_code == 200
    if fmt == "json":
        rows = json.loads(response.content)
    else:
        root = xml(response)
        assert root.tag == "service_request_updates"
        rows = [{c.tag: c.text for c in u} for u in root.findall("request_update")]
    assert [r["external_status_code"] for r in rows] == [
        "submit",
        "dispatch",
        "sign_for",
        "resolve",
    ]
    assert {r["service_request_id"] for r in rows} == {case.number}
    assert rows[-1]["status"] == "FIXED"
    assert ISO.match(rows[-1]["updated_datetime"])
    public = json.loads(get(client, "servicerequestupdates.json", start_date=since).content)
    assert len(public) == 4  # a help request: followed by anyone, in plain words


def test_an_update_fixed_or_not_is_the_reporters_callback(client, desk, key):
    row, plain = key
    case = _resolved(client, desk, plain)
    data = {"api_key": plain, "service_request_id": case.number}
    refused = post(client, "servicerequestupdates.json", status="IN_PROGRESS", **data)
    assert "comments are not kept" in envelope(refused, 400)[0]
    no_rating = post(client, "servicerequestupdates.json", status="FIXED", **data)
    assert envelope(no_rating, 400)
    answer = post(
        client, "servicerequestupdates.xml", status="REOPEN", rating=2, description="还在漏", **data
    )
    assert answer.status_code == 200, answer.content
    assert xml(answer).find("request_update/update_id").text
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.redo_count == 1  # handled again


def test_updates_only_from_the_system_that_filed(client, desk, key, issue):
    _row, plain = key
    _other, other = issue(name="Another app")
    case = _resolved(client, desk, plain)
    data = {"api_key": other, "service_request_id": case.number, "status": "FIXED", "rating": 5}
    assert envelope(post(client, "servicerequestupdates.json", **data), 400)
    data["api_key"] = "wrong"
    assert envelope(post(client, "servicerequestupdates.json", **data), 403)
    assert Case.objects.get(pk=case.pk).state == State.RESOLVED


def test_keys_are_shown_once_in_the_admin(client, desk):
    client.force_login(desk.user("superuser"))
    response = client.post(
        "/admin/open311/apikey/add/",
        {"name": "City app", "channel": "resident_web", "area": "", "account": ""},
        follow=True,
    )
    assert response.status_code == 200
    row = ApiKey.objects.get(name="City app")
    shown = [str(m) for m in response.context["messages"]]
    assert any(row.prefix in m and "not shown again" in m for m in shown), shown
    client.post(
        "/admin/open311/apikey/",
        {"action": "revoke", "_selected_action": [row.pk]},
        follow=True,
    )
    row.refresh_from_db()
    assert not row.is_active
