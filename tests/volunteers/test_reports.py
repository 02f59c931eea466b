"""双报到: party members and co-building units report themselves (亮身份、亮承诺), the community
confirms (or refuses with a reason) on its review page or with the admin action, and only a
confirmed report claims posts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from grids.models import CoBuildingUnit
from tests.volunteers.conftest import add_relative, make_volunteer
from volunteers import actions
from volunteers.models import PartyReport, PostClaim, ServicePost, Volunteer

pytestmark = pytest.mark.django_db

FORM = {
    "as": "member",
    "work_unit": "市第一医院",
    "party_branch": "第三党支部",
    "promise": "每月义诊一次",
    "target_hours": "40",
}


@pytest.fixture
def t(territory):
    add_relative(territory)  # resident_a lives in community a
    return territory


def test_a_member_reports_and_the_community_confirms_on_its_page(client, t):
    member = t.user("resident_a")
    volunteer = make_volunteer(member, t.a.community)
    post = ServicePost.objects.create(community=t.a.community, title="文明劝导岗", quota=2)
    client.force_login(member)
    key = "r" * 32
    r = client.post("/volunteers/report/", {**FORM, "idempotency_key": key}, follow=True)
    assert "Your report is sent to the community" in r.content.decode()
    again = client.post("/volunteers/report/", {**FORM, "idempotency_key": key})
    assert again.status_code == 302  # the double tap replays the first answer
    report = PartyReport.objects.get()
    assert (report.status, report.community, report.party_branch) == (
        "pending",
        t.a.community,
        "第三党支部",
    )
    assert report.target_hours == Decimal(40) and report.submitted_by == member

    # Not confirmed yet: no posts to claim, and a claim is refused with a clear message.
    shown = client.post(f"/volunteers/posts/{post.pk}/claim/", follow=True).content.decode()
    assert "has not confirmed your report yet" in shown and not PostClaim.objects.exists()

    # The community's staff: on their review page, confirmed with one tap.
    client.force_login(t.user("community_a"))
    page = client.get("/volunteers/staff/").content.decode()
    assert "每月义诊一次" in page and f"/volunteers/staff/reports/{report.pk}/" in page
    r = client.post(f"/volunteers/staff/reports/{report.pk}/", {"decision": "approve"}, follow=True)
    assert "is confirmed" in r.content.decode()
    report.refresh_from_db()
    assert report.status == "confirmed" and report.decided_by == t.user("community_a")
    volunteer.refresh_from_db()
    assert volunteer.is_party_member  # their service now earns 党员积分

    client.force_login(member)
    assert (
        "Confirmed by the community".lower()
        in client.get("/volunteers/report/").content.decode().lower()
    )
    client.post(f"/volunteers/posts/{post.pk}/claim/")
    assert PostClaim.objects.filter(post=post, report=report).count() == 1
    # A confirmed report is not changed by sending the form again.
    r = client.post("/volunteers/report/", {**FORM, "promise": "改"})
    assert r.status_code == 400 and "already confirmed" in r.content.decode()
    assert PartyReport.objects.get().promise == "每月义诊一次"


def test_refusal_needs_a_reason_which_the_member_sees_then_resends(client, t):
    member = t.user("resident_a")
    report = actions.submit_report(member, actions.ReportIntake(promise="有空就来"))
    staff = t.user("community_a")
    with pytest.raises(ValidationError, match="Say why"):
        actions.decide_report(report, staff, False, "  ")
    client.force_login(staff)
    r = client.post(
        f"/volunteers/staff/reports/{report.pk}/", {"decision": "refuse", "reason": ""}, follow=True
    )
    assert "Say why the report is not confirmed." in r.content.decode()
    client.post(
        f"/volunteers/staff/reports/{report.pk}/",
        {"decision": "refuse", "reason": "请写明具体承诺"},
    )
    report.refresh_from_db()
    assert report.status == "refused" and report.refusal_reason == "请写明具体承诺"
    # Confirming after a refusal is a changed decision: refused, the row unchanged.
    with pytest.raises(ValidationError, match="already decided"):
        actions.decide_report(report, staff, True)

    client.force_login(member)
    page = client.get("/volunteers/report/").content.decode()
    assert "请写明具体承诺" in page
    client.post("/volunteers/report/", FORM)
    report.refresh_from_db()
    assert (
        report.status == "pending"
        and report.refusal_reason == ""
        and report.promise == ("每月义诊一次")
    )
    assert PartyReport.objects.count() == 1


def test_a_unit_member_reports_for_the_unit(client, t):
    unit = CoBuildingUnit.objects.get(name="共建单位a")
    client.force_login(t.user("unit_a"))
    page = client.get("/volunteers/report/").content.decode()
    assert "Report of 共建单位a" in page
    r = client.post(
        "/volunteers/report/",
        {"as": "unit", "unit-promise": "认领文明劝导岗", "unit-target_hours": "100"},
    )
    assert r.status_code == 302
    report = PartyReport.objects.get(unit=unit)
    assert report.community == t.a.community and report.member is None
    assert report.submitted_by == t.user("unit_a")
    # A resident with no unit who forges "as=unit": a clear message, nothing saved.
    client.force_login(t.user("resident_a"))
    r = client.post("/volunteers/report/", {"as": "unit", "unit-promise": "x"})
    assert r.status_code == 400 and "do not belong to a co-building unit" in r.content.decode()
    assert PartyReport.objects.count() == 1
    # The admin action confirms it (through actions.decide_report).
    client.force_login(t.user("community_a"))
    client.post(
        "/admin/volunteers/partyreport/", {"action": "confirm", "_selected_action": [report.pk]}
    )
    report.refresh_from_db()
    assert report.status == "confirmed"


def test_reports_are_confirmed_only_by_their_communitys_staff(client, t):
    report = actions.submit_report(t.user("resident_a"), actions.ReportIntake(promise="值守"))
    with pytest.raises(ValidationError, match="community's staff"):
        actions.decide_report(report, t.user("community_b"), True)
    # Another community's staff: not on their page, and deciding it is a 404.
    client.force_login(t.user("community_b"))
    assert "值守" not in client.get("/volunteers/staff/").content.decode()
    r = client.post(f"/volunteers/staff/reports/{report.pk}/", {"decision": "approve"})
    assert r.status_code == 404
    # Residents have no review page at all.
    client.force_login(t.user("resident_b"))
    assert client.get("/volunteers/staff/").status_code == 404
    report.refresh_from_db()
    assert report.status == "pending"


def test_bad_report_input_is_a_form_error_never_a_500(client, t):
    client.force_login(t.user("resident_a"))
    for data in (
        {**FORM, "promise": ""},
        {**FORM, "target_hours": "0"},
        {**FORM, "target_hours": "abc"},
        {**FORM, "promise": "字" * 1001},
    ):
        r = client.post("/volunteers/report/", data)
        assert r.status_code == 400
    assert not PartyReport.objects.exists()
    with pytest.raises(ValidationError, match="between 1 and 1000"):
        actions.submit_report(
            t.user("resident_a"), actions.ReportIntake(promise="x", target_hours=Decimal(5000))
        )
    # Someone who lives in no community cannot report: a message, not a 500.
    client.force_login(t.user("grid_b"))
    r = client.post("/volunteers/report/", FORM)
    assert r.status_code == 400 and "Register your household" in r.content.decode()


def test_review_page_queries_are_pinned(client, t, django_assert_max_num_queries):
    for i, key in enumerate(["resident_a", "relative_a", "grid_a", "unit_a"]):
        user = t.user(key)
        if actions.home_community(user) is None:
            Volunteer.objects.create(
                user=user,
                community=t.a.community,
                real_name=key,
                phone="1",
                consent_at=timezone.now(),
            )
        actions.submit_report(user, actions.ReportIntake(promise=f"承诺{i}"))
        actions.post_wish(t.user("resident_a"), t.a.community, f"心愿{i}", "本人")
    client.force_login(t.user("community_a"))
    client.get("/volunteers/staff/")
    # 4, and one more when another test bumped the shared scope generation meanwhile.
    with django_assert_max_num_queries(5):
        r = client.get("/volunteers/staff/")
    assert len(r.context["reports"]) == 4 and len(r.context["wishes"]) == 4
