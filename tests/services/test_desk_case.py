"""The desk's case page (/desk/c/<number>/): the buttons each role sees in each state, each
action's short form and its effect, a lost race naming who acted first, the audited reveal of
the reporter's phone, photos by kind, the clock line, scope (404) and pinned query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from grids.models import AccessLog
from services import actions
from services.actions import Intake
from services.choices import Channel
from services.models import Case, CaseEvent, CasePhoto, ExtensionRequest, JointUnit
from tests.services.test_resident_pages import jpeg


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def page_url(case: Case) -> str:
    return reverse("desk:case", args=[case.number])


def login(client, desk, key: str):
    client.force_login(desk.user(key))
    return client


def buttons(client, case: Case) -> list[str]:
    response = client.get(page_url(case))
    assert response.status_code == 200
    return [f.action for f in response.context["forms"]]


def post(client, case: Case, action: str, files=None, **data):
    """POST an action's form as the page would: with the version it was drawn with."""
    case.refresh_from_db()
    data.setdefault("expected_version", case.version)
    return client.post(reverse("desk:act", args=[case.number, action]), {**data, **(files or {})})


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def _in(desk, state: str) -> Case:
    """A case of side a's first building in `state`, walked there through the operations."""
    grid, community = desk.user("grid_a"), desk.user("community_a")
    case = desk.file()
    if state == "submitted":
        return case
    if state == "not_accepted":
        return actions.not_accepted(case, actor=community, reason="不属于受理范围")
    if state == "merged":
        master = desk.file()
        return actions.merge(case, actor=community, master=master)
    case = actions.dispatch(case, actor=None)
    if state == "dispatched":
        return case
    if state == "returned":
        return actions.return_case(case, actor=grid, reason="不归本网格")
    case = actions.sign_for(case, actor=grid)
    if state == "signed":
        return case
    actions.record_contact(case, actor=grid, note="已电话联系")
    case = actions.start(case, actor=grid)
    if state == "in_progress":
        return case
    case = actions.resolve(case, actor=grid, result="已修补")
    if state == "resolved":
        return case
    actions.callback(case, actor=community, solved=True, rating=5)
    if state == "called_back":
        return fresh(case)
    return actions.archive(case, actor=community)


DISPATCHER_OPEN = ["transfer", "add_joint_unit", "merge", "set_malicious"]

BUTTONS = [
    ("submitted", "community_a", ["dispatch", "not_accepted", "merge", "set_malicious"]),
    ("submitted", "grid_a", []),
    (
        "dispatched",
        "community_a",
        ["sign_for", "return_case", "escalate", *DISPATCHER_OPEN],
    ),
    ("dispatched", "grid_a", ["sign_for", "return_case", "escalate", "add_joint_unit"]),
    (
        "signed",
        "grid_a",
        [
            "record_contact",
            "start",
            "resolve",
            "add_progress",
            "request_extension",
            "return_case",
            "escalate",
            "add_joint_unit",
        ],
    ),
    (
        "in_progress",
        "grid_a",
        ["resolve", "add_progress", "request_extension", "escalate", "add_joint_unit"],
    ),
    (
        "in_progress",
        "street",
        ["resolve", "add_progress", "request_extension", "escalate", *DISPATCHER_OPEN],
    ),
    ("returned", "community_a", ["review_return", "not_accepted", "merge", "set_malicious"]),
    ("returned", "grid_a", []),
    ("resolved", "district", ["callback", "set_malicious"]),
    ("resolved", "grid_a", []),
    ("called_back", "community_a", ["archive", "set_malicious"]),
    ("not_accepted", "community_a", ["archive", "set_malicious"]),
    ("merged", "street", ["archive", "set_malicious"]),
    ("archived", "community_a", []),
    ("archived", "grid_a", []),
]


