"""Keying in a case at the desk (/desk/new/): who may use it, forged fields refused on the
form, the caller looked up by phone (masked, reveals logged), the place found in one box or on
the map within the scope, duplicates with follow and merge, 即时办结, the caller becoming the
reporter (now, or at their phone login), the SMS with the number, idempotent and stale
submissions, bad input, and the queries each page takes. The rule itself (every role, the
API): test_intake_rights.py; the form with its script in Chromium: test_desk_intake_browser.py."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from grids.models import AccessLog
from notifications import notify, tasks
from notifications.models import NotificationOutbox
from portal import accounts
from portal.models import IdempotencyKey
from services import actions
from services import tasks as services_tasks
from services.actions import Intake
from services.models import Case, CaseEvent, CaseFollower

NEW = "/desk/new/"
CALLER = "/desk/new/caller/"
PLACES = "/desk/new/places/"
DUPLICATES = "/desk/new/duplicates/"
CASES_API = "/api/services/cases/"
CALLER_PHONE = "13700001234"  # nobody's, at first


@pytest.fixture(autouse=True)
def _clean():
    accounts.LogSms.sent.clear()


def login_by_code(client, phone: str, monkeypatch):
    """The resident's phone-code login (its rate limits are not what is tested here, and the
    shared cache is not cleared under other tests running beside these)."""
    monkeypatch.setattr(accounts.ratelimit, "hit", lambda *args: True)
    client.post("/cases/login/", {"phone": phone, "step": "send"})
    code = re.search(r"\d{6}", accounts.LogSms.sent[-1][1]).group(0)
    return client.post("/cases/login/", {"phone": phone, "code": code, "step": "login"})


@pytest.fixture
def sms():
    """The SMS channel replaced by the fake (the real one posts to LINLI["SMS_URL"])."""
    fake = notify.FakeChannel("sms")
    real = notify.channel("sms")
    notify.register(fake)
    yield fake
    notify.register(real)


@pytest.fixture
def staff(client, desk):
    client.force_login(desk.user("community_a"))
    return client


def form_token(client) -> dict:
    """The hidden fields of a freshly opened form (token and idempotency key)."""
    page = client.get(NEW).content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    return {"form_token": token, "idempotency_key": key}


def desk_form(client, desk, **extra) -> dict:
    data = {
        **form_token(client),
        "channel": "hotline",
        "phone": CALLER_PHONE,
        "reporter_name": "王阿姨",
        "place": desk.t.a.buildings[0].pk,
        "case_type": "help",
        "category": desk.potholes.pk,
        "description": "楼下路灯坏了三天",
        "urgency": "normal",
        "do": "save",
    }
    data.update(extra)
    return data


def errors_in(response) -> str:
    return " ".join(re.findall(r'class="error"[^>]*>([^<]+)<', response.content.decode()))


def test_the_desk_form_refuses_forged_fields_and_saves_nothing(staff, desk):
    for forged, field in (
        ({"channel": "grid_worker"}, "grid worker patrol"),
        ({"channel": "resident_web"}, "resident online"),
        ({"raised_before_complaint": "on"}, "未诉先办"),
        ({"handled_on_spot": "on"}, "on the spot"),
    ):
        r = staff.post(NEW, desk_form(staff, desk, **forged))
        assert r.status_code == 400, forged
        assert field in errors_in(r), (forged, errors_in(r))
    assert not Case.objects.exists()


@pytest.mark.parametrize("role", ["resident_a", "unit_a", "grid_a", "dept"])
def test_the_desk_is_not_for_residents_units_grid_workers_or_departments(client, desk, role):
    client.force_login(desk.user(role))
    for url in (NEW, f"{CALLER}?phone={CALLER_PHONE}", f"{PLACES}?q=甲", DUPLICATES):
        assert client.get(url).status_code == 404, (role, url)
    assert client.post(NEW, {"do": "save"}).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, desk):
    r = client.get(NEW)
    assert r.status_code == 302 and "login" in r["Location"]


# --- keying in -----------------------------------------------------------------------------------


def test_a_hotline_call_for_a_new_number_is_saved_and_confirmed(staff, desk, sms):
    r = staff.post(NEW, desk_form(staff, desk))
    assert r.status_code == 302, errors_in(r)
    case = Case.objects.get()
    assert r["Location"] == f"{NEW}?done={case.number}"
    assert (case.channel, case.reporter_id, case.reporter_phone) == ("hotline", None, CALLER_PHONE)
    assert case.received_by == desk.user("community_a") and case.state == "submitted"
    page = staff.get(r["Location"])
    text = page.content.decode()
    assert page.status_code == 200 and case.number in text
    assert "/cases/t/" in text  # the tracking link
    assert "137****1234" in text and "Queued" in text  # the SMS, masked number
    assert reverse("desk:case", args=[case.number]) in text and f'href="{NEW}"' in text
    assert "No account yet" in text


def test_a_walk_in_for_a_resident_with_an_account_makes_them_the_reporter(staff, desk, sms):
    resident = desk.user("resident_a")
    r = staff.post(NEW, desk_form(staff, desk, channel="window", phone=resident.phone))
    assert r.status_code == 302, errors_in(r)
    case = Case.objects.get()
    assert case.channel == "window" and case.reporter == resident
    # They see it at once, with its notices.
    staff.force_login(resident)
    assert case.number in staff.get("/cases/mine/").content.decode()
    assert staff.get(f"/cases/c/{case.number}/").status_code == 200


def test_the_number_is_texted_once_even_when_the_request_is_sent_twice(staff, desk, sms):
    data = desk_form(staff, desk, phone="137-0000 1234")  # typed with a dash and a space
    first = staff.post(NEW, data)
    again = staff.post(NEW, data)  # a double click, or a browser resending the request
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    case = Case.objects.get()
    rows = NotificationOutbox.objects.filter(channel="sms", case=case)
    assert [(r.address, r.kind, r.recipient_id) for r in rows] == [
        (CALLER_PHONE, "case_received", None)
    ]
    tasks.deliver_notifications([r.pk for r in rows])
    assert [(a, t) for _u, a, t in sms.sent] == [
        (CALLER_PHONE, f"Your case {case.number} is taken in")
    ]
    assert "Sent to 137****1234" in staff.get(first["Location"]).content.decode()
    assert IdempotencyKey.objects.count() == 1  # one key (bound to the operator and the URL)


def test_without_an_sms_gateway_nothing_is_queued_and_the_page_says_so(staff, desk):
    r = staff.post(NEW, desk_form(staff, desk))
    assert r.status_code == 302
    assert not NotificationOutbox.objects.filter(channel="sms").exists()
    assert "None sent" in staff.get(r["Location"]).content.decode()


def test_a_landline_is_kept_but_not_texted(staff, desk, sms):
    r = staff.post(NEW, desk_form(staff, desk, phone="0595-2266 8899"))
    assert r.status_code == 302
    assert Case.objects.get().reporter_phone == "059522668899"
    assert not NotificationOutbox.objects.exists()


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"phone": "12345"}, "mobile number"),
        ({"phone": "abcdefghijk"}, "mobile number"),
        ({"description": ""}, "required"),
        ({"category": "x"}, "valid choice"),
        ({"place": ""}, "Find the place"),
        ({"place": "999999"}, "grid, estate or building"),
        ({"urgency": "apocalyptic"}, "valid choice"),
        ({"lat": "north"}, "number"),
    ],
)
def test_bad_input_is_a_clear_message_and_nothing_is_saved(staff, desk, bad, field):
    r = staff.post(NEW, desk_form(staff, desk, **bad))
    assert r.status_code == 400
    assert field in r.content.decode(), (bad, errors_in(r))
    assert not Case.objects.exists()


def test_a_place_outside_the_scope_is_refused(staff, desk):
    r = staff.post(NEW, desk_form(staff, desk, place=desk.t.b.buildings[0].pk))
    assert r.status_code == 400 and "outside your area" in errors_in(r)
    assert not Case.objects.exists()


def test_a_stale_form_is_shown_again_to_be_checked(staff, desk, settings):
    for token in ("", "forged", _token_of(desk.user("community_b"))):
        r = staff.post(NEW, desk_form(staff, desk, form_token=token))
        assert r.status_code == 409 and "opened more than 12 hours ago" in r.content.decode()
        # What was typed is still there, with a fresh token to save it.
        assert "楼下路灯坏了三天" in r.content.decode()
    assert not Case.objects.exists()


def _token_of(user) -> str:
    from services.desk.intake_forms import form_token

    return form_token(user)


def test_an_old_form_is_stale(staff, desk, monkeypatch):
    from services.desk import intake_forms

    data = desk_form(staff, desk)
    monkeypatch.setattr(intake_forms, "FORM_MAX_AGE", -1)
    assert staff.post(NEW, data).status_code == 409


# --- 即时办结 ------------------------------------------------------------------------------------


def test_a_consultation_answered_on_the_phone_is_closed_at_once(staff, desk, sms):
    answer = "办理居住证请带身份证和租房合同到社区服务中心窗口。"
    data = desk_form(
        staff, desk, case_type="consultation", answer_now="on", answer=answer, phone=CALLER_PHONE
    )
    r = staff.post(NEW, data)
    assert r.status_code == 302, errors_in(r)
    case = Case.objects.get()
    assert case.state == "resolved" and case.result == answer and case.resolved_at
    assert case.level == "" and case.dispatched_at is None  # never dispatched
    steps = list(CaseEvent.objects.filter(case=case).values_list("action", "note"))
    assert steps == [("submit", ""), ("resolve", answer)]
    assert answer in staff.get(r["Location"]).content.decode()
    # A dispatch run afterwards leaves it alone.
    services_tasks.dispatch_pending()
    case.refresh_from_db()
    assert case.state == "resolved"


def test_only_a_consultation_with_an_answer_closes_at_once(staff, desk):
    r = staff.post(NEW, desk_form(staff, desk, answer_now="on", answer="已答复"))
    assert r.status_code == 400 and "Only a consultation" in errors_in(r)
    r = staff.post(NEW, desk_form(staff, desk, case_type="consultation", answer_now="on"))
    assert r.status_code == 400 and "Write the answer given" in errors_in(r)
    with pytest.raises(actions.intake.ValidationError) as exc:
        actions.answer_at_once(
            Intake(
                case_type="consultation",
                category=desk.potholes,
                description="问",
                place=desk.t.a.buildings[0],
                reporter_phone=CALLER_PHONE,
            ),
            actor=desk.user("grid_a"),
            answer="答",
        )
    assert "answer" in exc.value.message_dict
    assert not Case.objects.exists()


# --- the caller -----------------------------------------------------------------------------------


def _resident(desk, side="a", index=0):
    side = desk.t.a if side == "a" else desk.t.b
    return side.households[index].residents.get()


def test_the_callers_household_and_earlier_cases_come_up_masked(staff, desk):
    resident = _resident(desk)
    earlier = desk.file(
        actor=desk.user("community_a"), channel="hotline", reporter_phone=resident.phone
    )
    elsewhere = desk.file(
        actor=desk.user("community_b"),
        channel="hotline",
        reporter_phone=resident.phone,
        place=desk.t.b.buildings[0],
    )
    r = staff.get(CALLER, {"phone": resident.phone})
    text = r.content.decode()
    assert r.status_code == 200
    assert resident.name in text and desk.t.a.buildings[0].name in text
    assert resident.phone not in text  # masked: the full number is a logged reveal away
    assert resident.phone[:3] + "****" + resident.phone[-4:] in text
    assert earlier.number in text and elsewhere.number not in text  # the other side's
    body = staff.get(CALLER, {"phone": resident.phone, "format": "json"}).json()
    assert [c["number"] for c in body["cases"]] == [earlier.number]
    member = body["households"][0]["members"][0]
    assert member["name"] == resident.name and member["caller"] and "****" in member["phone"]
    assert body["has_account"] is False


def test_the_other_community_sees_nothing_of_the_caller(client, desk):
    resident = _resident(desk)
    desk.file(actor=desk.user("community_a"), channel="hotline", reporter_phone=resident.phone)
    client.force_login(desk.user("community_b"))
    body = client.get(CALLER, {"phone": resident.phone, "format": "json"}).json()
    assert body["households"] == [] and body["cases"] == []
    assert resident.name not in client.get(CALLER, {"phone": resident.phone}).content.decode()
    # Nor can it reveal their number.
    r = client.post(CALLER, {"resident": resident.pk, "reason": "核实"})
    assert r.status_code == 404
    assert not AccessLog.objects.exists()


def test_a_street_officer_sees_both_communities_callers(client, desk):
    client.force_login(desk.user("street"))
    for side in ("a", "b"):
        resident = _resident(desk, side)
        assert resident.name in client.get(CALLER, {"phone": resident.phone}).content.decode()


def test_revealing_a_number_needs_a_reason_and_is_logged(staff, desk):
    resident = _resident(desk)
    r = staff.post(
        CALLER, {"resident": resident.pk, "field": "phone"}, HTTP_ACCEPT="application/json"
    )
    assert r.status_code == 400 and "reason" in r.json()["errors"]
    r = staff.post(
        CALLER,
        {"resident": resident.pk, "field": "phone", "reason": "回拨核实"},
        HTTP_ACCEPT="application/json",
    )
    assert r.status_code == 200 and r.json()["value"] == resident.phone
    log = AccessLog.objects.get()
    assert (log.resident_id, log.viewer_id, log.reason) == (
        resident.pk,
        desk.user("community_a").pk,
        "回拨核实",
    )
    # Without JavaScript the card's button submits the form here: a page with the number.
    r = staff.post(CALLER, {"reveal": resident.pk, f"reason-{resident.pk}": "回拨"})
    assert r.status_code == 200 and resident.phone in r.content.decode()
    assert AccessLog.objects.count() == 2


def test_a_number_that_matches_nothing_is_said_so_and_the_case_is_filed(staff, desk):
    text = staff.get(CALLER, {"phone": CALLER_PHONE}).content.decode()
    assert "No resident or case with this number" in text and "No account" in text
    r = staff.post(NEW, {**desk_form(staff, desk), "do": "lookup"})
    assert r.status_code == 200 and "No resident or case with this number" in r.content.decode()
    assert not Case.objects.exists()  # a lookup saves nothing
    assert staff.post(NEW, desk_form(staff, desk)).status_code == 302


@pytest.mark.parametrize("phone", ["", "abc", "12", "1" * 40])
def test_a_bad_phone_in_the_lookup_is_a_400_not_a_500(staff, desk, phone):
    r = staff.get(CALLER, {"phone": phone})
    assert r.status_code == 400 and 'class="error"' in r.content.decode()
    r = staff.get(CALLER, {"phone": phone, "format": "json"})
    assert r.status_code == 400 and "phone" in r.json()["errors"]


# --- the place -------------------------------------------------------------------------------------


def test_the_place_is_found_in_one_box_within_the_scope(staff, desk):
    a0, b0 = desk.t.a.buildings[0], desk.t.b.buildings[0]
    body = staff.get(PLACES, {"q": a0.name}).json()
    assert body["results"][0]["id"] == a0.pk and body["message"] == ""
    assert body["results"][0]["label"] == f"甲社区 › 甲小区1 › {a0.name}"
    # Estate and building typed together, with or without a space.
    for q in ("甲小区1 1号楼", "甲小区11号楼", "小区11号楼"):
        ids = [h["id"] for h in staff.get(PLACES, {"q": q}).json()["results"]]
        assert ids[0] == a0.pk, (q, ids)
    # The other community's building: not listed, and said to be outside the area.
    body = staff.get(PLACES, {"q": b0.name}).json()
    assert body["results"] == [] and "outside your area" in body["message"]
    body = staff.get(PLACES, {"q": "火星基地"}).json()
    assert body["results"] == [] and "No place called" in body["message"]
    # Hostile input is no place name, and no server error either: wildcards match nothing,
    # a control character is refused by the one input rule (portal.text) with a 400.
    for q in ("%", "_" * 200):
        assert staff.get(PLACES, {"q": q}).status_code == 200
    assert staff.get(PLACES, {"q": "甲\x00小区"}).status_code == 400


def test_the_place_search_works_without_javascript(staff, desk):
    a0 = desk.t.a.buildings[0]
    data = {**desk_form(staff, desk, place=""), "do": "find", "q": "1号楼"}
    r = staff.post(NEW, data)
    text = r.content.decode()
    assert r.status_code == 200 and f'name="place" value="{a0.pk}"' in text
    assert f'value="{desk.t.b.buildings[0].pk}"' not in text
    assert "楼下路灯坏了三天" in text and not Case.objects.exists()
    r = staff.post(NEW, {**data, "do": "find", "q": desk.t.b.buildings[0].name})
    assert "outside your area" in r.content.decode()


def test_a_point_on_the_map_picks_the_nearest_building_in_scope(staff, desk):
    from grids import actions as grid_actions

    a0, b0 = desk.t.a.buildings[0], desk.t.b.buildings[0]
    for area, lat in ((a0, 24.900), (b0, 24.905)):
        grid_actions.update_area(area, actor=desk.user("superuser"), lat=lat, lng=118.600)
    body = staff.get(PLACES, {"lat": "24.9001", "lng": "118.6001"}).json()
    assert body["results"][0]["id"] == a0.pk and body["message"] == ""
    body = staff.get(PLACES, {"lat": "24.9050", "lng": "118.6000"}).json()
    assert body["results"][0]["id"] == a0.pk and "Outside your area" in body["message"]
    client_b = staff
    client_b.force_login(desk.user("community_b"))
    body = client_b.get(PLACES, {"lat": "24.9001", "lng": "118.6001"}).json()
    assert body["results"][0]["id"] == b0.pk and "Outside your area" in body["message"]
    # Far from any known building: the point is kept, the place still to be found.
    body = staff.get(PLACES, {"lat": "30.0", "lng": "120.0"}).json()
    assert body["results"] == [] and "No building is known" in body["message"]
    for bad in ({"lat": "x", "lng": "1"}, {"lat": "91", "lng": "1"}, {"lat": "1"}):
        assert staff.get(PLACES, bad).status_code == 400


def test_a_picked_point_is_stored_with_the_case(staff, desk):
    r = staff.post(NEW, desk_form(staff, desk, lat="24.90012", lng="118.60034"))
    assert r.status_code == 302
    assert (Case.objects.get().lat, Case.objects.get().lng) == (24.90012, 118.60034)


# --- duplicates, follow, merge ---------------------------------------------------------------------


def test_likely_duplicates_are_shown_before_saving(staff, desk):
    open_case = desk.file(actor=desk.user("community_a"), channel="hotline")
    closed = desk.file(actor=desk.user("community_a"), channel="hotline")
    actions.not_accepted(closed, actor=desk.user("community_a"), reason="重复")
    other_category = desk.file(
        actor=desk.user("community_a"), channel="hotline", category=desk.noise
    )
    r = staff.get(DUPLICATES, {"place": desk.t.a.buildings[0].pk, "category": desk.potholes.pk})
    text = r.content.decode()
    assert open_case.number in text
    assert closed.number not in text and other_category.number not in text
    data = desk_form(staff, desk)
    r = staff.post(NEW, data)
    assert r.status_code == 409 and open_case.number in r.content.decode()
    assert Case.objects.count() == 3  # nothing new yet
    # Seen: saving as new goes through (the page carried the numbers it showed).
    seen = re.search(r'name="seen_duplicates" value="([^"]*)"', r.content.decode()).group(1)
    assert seen == open_case.number
    r = staff.post(NEW, {**data, **form_token(staff), "seen_duplicates": seen})
    assert r.status_code == 302 and Case.objects.count() == 4


def test_the_caller_follows_an_open_case_instead_of_a_new_one(staff, desk, sms):
    resident = desk.user("resident_a")
    open_case = desk.file(actor=desk.user("community_a"), channel="hotline")
    data = desk_form(staff, desk, phone=resident.phone, do=f"follow:{open_case.number}")
    r = staff.post(NEW, data)
    assert r.status_code == 302 and r["Location"].endswith(f"done={open_case.number}&followed=1")
    assert Case.objects.count() == 1
    assert CaseFollower.objects.filter(case=open_case, user=resident).exists()
    sms_row = NotificationOutbox.objects.get(channel="sms")
    assert (sms_row.address, sms_row.kind) == (resident.phone, "case_followed")
    assert "follows an open case" in staff.get(r["Location"]).content.decode()


def test_a_caller_without_an_account_cannot_follow_but_can_merge(staff, desk, sms):
    open_case = desk.file(actor=desk.user("community_a"), channel="hotline")
    r = staff.post(NEW, desk_form(staff, desk, do=f"follow:{open_case.number}"))
    assert r.status_code == 400 and "save and merge it instead" in errors_in(r)
    r = staff.post(NEW, desk_form(staff, desk, do=f"merge:{open_case.number}"))
    assert r.status_code == 302, errors_in(r)
    repeat = Case.objects.exclude(pk=open_case.pk).get()
    assert repeat.state == "merged" and repeat.master == open_case
    assert CaseEvent.objects.filter(case=open_case, action="merge").exists()
    assert open_case.number in staff.get(r["Location"]).content.decode()


def test_merging_into_a_case_closed_meanwhile_is_refused(staff, desk):
    open_case = desk.file(actor=desk.user("community_a"), channel="hotline")
    actions.not_accepted(open_case, actor=desk.user("community_a"), reason="不属实")
    r = staff.post(NEW, desk_form(staff, desk, do=f"merge:{open_case.number}"))
    assert r.status_code == 400 and "no longer open here" in errors_in(r)
    assert Case.objects.count() == 1


def test_duplicates_of_another_area_or_with_bad_input_are_refused_cleanly(staff, desk):
    r = staff.get(DUPLICATES, {"place": desk.t.b.buildings[0].pk, "category": desk.potholes.pk})
    assert r.status_code == 400 and "place" in r.json()["errors"]
    for params in ({"place": "x"}, {}, {"place": desk.t.a.buildings[0].pk, "category": "x"}):
        assert staff.get(DUPLICATES, params).status_code in (200, 400)


# --- the resident's phone login ---------------------------------------------------------------------


def test_a_case_filed_for_a_new_number_appears_at_that_phones_login(client, desk, sms, monkeypatch):
    client.force_login(desk.user("community_a"))
    assert client.post(NEW, desk_form(client, desk)).status_code == 302
    case = Case.objects.get()
    assert case.reporter is None
    client.logout()
    r = login_by_code(client, CALLER_PHONE, monkeypatch)
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.reporter is not None and case.reporter.phone == CALLER_PHONE  # claimed
    mine = client.get("/cases/mine/").content.decode()
    assert case.number in mine and f"/cases/c/{case.number}/" in mine
    assert client.get(f"/cases/c/{case.number}/").status_code == 200


def test_a_later_anonymous_report_for_the_proven_phone_is_listed_with_its_tracking_link(
    client, desk, monkeypatch
):
    assert login_by_code(client, CALLER_PHONE, monkeypatch).status_code == 302
    later = actions.submit_case(  # anonymous, after the login
        Intake(
            case_type="help",
            category=desk.potholes,
            description="路灯坏了",
            place=desk.t.a.buildings[0],
            reporter_phone=CALLER_PHONE,
        )
    )
    assert later.reporter is None
    mine = client.get("/cases/mine/").content.decode()
    assert later.number in mine and "/cases/t/" in mine
    # A password login has proven nothing: the number's unclaimed cases are not listed.
    user = Case.objects.get(pk=later.pk).reporter or accounts.user_for_phone(CALLER_PHONE)
    client.logout()
    client.force_login(user)
    assert later.number not in client.get("/cases/mine/").content.decode()


def test_a_grid_workers_own_finds_are_not_claimed_by_their_phone(desk):
    worker = desk.user("grid_a")
    worker.phone = "13600000001"
    worker.save()
    case = desk.file(actor=worker, channel="grid_worker", reporter_phone=worker.phone)
    assert case.reporter is None
    assert actions.claim_cases_by_phone(worker, worker.phone) == 0


# --- queries -------------------------------------------------------------------------------------


# Each count may be up to two more when tests running beside these touch the shared cache
# meanwhile: the scope (grids.scope) is read afresh after another test changed roles, and the
# session (cached_db) from the database after another cleared the cache.
SHARED_CACHE_REREADS = 2


def test_the_form_page_takes_a_fixed_number_of_queries(staff, desk, django_assert_max_num_queries):
    staff.get(NEW)  # warm the shared caches (scope, category order)
    # The user, the categories.
    with django_assert_max_num_queries(2 + SHARED_CACHE_REREADS):
        assert staff.get(NEW).status_code == 200


def test_the_caller_lookup_takes_a_fixed_number_of_queries(
    staff, desk, django_assert_max_num_queries
):
    resident = _resident(desk)
    staff.get(CALLER, {"phone": resident.phone})
    for cases in (1, 6):
        while Case.objects.count() < cases:
            desk.file(
                actor=desk.user("community_a"), channel="hotline", reporter_phone=resident.phone
            )
        # The user; the residents with the number, their buildings' names, their households'
        # members; the account with the number; the cases (and the scope's own-cases check).
        with django_assert_max_num_queries(7 + SHARED_CACHE_REREADS):
            assert staff.get(CALLER, {"phone": resident.phone}).status_code == 200


def test_the_place_search_takes_a_fixed_number_of_queries(
    staff, desk, django_assert_max_num_queries
):
    staff.get(PLACES, {"q": "1号楼"})
    # The user; names holding the query; containers the query starts with; what follows
    # inside them; the names above the hits.
    with django_assert_max_num_queries(5 + SHARED_CACHE_REREADS):
        assert staff.get(PLACES, {"q": "甲小区11号楼"}).json()["results"]
