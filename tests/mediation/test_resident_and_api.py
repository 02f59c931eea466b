"""Residents ask for mediation on the phone and follow their own dispute (never another's);
the API takes disputes in, converts cases and runs the steps, scoped, with errors naming the
field."""

from __future__ import annotations

import pytest
from django.urls import reverse

from grids.models import Resident
from mediation import actions
from mediation.models import Dispute
from services import actions as case_actions
from services.actions import Intake

pytestmark = pytest.mark.django_db


def test_a_resident_asks_and_follows_their_request(client, med):
    resident = med.user("resident_a")
    Resident.objects.create(
        household=med.t.a.households[0], user=resident, name="赵阿姨", phone="13900000001"
    )
    client.force_login(resident)
    page = client.get(reverse("mediation:ask"))
    assert page.status_code == 200 and "only by the mediators" in page.content.decode()
    response = client.post(
        reverse("mediation:ask"),
        {
            "kind": "neighbour",
            "other_party": "302室住户",
            "facts": "楼上每晚十二点后跳绳，噪音很大。",
        },
    )
    dispute = Dispute.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("mediation:mine-detail", args=[dispute.pk])
    assert (dispute.source, dispute.requested_by, dispute.place) == (
        "resident",
        resident,
        med.t.a.buildings[0],
    )
    applicant = dispute.parties.get(side="applicant")
    assert (applicant.name, applicant.phone) == ("赵阿姨", "13900000001")
    page = client.get(response["Location"])
    html = page.content.decode()
    assert dispute.number in html and "Request received" in html
    assert "302" not in html  # the other side is not repeated back
    mediator = med.user("mediator_a")
    actions.assign_mediator(dispute, actor=med.user("community_a"), user=mediator, kind="community")
    html = client.get(response["Location"]).content.decode()
    assert "A mediator was assigned" in html and "调解员" not in html
    assert client.get(reverse("mediation:mine")).content.decode().count(dispute.number) == 1


def test_a_resident_sees_only_their_own(client, med):
    d = med.dispute()
    client.force_login(med.user("resident_a"))
    assert client.get(reverse("mediation:mine-detail", args=[d.pk])).status_code == 404
    client.force_login(med.user("resident_b"))
    assert client.get(reverse("mediation:mine-detail", args=[d.pk])).status_code == 404


def test_bad_requests_are_answered_in_words(client, med):
    client.force_login(med.user("resident_a"))
    response = client.post(
        reverse("mediation:ask"), {"kind": "neighbour", "other_party": "", "facts": ""}
    )
    assert response.status_code == 400 and not Dispute.objects.exists()
    assert "This field is required" in response.content.decode()
    response = client.post(
        reverse("mediation:ask"),
        {"kind": "neighbour", "other_party": "x", "facts": "y", "phone": "123"},
    )
    assert response.status_code == 400 and "mobile number" in response.content.decode()
    assert not Dispute.objects.exists()
    # Not a resident of any household: told so, nothing written.
    client.force_login(med.user("unit_a"))
    response = client.post(
        reverse("mediation:ask"), {"kind": "neighbour", "other_party": "x", "facts": "y"}
    )
    assert "registered in a household" in response.content.decode()
    assert not Dispute.objects.exists()


def test_api_intake_and_steps(client, med):
    client.force_login(med.user("community_a"))
    body = {
        "place": med.t.a.buildings[0].pk,
        "kind": "property",
        "summary": "物业费纠纷",
        "facts": "业主认为电梯长期故障，拒交物业费。",
        "parties": [
            {"side": "applicant", "kind": "company", "name": "某物业公司"},
            {"side": "respondent", "name": "张三", "phone": "13812340000"},
        ],
    }
    response = client.post("/api/mediation/disputes/", body, content_type="application/json")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert response.json()["parties"][1]["phone"] == "138****0000"
    # Out of scope place, bad input: 400 naming the field, nothing written.
    bad = dict(body, place=med.t.b.buildings[0].pk)
    response = client.post("/api/mediation/disputes/", bad, content_type="application/json")
    assert response.status_code == 400 and "place" in response.json()
    response = client.post(
        "/api/mediation/disputes/", dict(body, parties=[]), content_type="application/json"
    )
    assert response.status_code == 400 and "parties" in response.json()
    assert Dispute.objects.count() == 1
    mediator = med.user("mediator_a")
    response = client.post(
        f"/api/mediation/disputes/{pk}/mediators/",
        {"user": mediator.pk, "kind": "community"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == "mediating"
    client.force_login(mediator)
    response = client.post(
        f"/api/mediation/disputes/{pk}/agreement/",
        {"terms": "修电梯后补交"},
        content_type="application/json",
    )
    assert response.json()["status"] == "agreed"
    for party in Dispute.objects.get(pk=pk).parties.all():
        response = client.post(
            f"/api/mediation/disputes/{pk}/signatures/",
            {"party": party.pk},
            content_type="application/json",
        )
    assert response.json()["status"] == "settled"
    response = client.post(
        f"/api/mediation/disputes/{pk}/signatures/",
        {"party": party.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    figures = client.get("/api/mediation/figures/").json()
    assert figures[0]["settled"] == 1
    assert client.get("/api/mediation/figures/", {"from": "bad"}).status_code == 400


def test_api_converts_a_case(client, med):
    case = case_actions.dispatch(
        case_actions.submit_case(
            Intake(
                case_type="complaint",
                category=med.pets,
                description="狗叫扰民",
                place=med.t.a.buildings[0],
            ),
            actor=med.user("resident_a"),
        ),
        actor=None,
    )
    client.force_login(med.user("community_b"))
    response = client.post(
        "/api/mediation/disputes/convert/", {"case": case.pk}, content_type="application/json"
    )
    assert response.status_code == 400 and "case" in response.json()
    client.force_login(med.user("community_a"))
    response = client.post(
        "/api/mediation/disputes/convert/", {"case": case.pk}, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["case_number"] == case.number


def test_the_schema_lists_the_endpoints(client, med):
    client.force_login(med.user("community_a"))
    schema = client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "/api/mediation/disputes/" in paths
    assert "/api/mediation/disputes/{id}/reveal/" in paths
    assert "/api/mediation/figures/" in paths