@pytest.mark.parametrize("state,key,expected", BUTTONS)
def test_the_buttons_each_role_sees_in_each_state(client, desk, state, key, expected):
    case = _in(desk, state)
    assert fresh(case).state == state
    login(client, desk, key)
    assert buttons(client, case) == expected
    html = client.get(page_url(case)).content.decode()
    if expected:  # the likely next one first, prominent and open
        first = html.index('<summary class="button primary">')
        assert html.index(f"/{expected[0]}/") > first
        assert f'class="act act-{expected[0]} next" open' in html
    else:
        assert "Nothing for you to do on this case now." in html


def test_a_department_handles_what_it_is_sent_and_its_supervisor_still_dispatches(client, desk):
    case = actions.transfer(
        _in(desk, "dispatched"), actor=desk.user("street"), department=desk.t.department
    )
    login(client, desk, "dept")
    assert buttons(client, case) == ["sign_for", "return_case", "escalate", "add_joint_unit"]
    login(client, desk, "community_a")
    assert buttons(client, case)[:2] == ["sign_for", "return_case"]
    assert "transfer" in buttons(client, case)


def test_a_pending_extension_puts_the_decision_first_for_the_supervisor(client, desk):
    case = _in(desk, "signed")
    actions.request_extension(case, actor=desk.user("grid_a"), working_days=3, reason="等材料")
    login(client, desk, "community_a")
    offered = buttons(client, case)
    assert offered[0] == "decide_extension" and "request_extension" not in offered
    html = client.get(page_url(case)).content.decode()
    assert "asks for 3 more working days" in html and "等材料" in html
    login(client, desk, "grid_a")
    offered = buttons(client, case)
    assert "decide_extension" not in offered and "request_extension" not in offered


def test_no_extension_after_the_deadline(client, desk):
    case = _in(desk, "signed")
    Case.objects.filter(pk=case.pk).update(resolve_due=timezone.now() - timedelta(hours=1))
    login(client, desk, "grid_a")
    assert "request_extension" not in buttons(client, case)


def test_a_joint_unit_reports_in_first_and_holds_up_the_resolve(client, desk):
    case = _in(desk, "signed")
    actions.add_joint_unit(case, actor=desk.user("community_a"), department=desk.t.department)
    login(client, desk, "dept")
    assert buttons(client, case) == ["report_in"]
    login(client, desk, "grid_a")
    assert "resolve" not in buttons(client, case)
    assert "not yet reported in" in client.get(page_url(case)).content.decode()
    login(client, desk, "dept")
    unit = JointUnit.objects.get(case=case)
    response = post(client, case, "report_in", unit=unit.pk, report="已清理占道")
    assert response.status_code == 302
    assert JointUnit.objects.get(pk=unit.pk).report == "已清理占道"
    login(client, desk, "grid_a")
    assert "resolve" in buttons(client, case)


# --- each action's form and its effect --------------------------------------------------------


def test_dispatch_to_a_chosen_unit_or_by_the_rules(client, desk):
    login(client, desk, "community_a")
    case = desk.file()
    page = client.get(page_url(case))
    choices = {
        v: label
        for _group, opts in page.context["forms"][0].fields["target"].choices[1:]
        for v, label in opts
    }
    community = desk.t.a.community
    assert f"area:{community.pk}" in choices and f"dept:{desk.t.department.pk}" in choices
    response = post(client, case, "dispatch", target=f"area:{community.pk}", note="社区直接办")
    assert response.status_code == 302 and response.url == page_url(case)
    case = fresh(case)
    assert (case.state, case.level, case.handling_area_id) == (
        "dispatched",
        "community",
        community.pk,
    )
    done = client.get(response.url).content.decode()
    assert "Done: dispatch. The case is now dispatched." in done

    other = desk.file()
    assert post(client, other, "dispatch", target=f"dept:{desk.t.department.pk}").status_code == 302
    assert fresh(other).handling_department_id == desk.t.department.pk
    third = desk.file()
    assert post(client, third, "dispatch", target="").status_code == 302
    assert fresh(third).level == "grid"  # the routing rules' answer


