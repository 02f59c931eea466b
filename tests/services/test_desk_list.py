"""The 12345 desk: its counts open lists of exactly that many cases, the list's filters,
word search, sort, pages, bulk dispatch, the Excel export, bad parameters, the query counts,
and where each role lands after logging in."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from services import actions, routing
from services.actions.core import _is_dispatcher
from services.desk import options
from services.desk.counts import counts
from services.desk.filters import ACTIVE_STATES, RULES, TILES, Viewer, dispatcher_q, unit_q
from services.models import Case
from tests.territory import PASSWORD

LIST = "desk:cases"


@pytest.fixture(autouse=True)
def _fresh_categories():
    options.clear()
    yield
    options.clear()


def login(client, desk, key):
    client.force_login(desk.user(key))
    return client


def listed(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return [row["number"] for row in response.context["page_cases"]]


def numbers(client, **params) -> set[str]:
    return set(listed(client.get(reverse(LIST), params)))


def make_day(desk):
    """One case in every situation a tile counts, on side a, and a few on side b."""
    t = desk.t
    grid, community, street = (desk.user(k) for k in ("grid_a", "community_a", "street"))
    c = {}
    c["new"] = desk.file()
    c["hotline"] = desk.file(
        actor=desk.user("community_a"), channel="hotline", reporter_phone="13811112222"
    )
    c["dispatched"] = desk.dispatched()
    c["signed"] = desk.dispatched(case_type="complaint", category=desk.noise)
    actions.sign_for(c["signed"], actor=grid)
    c["yellow"] = desk.dispatched()
    c["red"] = desk.dispatched()
    c["overdue"] = desk.dispatched()
    c["today"] = desk.dispatched()
    c["returned"] = desk.dispatched()
    actions.return_case(c["returned"], actor=grid, reason="不属于本网格")
    c["extension"] = desk.dispatched()
    actions.sign_for(c["extension"], actor=grid)
    actions.request_extension(c["extension"], actor=grid, working_days=2, reason="等材料")
    c["resolved"] = desk.dispatched()
    actions.sign_for(c["resolved"], actor=grid)
    actions.resolve(c["resolved"], actor=grid, result="已修好")
    c["water"] = desk.dispatched(category=desk.water)  # to 住建局, a department
    c["street_unit"] = desk.dispatched(place=t.a.buildings[1])
    actions.transfer(c["street_unit"], actor=street, area=t.street)
    c["other_side"] = desk.file(actor=desk.user("resident_b"), place=t.b.buildings[0])
    c["other_red"] = desk.dispatched(actor=desk.user("resident_b"), place=t.b.buildings[0])
    now = timezone.now()
    Case.objects.filter(pk=c["yellow"].pk).update(card_level=1)
    Case.objects.filter(pk__in=[c["red"].pk, c["other_red"].pk]).update(card_level=2)
    Case.objects.filter(pk=c["overdue"].pk).update(resolve_due=now - timedelta(hours=1))
    end_of_day = timezone.localtime(now).replace(hour=23, minute=59, second=0)
    if end_of_day <= now + timedelta(minutes=1):  # a run just before midnight
        end_of_day = now + timedelta(seconds=30)
    Case.objects.filter(pk=c["today"].pk).update(resolve_due=end_of_day)
    for case in c.values():
        case.refresh_from_db()
    assert community  # the office that dispatches on side a
    return c


ROLES = ("superuser", "district", "street", "community_a", "grid_a", "dept")


@pytest.mark.parametrize("key", ROLES)
def test_every_count_is_the_length_of_the_list_it_opens(client, desk, key):
    make_day(desk)
    user = desk.user(key)
    login(client, desk, key)
    tiles = counts(user).tiles
    assert tiles, key
    visible = Case.objects.visible_to(user)
    viewer = Viewer.of(user)
    for tile in tiles:
        expected = set(visible.filter(RULES[tile.key].q(viewer)).values_list("number", flat=True))
        assert tile.count == len(expected), (key, tile.key)
        shown = set(listed(client.get(tile.url + "&per=200")))
        assert shown == expected, (key, tile.key)


def test_the_tiles_count_what_they_say(client, desk):
    c = make_day(desk)
    by_key = {t.key: t.count for t in counts(desk.user("community_a")).tiles}
    assert by_key == {
        "dispatch": 2,  # new, hotline
        "sign": 0,  # the grid's cases are with the grid worker; the street's with the street
        "today": 1,
        "yellow": 1,
        "red": 2,  # red card, and overdue
        "returned": 1,
        "extensions": 1,
        "callbacks": 1,
        "city": 1,  # the hotline case, not yet closed
    }
    assert {t.key: t.count for t in counts(desk.user("grid_a")).tiles}["sign"] == 5
    assert {t.key: t.count for t in counts(desk.user("street")).tiles}["sign"] == 1
    assert {t.key: t.count for t in counts(desk.user("street")).tiles}["red"] == 3  # both sides
    dept = {t.key for t in counts(desk.user("dept")).tiles}
    assert "dispatch" not in dept and "returned" not in dept  # a department dispatches nothing
    assert "sign" not in {t.key for t in counts(desk.user("district")).tiles}  # no unit of its own
    assert c["other_red"].number not in numbers(
        login(client, desk, "community_a"), band="red", per=200
    )


def test_the_whole_city_is_counted_every_two_minutes_and_says_so(client, desk):
    make_day(desk)
    first = counts(desk.user("superuser"))
    desk.file()
    again = counts(desk.user("superuser"))
    assert again.cached and again.as_of == first.as_of
    assert {t.key: t.count for t in again.tiles} == {t.key: t.count for t in first.tiles}
    live = counts(desk.user("district"))  # a district is counted live
    assert not live.cached
    login(client, desk, "superuser")
    assert "every two minutes" in client.get(reverse("desk:home")).content.decode()


def test_every_rule_is_about_cases_the_desk_counts():
    # The counts read only active cases (the partial index); a rule outside would count 0.
    for key in TILES:
        assert set(RULES[key].states) <= set(ACTIVE_STATES), key


@pytest.mark.parametrize("key", ROLES)
def test_the_rules_ask_what_the_case_engine_asks(desk, key):
    """dispatcher_q is services.actions.core._is_dispatcher as a filter; unit_q is who
    routing.unit_user_ids tells about a case."""
    cases = make_day(desk).values()
    user = desk.user(key)
    viewer = Viewer.of(user)
    dispatches = set(Case.objects.filter(dispatcher_q(viewer.scope)).values_list("pk", flat=True))
    mine = set(Case.objects.filter(unit_q(viewer)).values_list("pk", flat=True))
    for case in cases:
        assert (case.pk in dispatches) == _is_dispatcher(user, case), (key, case.number)
        if case.state == "dispatched" and not viewer.scope.is_superuser:
            assert (case.pk in mine) == (user.pk in routing.unit_user_ids(case)), (key, case)


def test_out_of_scope_cases_are_never_counted_listed_found_or_exported(client, desk):
    c = make_day(desk)
    login(client, desk, "community_a")
    others = {c["other_side"].number, c["other_red"].number}
    assert not others & numbers(client, per=200)
    assert not others & numbers(client, q=c["other_side"].number)
    assert not others & numbers(client, band="red")
    sheet = client.get(reverse("desk:export"))
    assert not others & {r[0] for r in load_workbook(io.BytesIO(sheet.content)).active.values}
    # A grid of the other side, named in the URL, finds nothing of it: the filter is dropped.
    response = client.get(reverse(LIST), {"grid": desk.t.b.grids[0].pk})
    assert not others & set(listed(response))
    assert any("Grid" in p for p in response.context["problems"])


def test_filters(client, desk):
    c = make_day(desk)
    login(client, desk, "community_a")
    assert numbers(client, state="signed") == {c["signed"].number, c["extension"].number}
    assert numbers(client, case_type="complaint") == {c["signed"].number}
    assert numbers(client, category=desk.noise.pk) == {c["signed"].number}
    # A parent category takes its children in.
    assert c["new"].number in numbers(client, category=desk.roads.pk, per=200)
    assert numbers(client, channel="hotline") == {c["hotline"].number}
    assert numbers(client, level="street") == {c["street_unit"].number}
    assert numbers(client, level="department") == {c["water"].number}
    assert numbers(client, grid=desk.t.a.grids[1].pk) == {c["street_unit"].number}
    assert numbers(client, unit=f"d{desk.t.other_department.pk}") == {c["water"].number}
    assert numbers(client, band="overdue") == {c["overdue"].number}
    assert numbers(client, band="today") == {c["today"].number}
    assert numbers(client, band="yellow") == {c["yellow"].number}
    assert numbers(client, queue="returned") == {c["returned"].number}
    assert numbers(client, queue="city") == {c["hotline"].number}
    today = timezone.localdate()
    assert len(numbers(client, created_from=today.isoformat(), per=200)) == 13  # side a
    assert numbers(client, created_to=(today - timedelta(days=1)).isoformat()) == set()
    # Filters combine.
    assert numbers(client, state="dispatched", band="red") == {
        c["red"].number,
        c["overdue"].number,
    }
    login(client, desk, "street")
    area = desk.t.a.community.pk
    assert numbers(client, unit=f"a{desk.t.street.pk}") == {c["street_unit"].number}
    assert c["other_side"].number not in numbers(client, area=area, per=200)
    assert c["new"].number in numbers(client, area=area, per=200)
    # Grids are listed for the chosen community (a street's grids would be hundreds).
    page = client.get(reverse(LIST), {"area": area})
    grids = next(f for f in page.context["selects"] if f["name"] == "grid")
    assert (
        f'<option value="{desk.t.a.grids[0].pk}">{desk.t.a.grids[0].name}</option>'
        in (grids["options"])
    )
    assert desk.t.b.grids[0].name not in grids["options"]
    chosen = f'<option value="{area}" selected>{desk.t.a.community.name}</option>'
    assert chosen in page.content.decode()


def test_rows_wear_the_badges_of_the_rules(client, desk):
    c = make_day(desk)
    login(client, desk, "community_a")
    response = client.get(reverse(LIST), {"per": 200})
    rows = {r["number"]: r for r in response.context["page_cases"]}
    assert rows[c["red"].number]["red"] and not rows[c["red"].number]["overdue"]
    assert rows[c["overdue"].number]["red"] and rows[c["overdue"].number]["overdue"]
    assert rows[c["yellow"].number]["yellow"] and not rows[c["yellow"].number]["red"]
    assert not any(rows[c["dispatched"].number][f] for f in ("red", "yellow", "overdue"))
    html = response.content.decode()
    assert html.count('<span class="badge red">red</span>') == 2
    assert html.count('<span class="badge yellow">yellow</span>') == 1
    # Only cases waiting for dispatch can be ticked.
    ticks = [pk for pk in (x.pk for x in c.values()) if f'name="case" value="{pk}"' in html]
    assert sorted(ticks) == sorted([c["new"].pk, c["hotline"].pk])
    # Every value is escaped.
    odd = desk.file(description='<script>alert("x")</script>')
    html = client.get(reverse(LIST)).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html and odd.number in html


def test_word_search_goes_through_the_pairs_index(client, desk):
    c = make_day(desk)
    odd = desk.file(description="楼上漏水，渗到我家天花板 WiFi 坏了")
    login(client, desk, "community_a")
    with CaptureQueriesContext(connection) as ctx:
        assert numbers(client, q="漏水") == {odd.number}  # two characters
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "services_case_words" in sql and "% 漏水 %" in sql
    assert numbers(client, q="渗到我家") == {odd.number}  # four
    assert numbers(client, q="wifi") == {odd.number}  # letters in any case
    assert numbers(client, q="漏水 天花板") == {odd.number}  # every word
    assert numbers(client, q="漏水 老人") == set()
    assert len(numbers(client, q="老人", per=200)) == 13  # the default description
    assert numbers(client, q="水漏") == set()  # the pairs keep their order
    # One character is too short for the index: left out, and said so.
    response = client.get(reverse(LIST), {"q": "坑"})
    assert response.context["problems"] and response.status_code == 200
    # A case number goes through the number alone.
    with CaptureQueriesContext(connection) as ctx:
        assert numbers(client, q=c["new"].number) == {c["new"].number}
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert f"\"number\" = '{c['new'].number}'" in sql and "services_case_words" not in sql


def test_the_pairs_function_and_its_python_twin_agree(db):
    from services.search import pairs

    with connection.cursor() as cursor:
        for text in ("路面有坑", "WiFi 坏了", "3号楼", "ab"):
            cursor.execute("SELECT services_case_words(%s)", [text])
            (words,) = cursor.fetchone()
            assert pairs(text) in words
            assert words.startswith(" ") and words.endswith(" ")


def test_sort_orders(client, desk):
    c = make_day(desk)
    login(client, desk, "community_a")
    newest = listed(client.get(reverse(LIST), {"per": 200}))
    assert newest == sorted(newest, reverse=True)
    assert listed(client.get(reverse(LIST), {"per": 200, "sort": "number"})) == sorted(newest)
    by_deadline = listed(client.get(reverse(LIST), {"band": "red", "sort": "deadline"}))
    assert by_deadline == [c["overdue"].number, c["red"].number]
    by_place = listed(client.get(reverse(LIST), {"sort": "place", "per": 200}))
    assert by_place[-1] == c["street_unit"].number  # the second grid's building sorts last


def test_pages_of_a_long_list(client, desk, monkeypatch):
    from services.desk import cases as view

    for _ in range(30):
        desk.file()
    login(client, desk, "community_a")
    all_numbers = listed(client.get(reverse(LIST), {"per": 200}))
    assert all_numbers == sorted(all_numbers, reverse=True) and len(all_numbers) == 30
    # Below the cap the probe sorts in Python; above it the database pages: the same order.
    below = [listed(client.get(reverse(LIST), {"page": p})) for p in (1, 2)]
    assert below == [all_numbers[:25], all_numbers[25:]]
    monkeypatch.setattr(view, "LIST_CAP", 27)
    first = client.get(reverse(LIST))
    assert first.context["paginator"].capped  # "27 or more"
    assert "27 cases or more" in first.content.decode()
    above = [listed(client.get(reverse(LIST), {"page": p})) for p in (1, 2)]
    assert above == [all_numbers[:25], all_numbers[25:27]]


@pytest.mark.parametrize(
    "params",
    [
        {"state": "bogus"},
        {"category": "abc"},
        {"category": "999999"},
        {"grid": "999999"},
        {"grid": "x"},
        {"area": "-1"},
        {"unit": "x1"},
        {"unit": "d999999"},
        {"unit": "a"},
        {"created_from": "2026-13-45"},
        {"created_from": "2026-12-08", "created_to": "2026-12-01"},
        {"page": "abc"},
        {"page": "99999"},
        {"per": "7"},
        {"sort": "description"},
        {"queue": "everything"},
        {"band": "purple"},
        {"q": "x" * 500},
        {"q": "  "},
        {"q": "坑 a"},
    ],
)
def test_bad_parameters_leave_a_message_never_an_error(client, desk, params):
    make_day(desk)
    login(client, desk, "community_a")
    response = client.get(reverse(LIST), params)
    assert response.status_code == 200
    if params not in ({"page": "abc"}, {"page": "99999"}, {"q": "  "}):
        assert response.context["problems"], params
    assert client.get(reverse("desk:export"), params).status_code == 200


def test_bad_parameters_in_chinese(client, desk):
    make_day(desk)
    login(client, desk, "community_a")
    html = client.get(reverse(LIST), {"state": "bogus"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = html.content.decode()
    assert "状态" in text and "已忽略" in text


def test_bulk_dispatch_says_what_went_and_why_the_rest_did_not(client, desk):
    c = make_day(desk)
    fresh = [desk.file() for _ in range(2)]
    login(client, desk, "community_a")
    ticked = [*fresh, c["signed"], c["other_side"]]
    response = client.post(
        reverse("desk:bulk-dispatch"),
        {"case": [x.pk for x in ticked], "next": reverse(LIST) + "?state=submitted"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse(LIST) + "?state=submitted"
    text = [str(m) for m in response.context["messages"]]
    assert "2 cases dispatched." in text
    assert any(c["signed"].number in m and "signed for" in m for m in text), text
    assert any("not found in your area" in m for m in text), text
    states = dict(Case.objects.filter(pk__in=[x.pk for x in ticked]).values_list("pk", "state"))
    assert [states[x.pk] for x in fresh] == ["dispatched", "dispatched"]
    assert states[c["other_side"].pk] == "submitted"  # outside the scope: untouched
    assert states[c["signed"].pk] == "signed"


def test_bulk_dispatch_refuses_who_may_not_dispatch_and_empty_ticks(client, desk):
    case = desk.file()
    login(client, desk, "grid_a")  # handles cases, does not dispatch them
    response = client.post(reverse("desk:bulk-dispatch"), {"case": [case.pk]}, follow=True)
    text = [str(m) for m in response.context["messages"]]
    assert any(case.number in m and "dispatcher" in m for m in text), text
    assert Case.objects.get(pk=case.pk).state == "submitted"
    response = client.post(reverse("desk:bulk-dispatch"), {}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Tick the cases to dispatch first."]
    assert client.get(reverse("desk:bulk-dispatch")).status_code == 405


def test_bulk_dispatch_sent_twice_dispatches_once(client, desk):
    case = desk.file()
    login(client, desk, "community_a")
    data = {"case": [case.pk], "idempotency_key": "k" * 32}
    first = client.post(reverse("desk:bulk-dispatch"), data)
    again = client.post(reverse("desk:bulk-dispatch"), data)
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    assert case.events.filter(action="dispatch").count() == 1


def test_export_is_the_filtered_list(client, desk, monkeypatch):
    from services.desk import cases as view

    c = make_day(desk)
    login(client, desk, "community_a")
    response = client.get(reverse("desk:export"), {"case_type": "complaint"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0][0] == "case number" and rows[0][-1] == "description"
    assert [r[0] for r in rows[1:]] == [c["signed"].number]
    assert rows[1][1:4] == ("complaint", "噪音扰民", "resident online")
    assert rows[1][5] == "signed for" and rows[1][6] == str(c["signed"].handling_area)
    assert "138" not in " ".join(str(v) for v in rows[1])  # no phone numbers leave the desk
    # In the list's order, and capped with a line saying so.
    monkeypatch.setattr(view, "EXPORT_CAP", 3)
    rows = list(load_workbook(io.BytesIO(client.get(reverse("desk:export")).content)).active.values)
    assert [r[0] for r in rows[1:4]] == listed(client.get(reverse(LIST)))[:3]
    assert len(rows) == 5 and "first 3 cases" in rows[4][0]


def test_export_in_chinese(client, desk):
    desk.dispatched()
    login(client, desk, "community_a")
    response = client.get(reverse("desk:export"), headers={"accept-language": "zh-hans"})
    assert response["Content-Disposition"].startswith('attachment; filename="cases-')
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["工单"] and next(book.active.values)[0] == "工单编号"


@pytest.mark.parametrize("n", [3, 30])
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"per": 200},
        {"band": "red", "sort": "deadline"},
        {"q": "老人", "category": "{roads}", "per": 50},
        {"state": "submitted", "grid": "{grid}", "unit": "{dept}", "sort": "place"},
        {"created_from": "2026-01-01", "channel": "hotline", "page": 2},
        {"q": "{number}"},
        {"state": "bogus", "grid": "999"},
    ],
)
def test_the_list_takes_at_most_ten_queries(client, desk, n, params, django_assert_max_num_queries):
    for i in range(n):
        desk.dispatched() if i % 2 else desk.file()
    login(client, desk, "district")  # the largest drop-downs: streets, communities
    values = {
        "roads": desk.roads.pk,
        "grid": desk.t.a.grids[0].pk,
        "dept": f"d{desk.t.department.pk}",
        "number": Case.objects.first().number,
    }
    query = {k: (v.format(**values) if isinstance(v, str) else v) for k, v in params.items()}
    client.get(reverse(LIST), query)  # the category memo fills once per process
    with django_assert_max_num_queries(10):
        response = client.get(reverse(LIST), query)
    assert response.status_code == 200


@pytest.mark.parametrize("key", ["district", "community_a", "dept"])
def test_the_home_page_takes_five_queries(client, desk, key, django_assert_max_num_queries):
    make_day(desk)
    login(client, desk, key)
    with django_assert_max_num_queries(5):
        response = client.get(reverse("desk:home"))
    assert response.status_code == 200 and response.context["tiles"]


def test_the_desk_is_for_staff(client, desk):
    for key in ("resident_a", "unit_a"):
        login(client, desk, key)
        for name in ("desk:home", LIST, "desk:export"):
            assert client.get(reverse(name)).status_code == 404, (key, name)
    client.logout()
    response = client.get(reverse("desk:home"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_empty_states(client, desk):
    login(client, desk, "community_a")
    page = client.get(reverse(LIST)).content.decode()
    assert "There are no cases in your area yet." in page
    desk.file()
    page = client.get(reverse(LIST), {"state": "archived"}).content.decode()
    assert "No case matches these filters." in page and "Clear all filters" in page


def test_the_admin_case_pages_lead_to_the_desk(client, desk):
    case = desk.dispatched()
    other = desk.dispatched(actor=desk.user("resident_b"), place=desk.t.b.buildings[0])
    login(client, desk, "community_a")
    response = client.get(reverse("admin:services_case_changelist"))
    assert response.status_code == 302 and response["Location"] == reverse(LIST)
    response = client.get(reverse("admin:services_case_change", args=[case.pk]))
    assert response["Location"] == reverse("desk:case", args=[case.number])
    assert client.get(reverse("admin:services_case_change", args=[other.pk])).status_code == 404
    assert client.get("/admin/services/case/abc/change/").status_code == 404
    # Nothing is added or deleted there.
    assert client.get("/admin/services/case/add/").status_code == 404


# --- where each role lands after logging in ---------------------------------------------------


@pytest.mark.parametrize(
    "key, landing",
    [
        ("superuser", "/desk/"),
        ("district", "/desk/"),
        ("street", "/desk/"),
        ("community_a", "/desk/"),
        ("dept", "/desk/"),
        ("grid_a", "/cases/grid/"),
        ("resident_a", "/"),
        ("unit_a", "/"),
    ],
)
def test_password_login_lands_each_role(client, desk, key, landing):
    user = desk.user(key)
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD, "next": ""}
    )
    assert response.status_code == 302 and response["Location"] == landing
    # A page asked for is where they go.
    client.logout()
    response = client.post(
        reverse("login") + "?next=/centres/",
        {"username": user.username, "password": PASSWORD},
    )
    assert response["Location"] == "/centres/"


def test_a_grid_worker_with_an_office_role_lands_on_the_desk(client, desk):
    from grids.models import Role
    from tests.territory import assign

    user = desk.user("grid_a")
    assign(user, Role.COMMUNITY_STAFF, area=desk.t.a.community)
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response["Location"] == "/desk/"


def test_an_ended_role_lands_as_before(client, desk):
    from grids.models import RoleAssignment

    user = desk.user("community_a")
    RoleAssignment.objects.filter(user=user).update(
        ends_on=timezone.localdate() - timedelta(days=1)
    )
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    "key, landing",
    [("community_a", "/desk/"), ("grid_a", "/cases/grid/"), ("resident_a", "/cases/")],
)
def test_phone_code_login_lands_each_role(client, desk, key, landing, monkeypatch):
    from portal import accounts

    user = desk.user(key)
    if not user.phone:
        user.phone = "13700000009"
        user.save(update_fields=["phone"])
    monkeypatch.setattr(accounts, "check_code", lambda phone, code: True)
    response = client.post(
        reverse("services:login"),
        {"phone": user.phone, "code": "123456", "step": "login"},
    )
    assert response.status_code == 302 and response["Location"] == landing, response.status_code
    client.logout()
    response = client.post(
        reverse("services:login"),
        {"phone": user.phone, "code": "123456", "step": "login", "next": "/cases/mine/"},
    )
    assert response["Location"] == "/cases/mine/"


def test_the_grid_pages_link_to_the_desk(client, desk):
    login(client, desk, "grid_a")
    assert reverse(LIST) in client.get(reverse("services:grid")).content.decode()
