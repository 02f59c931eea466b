"""Residents on their phones (issue 16, items 2, 3 and 7): the short tracking code (made at
intake, unique, texted, looked up with the phone's last 4 digits, rate-limited), filing in three
taps (the place pre-filled, searched or located; category tiles; the type guessed), the status
as a stepper with the latest result only, and bad input that never ends in a 500."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError

from grids.models import Resident
from notifications import notify, tasks
from notifications.models import NotificationOutbox
from portal import accounts
from services import actions, guess
from services.actions import intake
from services.choices import CaseType, State
from services.models import Case, CasePhoto, Category
from services.views import common
from tests.services.test_resident_pages import form_data, jpeg

NEW, TRACK = "/cases/new/", "/cases/track/"


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    accounts.LogSms.sent.clear()
    yield
    cache.clear()


@pytest.fixture
def sms():
    """The SMS channel replaced by the fake (the real one posts to LINLI["SMS_URL"])."""
    fake = notify.FakeChannel("sms")
    real = notify.channel("sms")
    notify.register(fake)
    yield fake
    notify.register(real)


def _filed(client, desk, **extra) -> tuple[Case, object]:
    r = client.post(NEW, form_data(desk, **extra))
    assert r.status_code == 302, r.content.decode()[:3000]
    return Case.objects.latest("pk"), r


# --- the code --------------------------------------------------------------------------------------


def test_an_anonymous_case_gets_an_unambiguous_8_symbol_code(client, desk):
    case, r = _filed(client, desk)
    code = case.tracking_code
    assert len(code) == 8 and set(code) <= set(intake.CODE_ALPHABET)
    assert not set(code) & set("0O1IL")
    # The confirmation shows it, grouped for reading, and the tracking page shows it big.
    page = client.get(r["Location"]).content.decode()
    shown = intake.show_tracking_code(code)
    assert shown == f"{code[:4]}-{code[4:]}"
    assert f"Note your tracking code {shown}" in page
    assert f"<strong data-tracking-code>{shown}</strong>" in page


def test_a_case_with_an_account_behind_it_has_no_code(client, desk):
    client.force_login(desk.user("resident_a"))
    case, _r = _filed(client, desk, reporter_phone="")
    assert case.tracking_code == ""
    assert desk.file().tracking_code == ""


def test_codes_are_unique_in_the_database_and_a_clash_draws_a_new_code(desk, monkeypatch):
    first = desk.file(actor=AnonymousUser(), reporter_phone="13912345678")
    assert first.tracking_code
    # The database refuses a second case with the same code ...
    twin = Case.objects.get(pk=first.pk)
    twin.pk, twin.number, twin.tracking_token = None, "X1", "other-token"
    with pytest.raises(IntegrityError), intake.transaction.atomic():
        twin.save()
    # ... and intake, drawing that code by chance, draws again instead of failing.
    drawn = iter([first.tracking_code, "BCDEFGHJ"])
    monkeypatch.setattr(intake, "new_tracking_code", lambda: next(drawn))
    second = desk.file(actor=AnonymousUser(), reporter_phone="13912345678")
    assert second.tracking_code == "BCDEFGHJ"
    assert Case.objects.filter(tracking_code=first.tracking_code).count() == 1


def test_typed_codes_are_cleaned():
    assert intake.clean_tracking_code(" abcd-efgh ") == "ABCDEFGH"
    assert intake.clean_tracking_code("ＡＢＣＤ　ＥＦＧＨ") == "ABCDEFGH"  # full-width
    assert intake.clean_tracking_code("") == ""


# --- the SMS -------------------------------------------------------------------------------------


def test_the_code_is_texted_once_to_the_anonymous_filer(client, desk, sms):
    data = {**form_data(desk), "idempotency_key": "t" * 32}
    client.get(NEW)
    first = client.post(NEW, data)
    again = client.post(NEW, data)  # a double tap: nothing saved or texted twice
    assert first.status_code == again.status_code == 302
    case = Case.objects.get()
    rows = list(NotificationOutbox.objects.filter(channel="sms", case=case))
    assert [(r.address, r.kind) for r in rows] == [("13912345678", "case_received")]
    assert intake.show_tracking_code(case.tracking_code) in rows[0].body
    assert "/cases/track/" in rows[0].body and case.number in rows[0].body
    tasks.deliver_notifications([r.pk for r in rows])
    assert sms.sent == [(None, "13912345678", f"Your case {case.number} is taken in")]
    page = client.get(first["Location"]).content.decode()
    assert "It is also sent to 139****5678 by text message." in page


def test_without_an_sms_gateway_the_page_still_gives_the_code(client, desk):
    case, r = _filed(client, desk)
    assert not NotificationOutbox.objects.filter(channel="sms").exists()
    page = client.get(r["Location"]).content.decode()
    assert intake.show_tracking_code(case.tracking_code) in page
    assert "by text message" not in page


def test_a_logged_in_filer_is_not_texted(client, desk, sms):
    client.force_login(desk.user("resident_a"))
    _filed(client, desk, reporter_phone="")
    assert not NotificationOutbox.objects.filter(channel="sms").exists()


# --- the lookup ----------------------------------------------------------------------------------


def test_the_code_and_the_phone_tail_open_the_case(client, desk):
    case, r = _filed(client, desk)
    assert client.get(TRACK).status_code == 200
    typed = intake.show_tracking_code(case.tracking_code).lower()  # as an elder might type it
    found = client.post(TRACK, {"code": typed, "phone_tail": "5678"})
    assert found.status_code == 302 and found["Location"] == r["Location"]
    page = client.get(found["Location"]).content.decode()
    assert case.number in page
    # The long token link keeps working as before.
    assert client.get(r["Location"]).status_code == 200


@pytest.mark.parametrize(
    "code, tail, says",
    [
        ("WRONGCDE", "5678", "No case matches"),
        (None, "1234", "No case matches"),  # the right code, someone else's phone
        ("", "5678", "required"),
        (None, "56a8", "last 4 digits"),
        (None, "567", "last 4 digits"),
        ("x" * 500, "5678", "at most"),
        ("\x00\x01", "5678", ""),
    ],
)
def test_a_wrong_lookup_is_a_clear_400(client, desk, code, tail, says):
    case, _r = _filed(client, desk)
    r = client.post(
        TRACK, {"code": case.tracking_code if code is None else code, "phone_tail": tail}
    )
    assert r.status_code == 400
    assert says in r.content.decode()


def test_a_wrong_lookup_and_too_many_say_so_in_chinese(client, desk, monkeypatch):
    from django.test import Client

    _filed(client, desk)
    chinese = Client(headers={"accept-language": "zh-hans"})
    r = chinese.post(TRACK, {"code": "WRONGCDE", "phone_tail": "5678"})
    assert r.status_code == 400 and "查询码" in r.content.decode()
    monkeypatch.setattr("services.views.resident.ratelimit.hit", lambda *args: False)
    r = chinese.post(TRACK, {"code": "WRONGCDE", "phone_tail": "5678"})
    assert r.status_code == 429 and "请一小时后再试" in r.content.decode()


def test_lookups_are_rate_limited_per_code_and_per_network(client, desk, settings):
    from services.views import resident

    case, _r = _filed(client, desk)
    per_code, _window = resident.TRACK_PER_CODE
    for _ in range(per_code):
        assert (
            client.post(TRACK, {"code": case.tracking_code, "phone_tail": "0000"}).status_code
            == 400
        )
    # Now even the right pair waits: the code has been tried too often.
    r = client.post(TRACK, {"code": case.tracking_code, "phone_tail": "5678"})
    assert r.status_code == 429 and "Too many tries" in r.content.decode()
    # Guessing many codes from one network stops too.
    cache.clear()
    per_ip, _window = resident.TRACK_PER_IP
    for i in range(per_ip):
        client.post(TRACK, {"code": f"GUESS{i:03d}", "phone_tail": "5678"})
    r = client.post(TRACK, {"code": case.tracking_code, "phone_tail": "5678"})
    assert r.status_code == 429


# --- three taps ------------------------------------------------------------------------------------


def test_a_registered_resident_finds_their_building_filled_in(client, desk):
    resident = desk.user("resident_a")
    home = desk.t.a.households[0]
    Resident.objects.filter(household=home).update(user=resident)
    client.force_login(resident)
    page = client.get(NEW).content.decode()
    assert f'name="place" value="{home.building_id}"' in page
    assert f"甲社区 › 甲小区1 › {home.building.name}" in page
    # Three taps: a photo, a tile, one sentence; the place and the phone are already there.
    r = client.post(
        NEW,
        {
            "category": desk.noise.pk,
            "description": "楼上半夜装修",
            "place": home.building_id,
            "photos": [jpeg()],
        },
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    case = Case.objects.get()
    assert case.place_id == home.building_id and case.case_type == CaseType.COMPLAINT
    assert case.reporter == resident and case.reporter_phone == resident.phone


def test_anyone_else_gets_the_search_box_and_no_place(client, desk):
    page = client.get(NEW).content.decode()
    assert 'name="place" id="id_place"' in page and "No place chosen yet" in page
    assert 'id="place-search"' in page and 'capture="environment"' in page
    assert page.count('class="cat-tile"') == Category.objects.filter(children=None).count()


def test_the_place_search_finds_estates_and_buildings_by_name(client, desk):
    rows = client.get("/cases/places/", {"q": "1号楼"}).json()["results"]
    labels = {r["label"] for r in rows}
    assert "甲社区 › 甲小区1 › 甲1号楼" in labels and "乙社区 › 乙小区1 › 乙1号楼" in labels
    assert all(r["kind"] in ("estate", "building", "grid") for r in rows)
    assert client.get("/cases/places/", {"q": "没有这个地方"}).json() == {"results": []}
    # The cascading answer is still there for the other pages.
    assert client.get("/cases/places/").json()["results"][0]["kind"] == "community"


def test_my_location_picks_the_nearest_building(client, desk):
    near, far = desk.t.a.buildings
    for area, (lat, lng) in ((near, (24.9000, 118.6000)), (far, (24.9100, 118.6100))):
        area.lat, area.lng = lat, lng
        area.save()
    body = client.get("/cases/places/locate/", {"lat": 24.9001, "lng": 118.6001}).json()
    assert body["place"]["id"] == near.pk and body["place"]["label"].endswith(near.name)
    assert body["id"] == desk.t.a.grids[0].pk  # the grid, for the grid workers' pages
    far_away = client.get("/cases/places/locate/", {"lat": 30.0, "lng": 120.0})
    assert (
        far_away.status_code == 400 and "No grid near here" in far_away.json()["errors"]["place"][0]
    )


def test_the_nearest_place_is_the_same_whichever_box_finds_it(desk):
    """The small box (±0.003°) answers only when nothing outside it could be nearer."""
    from grids.models import Area
    from services.views.common import nearest_place

    Area.objects.update(lat=None, lng=None)
    near, far = desk.t.a.buildings

    def put(area, dlat, dlng):
        area.lat, area.lng = 24.9 + dlat, 118.6 + dlng
        area.save()

    # `far` is inside the small box but not nearer than its edge (0.003 × cos 24.9° ≈
    # 0.00272); `near`, just outside the box, is nearer still (0.0031 × 0.907 ≈ 0.00281).
    put(far, 0.0029, 0)
    put(near, 0, 0.0031)
    assert nearest_place(24.9, 118.6) == near
    put(near, 0, 0.001)  # well inside: the small box answers
    assert nearest_place(24.9, 118.6) == near
    put(near, 0, 0.015)  # only the wide box reaches either
    put(far, 0.019, 0)
    assert nearest_place(24.9, 118.6) == near
    assert nearest_place(24.9, 118.65) is None  # 2 km and more from every place


@pytest.mark.parametrize(
    "code, name, expected",
    [
        ("noise", "噪音扰民", CaseType.COMPLAINT),
        ("falling-objects", "高空抛物", CaseType.REPORT),
        ("subsistence", "低保咨询", CaseType.CONSULTATION),
        ("street-lights", "路灯损坏", CaseType.HELP),
        ("ideas", "社区建议", CaseType.SUGGESTION),
    ],
)
def test_the_type_is_guessed_from_the_category(db, code, name, expected):
    assert guess.guess_case_type(Category(code=code, name=name)) == expected


def test_a_chosen_type_wins_over_the_guess_and_the_tiles_have_icons(client, desk):
    _filed(client, desk, case_type="suggestion", category=desk.noise.pk)
    assert Case.objects.get().case_type == CaseType.SUGGESTION
    assert guess.category_icon(desk.noise) == "noise"
    assert guess.category_icon(Category(code="x", name="其他")) == guess.DEFAULT_ICON


# --- the stepper, the latest result ---------------------------------------------------------------


def _steps(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<li class="step (\w+)"[^>]*>([^<]+)', page)


def test_the_stepper_follows_the_case_and_a_reopened_case_hides_the_old_result(
    client, desk, tmp_path
):
    case, r = _filed(client, desk)
    link = r["Location"]
    assert _steps(client.get(link).content.decode())[:2] == [
        ("current", "Sent in"),
        ("todo", "Taken in"),
    ]
    actions.dispatch(case, actor=desk.user("community_a"))
    worker = desk.user("grid_a")
    actions.sign_for(case, actor=worker)
    assert [s for s, _t in _steps(client.get(link).content.decode())] == [
        "done",
        "done",
        "current",
        "todo",
        "todo",
    ]
    actions.resolve(case, actor=worker, result="已填平第一次", photos_=[jpeg("first.jpg")])
    page = client.get(link).content.decode()
    assert "已填平第一次" in page and _steps(page)[3] == ("current", "Done")
    assert page.count("Photo of the result") == 1
    # Not fixed: reopened; the old result and its photo are no longer shown.
    client.post(f"{link}callback/", {"solved": "0", "rating": "2", "comment": "还是有坑"})
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.result == "已填平第一次"
    page = client.get(link).content.decode()
    assert "已填平第一次" not in page and "Photo of the result" not in page
    assert "Handled again, as you said it was not fixed." in page
    assert _steps(page)[1] == ("current", "Taken in")
    # Resolved again: only the new result and the new photo.
    actions.sign_for(case, actor=worker)
    actions.resolve(case, actor=worker, result="已重新铺设", photos_=[jpeg("second.jpg")])
    page = client.get(link).content.decode()
    assert "已重新铺设" in page and "已填平第一次" not in page
    assert page.count("Photo of the result") == 1
    assert CasePhoto.objects.filter(case=case, kind="result").count() == 2
    # Rated: the last step is done.
    client.post(f"{link}callback/", {"solved": "1", "rating": "5"})
    page = client.get(link).content.decode()
    assert [s for s, _t in _steps(page)] == ["done"] * 5
    assert "Rated" in page


def test_the_stepper_says_when_a_case_was_not_taken_on(db):
    case = Case(state=State.NOT_ACCEPTED)
    steps = common.stepper(case)
    assert "Not taken on" in steps["note"]
    assert Case(state=State.MERGED).state == "merged"
    assert "Joined with" in common.stepper(Case(state=State.MERGED))["note"]
    assert common.stepper(Case(state=State.ARCHIVED))["current"] == "Done"


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra, says",
    [
        ({"place": "999999"}, "Choose the place"),
        ({"place": "abc"}, "Enter a whole number"),
        ({"category": "999999"}, "valid choice"),
        ({"case_type": "emergency"}, "valid choice"),
        ({"description": ""}, "required"),
    ],
)
def test_bad_filings_are_clear_400s_and_nothing_is_saved(client, desk, extra, says):
    r = client.post(NEW, form_data(desk, **extra))
    assert r.status_code == 400 and says in r.content.decode()
    assert not Case.objects.exists()


def test_a_place_outside_the_grids_or_a_non_image_is_refused(client, desk):
    r = client.post(NEW, form_data(desk, place=desk.t.a.community.pk))  # a community, not a place
    assert r.status_code == 400 and "Choose the place" in r.content.decode()
    pdf = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not an image", "image/jpeg")
    r = client.post(NEW, {**form_data(desk), "photos": [pdf]})
    assert r.status_code == 400 and "not an image" in r.content.decode()
    # The tiles keep the choice made, the page says what was wrong.
    assert f'value="{desk.potholes.pk}" checked' in r.content.decode()
    assert not Case.objects.exists() and not CasePhoto.objects.exists()


def test_a_caller_filed_for_at_the_desk_gets_the_code_in_the_text_too(desk, sms):
    caller = "13700001234"  # nobody's account
    case = desk.file(actor=desk.user("community_a"), channel="hotline", reporter_phone=caller)
    assert case.reporter is None and case.tracking_code
    row = NotificationOutbox.objects.get(channel="sms", case=case)
    assert row.address == caller and intake.show_tracking_code(case.tracking_code) in row.body


def test_the_pages_read_a_fixed_number_of_rows(client, desk, django_assert_max_num_queries):
    resident = desk.user("resident_a")
    Resident.objects.filter(household=desk.t.a.households[0]).update(user=resident)
    case, _r = _filed(client, desk)
    with django_assert_max_num_queries(1):  # the code's case; rate limits are in the cache
        client.post(TRACK, {"code": case.tracking_code, "phone_tail": "5678"})
    client.force_login(resident)
    client.get(NEW)  # the category order is cached
    # The user, the categories, the resident's building, the labels of its place.
    with django_assert_max_num_queries(4):
        assert client.get(NEW).status_code == 200