def test_the_handlers_steps_from_sign_for_to_resolve(client, desk):
    case = _in(desk, "dispatched")
    login(client, desk, "grid_a")
    assert post(client, case, "sign_for").status_code == 302
    assert fresh(case).state == "signed"
    # The contact needs a word on how; an empty one is refused on its field.
    response = post(client, case, "record_contact", note="")
    assert response.status_code == 400
    assert response.context["forms"][0].errors["note"]
    assert post(client, case, "record_contact", note="电话联系，约定明早").status_code == 302
    assert fresh(case).contacted_at is not None
    assert post(client, case, "start").status_code == 302
    assert fresh(case).state == "in_progress"
    files = {"photos": [jpeg("a.jpg")]}
    assert post(client, case, "add_progress", files, note="已围挡").status_code == 302
    assert CasePhoto.objects.filter(case=case, kind="progress").count() == 1
    response = post(client, case, "resolve", {"photos": [jpeg("b.jpg")]}, result="")
    assert response.status_code == 400 and response.context["open_action"] == "resolve"
    assert (
        post(client, case, "resolve", {"photos": [jpeg("b.jpg")]}, result="已修补").status_code
        == 302
    )
    case = fresh(case)
    assert (case.state, case.result) == ("resolved", "已修补")
    assert CasePhoto.objects.filter(case=case, kind="result").count() == 1


def test_callback_and_archive(client, desk):
    case = _in(desk, "resolved")
    login(client, desk, "community_a")
    response = post(client, case, "callback", method="phone", solved="1")
    assert response.status_code == 400 and response.context["forms"][0].errors["rating"]
    assert post(client, case, "callback", method="phone", solved="1", rating="5").status_code == 302
    assert (fresh(case).state, fresh(case).rating) == ("called_back", 5)
    assert post(client, case, "archive").status_code == 302
    assert fresh(case).state == "archived"


def test_an_unsatisfied_callback_sends_it_back_for_redo(client, desk):
    case = _in(desk, "resolved")
    login(client, desk, "community_a")
    response = post(
        client, case, "callback", method="phone", solved="0", rating="2", comment="没修好"
    )
    assert response.status_code == 302
    case = fresh(case)
    assert (case.state, case.redo_count) == ("dispatched", 1)


def test_return_and_its_review(client, desk):
    case = _in(desk, "dispatched")
    login(client, desk, "grid_a")
    assert post(client, case, "return_case", reason="").status_code == 400
    assert post(client, case, "return_case", reason="不是本网格的事").status_code == 302
    assert fresh(case).state == "returned"
    login(client, desk, "community_a")
    response = post(
        client, case, "review_return", decision="uphold", target=f"dept:{desk.t.department.pk}"
    )
    assert response.status_code == 302
    case = fresh(case)
    assert (case.state, case.handling_department_id) == ("dispatched", desk.t.department.pk)

    again = _in(desk, "returned")
    assert (
        post(client, again, "review_return", decision="reject", note="属于网格").status_code == 302
    )
    again = fresh(again)
    assert (again.state, again.level) == ("dispatched", "grid")


def test_transfer_escalate_and_extension(client, desk):
    case = _in(desk, "signed")
    login(client, desk, "community_a")
    assert post(client, case, "transfer", target="", note="转部门").status_code == 400
    response = post(client, case, "transfer", target="area:999999", note="转部门")
    assert response.status_code == 400 and response.context["forms"]
    assert (
        post(
            client, case, "transfer", target=f"dept:{desk.t.department.pk}", note="转部门"
        ).status_code
        == 302
    )
    assert fresh(case).handling_department_id == desk.t.department.pk

    other = _in(desk, "signed")
    login(client, desk, "grid_a")
    assert (
        post(client, other, "request_extension", working_days="40", reason="等").status_code == 400
    )
    assert (
        post(client, other, "request_extension", working_days="5", reason="等配件").status_code
        == 302
    )
    due = fresh(other).resolve_due
    login(client, desk, "community_a")
    assert post(client, other, "decide_extension", decision="approve").status_code == 302
    assert ExtensionRequest.objects.get(case=other).status == "approved"
    assert fresh(other).resolve_due > due
    login(client, desk, "grid_a")
    assert post(client, other, "escalate", note="").status_code == 400
    assert post(client, other, "escalate", note="需要社区协调").status_code == 302
    assert fresh(other).level == "community"


