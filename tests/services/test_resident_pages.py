"""Residents on their phones: phone-code login, registration, filing (logged in or anonymous),
tracking links, my cases, callback and reopen, following a similar case, bad input."""

from __future__ import annotations

import io
import re
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from grids.models import Resident
from portal import accounts
from services import actions
from services.models import Case, CaseFollower, CasePhoto
from services.views.common import number_from_ref
from tests.territory import PASSWORD


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    accounts.LogSms.sent.clear()
    yield
    cache.clear()


def jpeg(name="p.jpg", size=(800, 600)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def form_data(desk, **extra):
    data = {
        "case_type": "help",
        "category": desk.potholes.pk,
        "description": "楼下路面塌了一个坑",
        "place": desk.t.a.buildings[0].pk,
        "reporter_phone": "13912345678",
    }
    data.update(extra)
    return data


def last_code() -> str:
    return re.search(r"\d{6}", accounts.LogSms.sent[-1][1]).group(0)


# --- login ---------------------------------------------------------------------------------------


def test_phone_code_login_creates_the_account_once(client, desk):
    r = client.post("/cases/login/", {"phone": "139 1234 5678", "step": "send"})
    assert r.status_code == 200
    assert accounts.LogSms.sent[-1][0] == "13912345678"
    code = last_code()
    r = client.post("/cases/login/", {"phone": "13912345678", "code": code, "step": "login"})
    assert r.status_code == 302 and r["Location"] == "/cases/"
    user = Case._meta.apps.get_model("portal", "User").objects.get(phone="13912345678")
    assert client.session["_auth_user_id"] == str(user.pk)
    # The code is used up.
    client.logout()
    r = client.post("/cases/login/", {"phone": "13912345678", "code": code, "step": "login"})
    assert r.status_code == 400 and "wrong or has expired" in r.content.decode()


def test_wrong_codes_burn_the_code_and_sending_is_rate_limited(client, desk):
    client.post("/cases/login/", {"phone": "13912345678", "step": "send"})
    code = last_code()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(accounts.MAX_TRIES - 1):
        r = client.post("/cases/login/", {"phone": "13912345678", "code": wrong, "step": "login"})
        assert r.status_code == 400
    # The fifth wrong code burns the code and, being the account's fifth failure, locks it
    # (portal.security: codes count like passwords).
    r = client.post("/cases/login/", {"phone": "13912345678", "code": wrong, "step": "login"})
    assert r.status_code == 429
    r = client.post("/cases/login/", {"phone": "13912345678", "code": code, "step": "login"})
    assert r.status_code == 429 and "_auth_user_id" not in client.session
    # A second code within the minute is refused; nothing is sent.
    sent = len(accounts.LogSms.sent)
    r = client.post("/cases/login/", {"phone": "13912345678", "step": "send"})
    assert r.status_code == 400 and "Wait a minute" in r.content.decode()
    assert len(accounts.LogSms.sent) == sent
    # The code is stored only as a digest.
    client.post("/cases/login/", {"phone": "13800000009", "step": "send"})
    stored = cache.get("linli:otp:13800000009")
    assert last_code() not in str(stored)


def test_bad_phone_number_is_a_field_error(client, desk):
    r = client.post("/cases/login/", {"phone": "12345", "step": "send"})
    assert r.status_code == 400 and "11-digit" in r.content.decode()
    assert not accounts.LogSms.sent


def test_register_as_resident_waits_for_verification(client, desk):
    client.post("/cases/login/", {"phone": "13912345678", "step": "send"})
    client.post("/cases/login/", {"phone": "13912345678", "code": last_code(), "step": "login"})
    hh = desk.t.a.households[1]
    r = client.post(
        "/cases/register/", {"name": "王阿姨", "place": desk.t.a.grids[1].pk, "room": hh.room}
    )
    assert r.status_code == 400 and "Choose your building" in r.content.decode()
    r = client.post("/cases/register/", {"name": "王阿姨", "place": hh.building_id, "room": "999"})
    assert r.status_code == 400 and "not on the community" in r.content.decode()
    r = client.post(
        "/cases/register/", {"name": "王阿姨", "place": hh.building_id, "room": hh.room}
    )
    assert r.status_code == 302
    resident = Resident.objects.get(user__phone="13912345678")
    assert resident.household == hh and resident.verified is False
    assert "Waiting for the community office" in client.get("/cases/register/").content.decode()


# --- filing ---------------------------------------------------------------------------------------


def test_anonymous_filing_with_a_photo_gives_a_tracking_link(client, desk):
    r = client.post("/cases/new/", {**form_data(desk), "photos": [jpeg(), jpeg("b.jpg")]})
    assert r.status_code == 302, r.content.decode()[:2000]
    case = Case.objects.get()
    assert case.reporter is None and case.reporter_phone == "13912345678"
    assert CasePhoto.objects.filter(case=case).count() == 2
    link = r["Location"]
    assert link.startswith("/cases/t/")
    page = client.get(link)
    assert page.status_code == 200 and case.number in page.content.decode()
    # A changed character in the token is a clear 400, not a 500 and not someone else's case.
    token = link.split("/")[3]
    bad = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    r = client.get(f"/cases/t/{bad}/")
    assert r.status_code == 400 and "not valid" in r.content.decode()


def test_anonymous_filing_needs_a_phone_and_a_place(client, desk):
    r = client.post("/cases/new/", form_data(desk, reporter_phone="", place=""))
    assert r.status_code == 400
    body = r.content.decode()
    assert "Leave a phone number" in body and "Choose the place" in body
    assert not Case.objects.exists()


def test_a_40_mb_photo_or_a_non_image_is_a_form_error_and_nothing_is_saved(client, desk):
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"0" * (40 * 1024 * 1024), "image/jpeg")
    r = client.post("/cases/new/", {**form_data(desk), "photos": [jpeg(), big]})
    assert r.status_code == 400 and "larger than" in r.content.decode()
    fake = SimpleUploadedFile("doc.jpg", b"%PDF-1.4 not an image", "image/jpeg")
    r = client.post("/cases/new/", {**form_data(desk), "photos": [fake]})
    assert r.status_code == 400 and "not an image" in r.content.decode()
    assert not Case.objects.exists() and not CasePhoto.objects.exists()


