"""The desk's case page (/desk/c/<number>/), its actions: the buttons each role sees in each
state (the likely next one first), each action's short form and its effect, bad input, and a
lost race naming who acted first. What the page shows is in test_desk_case_page.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from services import actions
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


def test_a_file_that_is_no_image_is_refused_on_the_photos_field(client, desk):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = _in(desk, "in_progress")
    login(client, desk, "grid_a")
    fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    response = post(client, case, "resolve", {"photos": [fake]}, result="已修补")
    assert response.status_code == 400
    form = response.context["forms"][0]
    assert form.action == "resolve" and "is not an image" in " ".join(form.errors["photos"])
    assert fresh(case).state == "in_progress" and not CasePhoto.objects.filter(case=case).exists()


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
    assert response.status_code == 400 and "此项为必填项。" in html
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