def test_add_a_joint_unit(client, desk):
    case = _in(desk, "signed")
    login(client, desk, "community_a")
    response = post(
        client, case, "add_joint_unit", target=f"dept:{desk.t.department.pk}", role="support"
    )
    assert response.status_code == 302
    assert JointUnit.objects.get(case=case).department_id == desk.t.department.pk


def test_not_accepted_merge_and_the_malicious_mark(client, desk):
    login(client, desk, "community_a")
    case = desk.file()
    assert post(client, case, "not_accepted", reason="").status_code == 400
    assert post(client, case, "not_accepted", reason="属于司法程序").status_code == 302
    assert fresh(case).state == "not_accepted"

    master, repeat = desk.file(), desk.file()
    response = post(client, repeat, "merge", master="000")
    assert response.status_code == 400
    assert "No case with this number." in response.content.decode()
    assert post(client, repeat, "merge", master=master.number).status_code == 302
    assert fresh(repeat).master_id == master.pk
    html = client.get(page_url(master)).content.decode()
    assert f'href="{page_url(repeat)}"' in html and "Merged into this case" in html
    html = client.get(page_url(repeat)).content.decode()
    assert f'href="{page_url(master)}"' in html and "Merged into" in html

    assert post(client, master, "set_malicious", reason="").status_code == 400
    assert post(client, master, "set_malicious", reason="重复恶意来电").status_code == 302
    assert fresh(master).is_malicious
    assert "clear the malicious mark" in client.get(page_url(master)).content.decode()
    assert post(client, master, "set_malicious").status_code == 302
    assert not fresh(master).is_malicious


def test_an_action_not_offered_is_refused_and_changes_nothing(client, desk):
    case = _in(desk, "dispatched")
    login(client, desk, "grid_a")
    before = fresh(case).version
    response = post(client, case, "archive")
    assert response.status_code == 400
    assert "This action is not open to you on this case now." in response.content.decode()
    assert client.post(reverse("desk:act", args=[case.number, "nonsense"])).status_code == 404
    assert client.get(reverse("desk:act", args=[case.number, "sign_for"])).status_code == 405
    assert fresh(case).version == before


def test_bad_input_is_answered_in_chinese(desk):
    zh = Client(headers={"accept-language": "zh-hans"})
    zh.force_login(desk.user("grid_a"))
    case = _in(desk, "signed")
    response = post(zh, case, "record_contact", note="")
    html = response.content.decode()
    assert response.status_code == 400 and "该字段是必填项。" in html
    assert "请检查表单" in html and "联系群众" in html
    response = post(zh, case, "start", expected_version="x")  # a tampered or broken form
    assert response.status_code == 400 and "表单已过期，请刷新页面。" in response.content.decode()
    assert fresh(case).state == "signed"


# --- a lost race ---------------------------------------------------------------------------------


