"""Privacy stricter than cases: the parties' details are for the dispute's mediators and the
community's head (the level-1 grid's head) only; other staff in scope see a masked summary;
every reveal is in the access log; out of scope is a 404 everywhere."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from grids.models import AccessLog
from mediation import actions, privacy

pytestmark = pytest.mark.django_db

NAME, PHONE, ADDRESS, FACTS = "王秀英", "13812345678", "甲1号楼101", "楼上卫生间漏水"


@pytest.fixture
def dispute(med):
    d = med.dispute()
    actions.assign_mediator(
        d, actor=med.user("community_a"), user=med.user("mediator_a"), kind="community"
    )
    return d


def _page(client, user, dispute):
    client.force_login(user)
    return client.get(reverse("mediation:dispute", args=[dispute.pk]))


@pytest.mark.parametrize("who", ["community_a", "street", "grid_a", "superuser"])
def test_other_staff_in_scope_see_a_masked_summary(client, med, dispute, who):
    response = _page(client, med.user(who), dispute)
    assert response.status_code == 200
    html = response.content.decode()
    assert dispute.summary in html and "王*" in html and "138****5678" in html
    for secret in (NAME, PHONE, ADDRESS, FACTS):
        assert secret not in html
    assert f'action="/mediation/{dispute.pk}/reveal/"' not in html
    client.post(reverse("mediation:reveal", args=[dispute.pk]), {"reason": "好奇"})
    assert not AccessLog.objects.exists()
    with pytest.raises(PermissionDenied):
        privacy.reveal(med.user(who), dispute, "看看")


@pytest.mark.parametrize("who", ["mediator_a", "head_a"])
def test_mediator_and_head_see_details_only_through_a_logged_reveal(client, med, dispute, who):
    user = med.user(who)
    html = _page(client, user, dispute).content.decode()
    assert NAME not in html and FACTS not in html  # masked until revealed
    assert "/reveal/" in html
    response = client.post(reverse("mediation:reveal", args=[dispute.pk]), {"reason": ""})
    assert response.status_code == 400 and not AccessLog.objects.exists()
    response = client.post(reverse("mediation:reveal", args=[dispute.pk]), {"reason": "准备调解"})
    html = response.content.decode()
    assert response.status_code == 200
    for secret in (NAME, PHONE, ADDRESS, FACTS):
        assert secret in html
    logs = AccessLog.objects.filter(viewer=user)
    assert logs.count() == 2  # one row per party
    assert {log.resident_name for log in logs} == {NAME, "李建国"}
    assert all(dispute.number in log.record and log.reason == "准备调解" for log in logs)
    assert all(log.area_id == dispute.place_id for log in logs)


def test_the_head_of_another_community_is_not_the_head(med, dispute):
    assert not privacy.may_see_details(med.user("head_b"), dispute)
    assert privacy.may_see_details(med.user("head_a"), dispute)


def test_a_mediator_taken_off_loses_the_details(med, dispute):
    mediator = dispute.mediators.get()
    actions.remove_mediator(mediator, actor=med.user("community_a"))
    dispute = type(dispute).objects.get(pk=dispute.pk)
    assert not privacy.may_see_details(med.user("mediator_a"), dispute)


def test_the_api_shows_the_same_masks_and_logs_reveals(client, med, dispute):
    client.force_login(med.user("community_a"))
    data = client.get(f"/api/mediation/disputes/{dispute.pk}/").json()
    assert {p["name"] for p in data["parties"]} == {"王**", "李**"} or {
        p["name"] for p in data["parties"]
    } == {"王*", "李*"}
    assert NAME not in str(data) and PHONE not in str(data)
    response = client.post(
        f"/api/mediation/disputes/{dispute.pk}/reveal/",
        {"reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 403 and not AccessLog.objects.exists()
    client.force_login(med.user("mediator_a"))
    response = client.post(
        f"/api/mediation/disputes/{dispute.pk}/reveal/",
        {"reason": ""},
        content_type="application/json",
    )
    assert response.status_code == 400 and "reason" in response.json()
    response = client.post(
        f"/api/mediation/disputes/{dispute.pk}/reveal/",
        {"reason": "调解"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["facts"].startswith(FACTS)
    assert AccessLog.objects.filter(viewer=med.user("mediator_a")).count() == 2


def test_the_pdf_is_for_mediators_and_head_only(client, med, dispute):
    actions.record_agreement(dispute, actor=med.user("mediator_a"), terms="修复漏水。")
    client.force_login(med.user("community_a"))
    assert client.post(reverse("mediation:agreement-pdf", args=[dispute.pk])).status_code == 404
    client.force_login(med.user("head_a"))
    response = client.post(reverse("mediation:agreement-pdf", args=[dispute.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert AccessLog.objects.filter(viewer=med.user("head_a")).count() == 2


@pytest.mark.parametrize("who", ["community_b", "grid_b", "head_b", "mediator_b", "unit_b", "dept"])
def test_out_of_scope_is_404(client, med, dispute, who):
    client.force_login(med.user(who))
    assert client.get(reverse("mediation:dispute", args=[dispute.pk])).status_code == 404
    # The API: staff and mediators elsewhere get 404; those with no desk at all get 403.
    api = client.get(f"/api/mediation/disputes/{dispute.pk}/").status_code
    assert api == (403 if who in ("dept", "unit_b") else 404)
    for step in ("assign", "terms", "session", "follow_up"):
        response = client.post(reverse("mediation:step", args=[dispute.pk, step]), {})
        assert response.status_code == 404
    assert (
        client.post(reverse("mediation:reveal", args=[dispute.pk]), {"reason": "x"}).status_code
        == 404
    )
    assert dispute.events.count() == 2  # received, mediator: nothing written


def test_a_grid_worker_outside_the_place_does_not_see_it(client, med):
    other_grid = med.dispute(place=med.t.a.buildings[1])  # under a's second grid
    client.force_login(med.user("grid_a"))
    assert client.get(reverse("mediation:dispute", args=[other_grid.pk])).status_code == 404


def test_residents_do_not_reach_the_desk_pages(client, med, dispute):
    client.force_login(med.user("resident_a"))
    assert client.get(reverse("mediation:list")).status_code == 404
    assert client.get(reverse("mediation:dispute", args=[dispute.pk])).status_code == 404
    assert client.get(f"/api/mediation/disputes/{dispute.pk}/").status_code == 403


def test_only_mediators_take_the_steps_that_touch_details(med, dispute):
    with pytest.raises(ValidationError):
        actions.record_agreement(dispute, actor=med.user("community_a"), terms="x")
    with pytest.raises(ValidationError):
        actions.assign_mediator(
            dispute, actor=med.user("grid_a"), user=med.user("head_a"), kind="community"
        )
    with pytest.raises(ValidationError) as exc:  # staff of the other community
        actions.assign_mediator(
            dispute, actor=med.user("community_a"), user=med.user("mediator_b"), kind="community"
        )
    assert "staff of this community" in str(exc.value)
    with pytest.raises(ValidationError) as exc:  # a unit that does not serve community a
        unit_b = med.t.b.users["unit"].role_assignments.get().unit
        actions.assign_mediator(
            dispute,
            actor=med.user("community_a"),
            user=med.user("unit_b"),
            kind="lawyer",
            unit=unit_b,
        )
    assert "does not serve" in str(exc.value)