def test_anonymous_filing_is_rate_limited_per_phone(client, desk):
    for _ in range(5):
        assert client.post("/cases/new/", form_data(desk)).status_code == 302
    r = client.post("/cases/new/", form_data(desk))
    assert r.status_code == 400 and "Too many cases from this phone" in r.content.decode()
    assert Case.objects.count() == 5
    # Another phone from the same address still gets through (until the per-IP limit).
    assert (
        client.post("/cases/new/", form_data(desk, reporter_phone="13700000000")).status_code == 302
    )


def test_a_retried_submission_makes_one_case(client, desk):
    data = {**form_data(desk), "idempotency_key": "k" * 32}
    client.get("/cases/new/")  # the form page: the browser now holds its CSRF cookie
    first = client.post("/cases/new/", data)
    second = client.post("/cases/new/", data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Case.objects.count() == 1


# --- my cases, callback ---------------------------------------------------------------------------


def test_my_cases_list_has_a_fixed_query_count(client, desk, django_assert_max_num_queries):
    resident = desk.user("resident_a")
    client.force_login(resident)
    desk.file()
    with django_assert_max_num_queries(8):
        assert client.get("/cases/mine/").status_code == 200
    for _ in range(15):
        desk.file()
    with django_assert_max_num_queries(8):
        r = client.get("/cases/mine/")
    assert r.content.decode().count('class="tile"') == 16 + 0


def test_logged_in_resident_files_and_sees_the_case(client, desk):
    resident = desk.user("resident_a")
    client.force_login(resident)
    r = client.post("/cases/new/", form_data(desk, reporter_phone=""))
    case = Case.objects.get()
    assert r["Location"] == f"/cases/c/{case.number}/"
    assert case.reporter == resident
    assert case.number in client.get("/cases/mine/").content.decode()
    page = client.get(f"/cases/c/{case.number}/").content.decode()
    assert "Reported" in page


def test_other_residents_cases_are_404(client, desk):
    case = desk.file()
    client.force_login(desk.user("resident_b"))
    assert client.get(f"/cases/c/{case.number}/").status_code == 404
    assert case.number not in client.get("/cases/mine/").content.decode()


def _resolved(desk):
    case = desk.dispatched()
    worker = desk.user("grid_a")
    actions.sign_for(case, actor=worker)
    actions.resolve(case, actor=worker, result="已填平")
    case.refresh_from_db()
    return case


def test_callback_satisfied_closes_and_unsolved_reopens(client, desk):
    resident = desk.user("resident_a")
    client.force_login(resident)
    case = _resolved(desk)
    page = client.get(f"/cases/c/{case.number}/").content.decode()
    assert "Is it fixed?" in page and "Done" in page
    r = client.post(f"/cases/c/{case.number}/callback/", {"solved": "1"})
    assert r.status_code == 400  # the rating is missing
    case.refresh_from_db()
    assert case.state == "resolved"
    r = client.post(
        f"/cases/c/{case.number}/callback/", {"solved": "0", "rating": "2", "comment": "没修好"}
    )
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.state == "dispatched" and case.redo_count == 1
    actions.sign_for(case, actor=desk.user("grid_a"))
    actions.resolve(case, actor=desk.user("grid_a"), result="重新填平")
    r = client.post(f"/cases/c/{case.number}/callback/", {"solved": "1", "rating": "5"})
    case.refresh_from_db()
    assert case.state == "called_back" and case.rating == 5


def test_someone_else_cannot_answer_the_callback(client, desk):
    case = _resolved(desk)
    client.force_login(desk.user("resident_b"))
    r = client.post(f"/cases/c/{case.number}/callback/", {"solved": "1", "rating": "5"})
    assert r.status_code == 404
    case.refresh_from_db()
    assert case.state == "resolved"


def test_similar_open_cases_and_follow_instead(client, desk):
    case = desk.dispatched()
    place = desk.t.a.buildings[0]
    r = client.get("/cases/similar/", {"category": desk.potholes.pk, "place": place.pk})
    refs = [row["ref"] for row in r.json()["results"]]
    assert [number_from_ref(ref) for ref in refs] == [case.number]
    complaint = desk.dispatched(case_type="complaint")
    r = client.get("/cases/similar/", {"category": desk.potholes.pk, "place": place.pk})
    # Complaints may name people: never offered.
    assert complaint.number not in [number_from_ref(row["ref"]) for row in r.json()["results"]]
    other_side = client.get(
        "/cases/similar/", {"category": desk.potholes.pk, "place": desk.t.b.buildings[0].pk}
    )
    assert other_side.json()["results"] == []
    follower = desk.user("resident_b")
    client.force_login(follower)
    # A guessed number, a reference not handed out, or a case that is not similar to what is
    # being filed: 404.
    right = {"category": desk.potholes.pk, "place": place.pk}
    assert client.post(f"/cases/c/{case.number}/follow/", right).status_code == 404
    assert client.post(f"/cases/c/{quote(refs[0])}/follow/").status_code == 404
    wrong = {"category": desk.noise.pk, "place": place.pk}
    assert client.post(f"/cases/c/{quote(refs[0])}/follow/", wrong).status_code == 404
    r = client.post(f"/cases/c/{quote(refs[0])}/follow/", right)
    assert r.status_code == 302
    assert CaseFollower.objects.filter(case=case, user=follower).exists()
    assert case.number in client.get("/cases/mine/").content.decode()


def test_place_picker_and_location(client, desk):
    communities = client.get("/cases/places/").json()["results"]
    assert {c["name"] for c in communities} >= {"甲社区", "乙社区"}
    a = desk.t.a
    grid = a.grids[0]
    grid.lat, grid.lng = 24.5, 118.1
    grid.save()
    r = client.get("/cases/places/locate/", {"lat": "24.5001", "lng": "118.1001"})
    assert r.json()["id"] == grid.pk
    assert client.get("/cases/places/locate/", {"lat": "x"}).status_code == 400
    assert client.get("/cases/places/", {"parent": "abc"}).status_code == 400


def test_password_login_still_works(client, desk):
    r = client.post("/accounts/login/", {"username": "resident_a", "password": PASSWORD})
    assert r.status_code == 302


def test_a_deactivated_category_is_refused_at_once(client, desk):
    desk.file()  # the category is now memoised by intake
    desk.potholes.is_active = False
    desk.potholes.save()  # the signal clears this process's memo
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        desk.file()
    assert "category" in exc.value.message_dict


def test_codes_go_through_the_sms_gateway_when_configured(client, desk, settings):
    from tests.services.city_fake import FakeCity

    with FakeCity(key="sms-key") as gateway:
        settings.LINLI = {**settings.LINLI, "SMS_URL": gateway.url, "SMS_KEY": "sms-key"}
        r = client.post("/cases/login/", {"phone": "13912345678", "step": "send"})
        assert r.status_code == 200
        assert gateway.delivered[0]["to"] == "13912345678"
        code = re.search(r"\d{6}", gateway.delivered[0]["text"]).group(0)
    assert not accounts.LogSms.sent
    r = client.post("/cases/login/", {"phone": "13912345678", "code": code, "step": "login"})
    assert r.status_code == 302


def test_a_failing_sms_gateway_is_a_clear_error(client, desk, settings):
    from tests.services.city_fake import FakeCity

    with FakeCity(key="other") as gateway:  # answers 401
        settings.LINLI = {**settings.LINLI, "SMS_URL": gateway.url, "SMS_KEY": "sms-key"}
        r = client.post("/cases/login/", {"phone": "13912345678", "step": "send"})
    assert r.status_code == 400 and "could not be sent" in r.content.decode()


def test_anonymous_reporter_answers_the_callback_through_the_tracking_link(client, desk):
    r = client.post("/cases/new/", form_data(desk))
    link = r["Location"]
    token = link.split("/")[3]
    case = Case.objects.get()
    actions.dispatch(case, actor=desk.user("community_a"))
    worker = desk.user("grid_a")
    actions.sign_for(case, actor=worker)
    actions.resolve(case, actor=worker, result="已填平")

    page = client.get(link).content.decode()
    assert f"/cases/t/{token}/callback/" in page and "Is it fixed?" in page
    # A damaged link is a clear 400 and changes nothing.
    bad = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    assert (
        client.post(f"/cases/t/{bad}/callback/", {"solved": "1", "rating": "5"}).status_code == 400
    )
    r = client.post(f"/cases/t/{token}/callback/", {"solved": "1"})
    assert r.status_code == 400  # the rating is missing
    r = client.post(f"/cases/t/{token}/callback/", {"solved": "1", "rating": "5", "comment": "好"})
    assert r.status_code == 302 and r["Location"] == link
    case.refresh_from_db()
    assert case.state == "called_back" and case.rating == 5 and case.callback_solved is True
    assert case.callbacks.get().by is None