def test_a_lost_race_names_who_acted_first_and_shows_the_case_now(desk):
    grid = desk.user("grid_a")
    grid.display_name = "张三"
    grid.save()
    case = _in(desk, "dispatched")
    zh = Client(headers={"accept-language": "zh-hans"})
    zh.force_login(desk.user("community_a"))
    drawn = zh.get(page_url(case)).context["forms"][0].initial
    actions.sign_for(case, actor=grid)  # the grid worker is quicker
    signed = CaseEvent.objects.filter(case=case, action="sign_for").get()
    response = zh.post(
        reverse("desk:act", args=[case.number, "sign_for"]),
        {"expected_version": drawn["expected_version"], "seen": drawn["seen"]},
    )
    html = response.content.decode()
    at = timezone.localtime(signed.at).strftime("%H:%M")
    assert response.status_code == 409
    assert f"已被 张三 于 {at} 签收" in html
    assert [f.action for f in response.context["forms"]][0] == "record_contact"
    assert fresh(case).state == "signed" and fresh(case).assignee_id == grid.pk


def test_a_stale_form_whose_action_is_still_open_is_refused_by_the_version(client, desk):
    case = _in(desk, "signed")
    login(client, desk, "community_a")
    drawn = client.get(page_url(case)).context["forms"][0].initial
    actions.add_progress(case, actor=desk.user("grid_a"), note="现场查看")
    response = client.post(
        reverse("desk:act", args=[case.number, "add_progress"]),
        {**drawn, "note": "我也来写"},
    )
    assert response.status_code == 409
    assert "Already add progress by grid_a at" in response.content.decode()
    assert CaseEvent.objects.filter(case=case, action="add_progress").count() == 1


def test_a_double_click_is_done_once_and_says_so(client, desk):
    case = _in(desk, "dispatched")
    login(client, desk, "grid_a")
    drawn = client.get(page_url(case)).context["forms"][0].initial
    url = reverse("desk:act", args=[case.number, "sign_for"])
    assert client.post(url, drawn).status_code == 302
    response = client.post(url, drawn)
    assert response.status_code == 409
    assert "You already did this: sign for at" in response.content.decode()
    assert CaseEvent.objects.filter(case=case, action="sign_for").count() == 1


# --- the reporter and the audited reveal -----------------------------------------------------------


def test_the_phone_is_masked_and_its_reveal_is_logged(client, desk):
    case = desk.file(reporter_name="李阿姨", reporter_phone="13812345678")
    login(client, desk, "community_a")
    html = client.get(page_url(case)).content.decode()
    assert "李阿姨" in html and "138****5678" in html and "13812345678" not in html
    assert ">version<" not in html.lower() and "expected_version" in html  # hidden, not shown
    reveal = reverse("desk:reveal", args=[case.number])
    response = client.post(reveal, {"reason": ""})
    assert response.status_code == 400 and not AccessLog.objects.exists()
    response = client.post(reveal, {"reason": "联系反映人"})
    assert response.status_code == 200
    assert 'href="tel:13812345678"' in response.content.decode()
    entry = AccessLog.objects.get()
    assert (entry.viewer_id, entry.record, entry.reason, entry.resident_id) == (
        desk.user("community_a").pk,
        case.number,
        "联系反映人",
        None,
    )
    assert entry.resident_name == "李阿姨" and entry.area_id == case.place_id
    assert client.get(reveal).status_code == 405  # a reveal is a POST


def test_the_handling_department_may_reveal_but_not_once_the_case_has_left_it(client, desk):
    case = actions.transfer(
        _in(desk, "dispatched"), actor=desk.user("street"), department=desk.t.department
    )
    login(client, desk, "dept")  # the place is not theirs, the case is: they must call
    html = client.get(page_url(case)).content.decode()
    assert "139****0001" in html and "Show the full number" in html
    reveal = reverse("desk:reveal", args=[case.number])
    assert client.post(reveal, {"reason": "联系反映人"}).status_code == 200
    assert AccessLog.objects.get().viewer_id == desk.user("dept").pk
    # Sent on to the other department, followed as a joint unit: no more reveals.
    actions.add_joint_unit(case, actor=desk.user("street"), department=desk.t.department)
    actions.transfer(case, actor=desk.user("street"), department=desk.t.other_department)
    html = client.get(page_url(case)).content.decode()
    assert "139****0001" in html and "Show the full number" not in html
    assert client.post(reveal, {"reason": "联系"}).status_code == 404
    assert AccessLog.objects.count() == 1


