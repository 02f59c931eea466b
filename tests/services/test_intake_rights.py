"""The one rule behind every intake (services.actions.intake_rights): which channel and
flags each role may set, the kiosk account, and forged fields refused by name through the API
(the desk form's refusals are in test_desk_intake.py)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from services import actions
from services.actions import Intake
from services.models import Case

CASES_API = "/api/services/cases/"
CALLER_PHONE = "13700001234"


RIGHTS = {
    "anonymous": ("resident_web",),
    "resident_a": ("resident_web",),
    "unit_a": ("unit", "resident_web"),
    "dept": ("resident_web",),
    "grid_a": ("grid_worker", "resident_web"),
    "community_a": ("hotline", "window", "unit", "grid_worker", "resident_web"),
    "street": ("hotline", "window", "unit", "resident_web"),
    "district": ("hotline", "window", "unit", "resident_web"),
    "superuser": ("hotline", "window", "unit", "grid_worker", "resident_web"),
}
ALL_CHANNELS = ("resident_web", "grid_worker", "hotline", "unit", "kiosk", "window")


@pytest.mark.parametrize("role", RIGHTS)
def test_each_role_files_on_its_own_channels_and_no_other(desk, role):
    actor = desk.user(role)
    assert actions.intake_rights(actor).channels == RIGHTS[role]
    for channel in ALL_CHANNELS:
        intake = Intake(
            case_type="help",
            category=desk.potholes,
            description="路灯坏了",
            place=desk.t.a.buildings[0],
            channel=channel,
            reporter_phone=CALLER_PHONE,
        )
        if channel in RIGHTS[role]:
            case = actions.submit_case(intake, actor=actor)
            assert case.channel == channel
        else:
            with pytest.raises(actions.intake.ValidationError) as exc:
                actions.submit_case(intake, actor=actor)
            assert set(exc.value.message_dict) == {"channel"}, (role, channel)
    # Without a channel the actor's own is used.
    case = desk.file(actor=actor, reporter_phone=CALLER_PHONE)
    assert case.channel == RIGHTS[role][0]


def test_a_kiosk_account_files_as_kiosk_only_and_needs_a_phone(desk, settings):
    from tests.territory import make_user

    kiosk = make_user("kiosk-lobby")
    settings.LINLI = {**settings.LINLI, "KIOSK_USERS": ["kiosk-lobby"]}
    assert actions.intake_rights(kiosk).channels == ("kiosk",)
    with pytest.raises(actions.intake.ValidationError) as exc:
        desk.file(actor=kiosk)
    assert set(exc.value.message_dict) == {"reporter_phone"}
    case = desk.file(actor=kiosk, reporter_phone=desk.user("resident_a").phone)
    # The machine is never the reporter; the account behind the number is.
    assert case.channel == "kiosk" and case.reporter == desk.user("resident_a")
    with pytest.raises(actions.intake.ValidationError) as exc:
        desk.file(actor=kiosk, channel="resident_web", reporter_phone=CALLER_PHONE)
    assert "channel" in exc.value.message_dict
    # Nobody else files as a kiosk, the superuser included.
    with pytest.raises(actions.intake.ValidationError):
        desk.file(actor=desk.user("superuser"), channel="kiosk")


@pytest.mark.parametrize(
    "forged",
    [
        {"channel": "grid_worker"},
        {"channel": "hotline"},
        {"channel": "kiosk"},
        {"urgency": "critical"},
        {"case_type": "emergency"},
        {"raised_before_complaint": True},
        {"handled_on_spot": True, "result": "已处理"},
    ],
    ids=lambda f: next(iter(f)) + "=" + str(next(iter(f.values()))),
)
def test_the_api_refuses_what_a_resident_may_not_set_naming_the_field(desk, forged):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(desk.user("resident_a"))
    base = {
        "case_type": "help",
        "category": desk.potholes.pk,
        "description": "楼道灯坏了",
        "place": desk.t.a.buildings[0].pk,
    }
    r = api.post(CASES_API, {**base, **forged}, format="json")
    assert r.status_code == 400, r.content
    assert set(r.json()) == {next(iter(forged))}, r.json()
    assert not Case.objects.exists()
    # The same request without the forged field is accepted as the resident's own.
    r = api.post(CASES_API, base, format="json")
    assert r.status_code == 201 and r.json()["channel"] == "resident_web"
    case = Case.objects.get()
    assert case.reporter == desk.user("resident_a") and case.urgency == "normal"


def test_staff_set_urgency_and_未诉先办_only_where_the_rule_allows(desk):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    api.force_authenticate(desk.user("community_a"))
    body = {
        "case_type": "help",
        "category": desk.potholes.pk,
        "description": "井盖松动",
        "place": desk.t.a.buildings[0].pk,
    }
    r = api.post(CASES_API, {**body, "channel": "hotline", "urgency": "urgent"}, format="json")
    assert r.status_code == 201 and r.json()["urgency"] == "urgent"
    # A hotline call is a complaint already: never 未诉先办 (Chinese message, naming the field).
    r = api.post(
        CASES_API, {**body, "channel": "hotline", "raised_before_complaint": True}, format="json"
    )
    assert r.status_code == 400 and "未诉先办" in r.json()["raised_before_complaint"][0]
    r = api.post(
        CASES_API,
        {**body, "channel": "grid_worker", "raised_before_complaint": True},
        format="json",
    )
    assert r.status_code == 201
    assert Case.objects.filter(raised_before_complaint=True, channel="grid_worker").count() == 1