def test_no_reveal_outside_the_scope(client, desk):
    case = desk.file()
    login(client, desk, "community_b")
    reveal = reverse("desk:reveal", args=[case.number])
    assert client.post(reveal, {"reason": "联系"}).status_code == 404
    assert not AccessLog.objects.exists()


def test_a_blank_phone_says_none_was_left(client, desk):
    intake = Intake(
        case_type="help",
        category=desk.potholes,
        description="热线来电，未留电话",
        place=desk.t.a.buildings[0],
        channel=Channel.HOTLINE,
    )
    case = actions.submit_case(intake, actor=desk.user("community_a"))
    zh = Client(headers={"accept-language": "zh-hans"})
    zh.force_login(desk.user("community_a"))
    html = zh.get(page_url(case)).content.decode()
    assert "未留电话" in html and 'id="reveal-reason"' not in html


# --- photos, clock line, map ---------------------------------------------------------------------


def test_photos_are_thumbnails_labelled_by_kind(client, desk):
    case = desk.file(photos=[jpeg("in.jpg")])
    case = actions.sign_for(actions.dispatch(case, actor=None), actor=desk.user("grid_a"))
    actions.add_progress(case, actor=desk.user("grid_a"), note="进展", photos_=[jpeg("p.jpg")])
    actions.resolve(case, actor=desk.user("grid_a"), result="好了", photos_=[jpeg("r.jpg")])
    login(client, desk, "community_a")
    response = client.get(page_url(case))
    assert [p.kind for p in response.context["photos"]] == ["intake", "progress", "result"]
    html = response.content.decode()
    for photo in response.context["photos"]:
        assert f'<a href="{photo.image.url}" target="_blank"' in html
    labels = [html.index(f'class="kind-{k}"') for k in ("intake", "progress", "result")]
    assert labels == sorted(labels)
    assert '<span class="label">reported</span>' in html
    assert '<span class="label">progress</span>' in html
    assert '<span class="label">result</span>' in html


def test_the_clock_line_shows_the_due_times_and_where_now_is(client, desk):
    case = _in(desk, "dispatched")
    login(client, desk, "grid_a")
    response = client.get(page_url(case))
    clock = response.context["clock"]
    assert [r["key"] for r in clock["rows"]] == ["sign", "contact", "resolve"]
    html = response.content.decode()
    for due in (case.sign_due, case.contact_due, case.resolve_due):
        assert timezone.localtime(due).strftime("%Y-%m-%d %H:%M") in html
    resolve = clock["rows"][2]
    assert resolve["due_pos"] == 100 and 0 < resolve["warn_pos"] < 100
    assert clock["now_pos"] < clock["rows"][0]["due_pos"]
    assert all(r["band"] == "ok" for r in clock["rows"])
    assert clock["next"]["clock"] == "sign for" and clock["next"]["step"] == "yellow card"

    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(
        sign_warn_at=now - timedelta(hours=2), sign_due=now - timedelta(hours=1)
    )
    Case.objects.filter(pk=case.pk).update(contact_warn_at=now - timedelta(minutes=5))
    rows = {r["key"]: r for r in client.get(page_url(case)).context["clock"]["rows"]}
    assert rows["sign"]["band"] == "red" and rows["sign"]["left"].startswith("overdue by 1h")
    assert rows["contact"]["band"] == "yellow" and rows["contact"]["left"].endswith("left")

    actions.sign_for(case, actor=desk.user("grid_a"))
    rows = {r["key"]: r for r in client.get(page_url(case)).context["clock"]["rows"]}
    assert rows["sign"]["band"] == "late" and rows["sign"]["due"] is None


def test_a_submitted_case_has_no_clock_yet(client, desk):
    login(client, desk, "community_a")
    html = client.get(page_url(desk.file())).content.decode()
    assert "The clocks start when the case is dispatched." in html


def test_the_place_for_the_map_and_as_text(client, desk):
    case = desk.file(lat=24.874, lng=118.676, address="东门口")
    login(client, desk, "community_a")
    html = client.get(page_url(case)).content.decode()
    assert 'class="place-map" data-lat="24.874000" data-lng="118.676000"' in html
    assert 'data-label="甲1号楼 东门口"' in html and "24.874, 118.676" in html
    assert "desk/map.js" in html and "onclick" not in html and "<script>" not in html


def test_related_cases_of_the_same_place_and_category(client, desk):
    case = desk.file()
    same = desk.file()
    other_category = desk.file(category=desk.noise)
    elsewhere = desk.file(place=desk.t.a.buildings[1])
    login(client, desk, "community_a")
    related = client.get(page_url(case)).context["related"]
    assert [c.number for c in related] == [same.number]
    assert other_category.number and elsewhere.number


# --- scope ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["community_b", "grid_b", "dept", "resident_a", "unit_a"])
def test_out_of_scope_is_404_and_changes_nothing(client, desk, key):
    case = desk.file()  # side a, reported by resident_a
    before = fresh(case).version
    login(client, desk, key)
    assert client.get(page_url(case)).status_code == 404
    assert post(client, case, "dispatch").status_code == 404
    assert post(client, case, "not_accepted", reason="x").status_code == 404
    assert (
        client.post(reverse("desk:reveal", args=[case.number]), {"reason": "x"}).status_code == 404
    )
    assert fresh(case).version == before and not AccessLog.objects.exists()


def test_a_case_that_leaves_the_scope_sends_the_user_to_the_desk(client, desk):
    case = actions.transfer(
        _in(desk, "signed"), actor=desk.user("street"), department=desk.t.department
    )
    actions.sign_for(case, actor=desk.user("dept"))
    login(client, desk, "dept")
    response = post(client, case, "escalate", note="需要市里协调")
    assert response.status_code == 302 and response.url == reverse("desk:home")


def test_an_unknown_number_is_404(client, desk):
    login(client, desk, "district")
    assert client.get(reverse("desk:case", args=["nope"])).status_code == 404


# --- queries --------------------------------------------------------------------------------------

QUERY_CASES = [
    ("submitted", "community_a"),
    ("dispatched", "grid_a"),
    ("signed", "street"),
    ("in_progress", "grid_a"),
    ("returned", "district"),
    ("resolved", "community_a"),
    ("merged", "community_a"),
    ("archived", "superuser"),
]


@pytest.mark.parametrize("state,key", QUERY_CASES)
def test_the_page_reads_at_most_12_queries(client, desk, state, key, django_assert_max_num_queries):
    case = _in(desk, state)
    login(client, desk, key)
    client.get(page_url(case))  # the calendar and the scope are read once per process
    with django_assert_max_num_queries(12):
        assert client.get(page_url(case)).status_code == 200


def test_queries_do_not_grow_with_the_timeline_or_the_joint_units(
    client, desk, django_assert_max_num_queries
):
    case = _in(desk, "signed")
    grid = desk.user("grid_a")
    community = desk.user("community_a")
    actions.add_joint_unit(case, actor=community, department=desk.t.department)
    actions.add_joint_unit(case, actor=community, department=desk.t.other_department)
    for i in range(30):
        actions.add_progress(case, actor=grid if i % 2 else community, note=f"进展 {i}")
    actions.request_extension(case, actor=grid, working_days=2, reason="等")
    master = desk.file()
    actions.merge(desk.file(), actor=community, master=master)
    login(client, desk, "community_a")
    for target in (case, master):
        client.get(page_url(target))
        with django_assert_max_num_queries(12):
            html = client.get(page_url(target)).content.decode()
    assert "进展 29" in client.get(page_url(case)).content.decode() and html
