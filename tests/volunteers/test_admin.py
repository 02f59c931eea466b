"""Staff admin: scoped lists (sibling community absent, its objects 404), masked numbers,
Excel export and the party passbook, ledger read-only, approval action."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.volunteers.conftest import make_volunteer, place, serve
from volunteers import actions, ledger
from volunteers.models import LedgerTransaction, PointsPolicy, ServiceOrder, Volunteer

pytestmark = pytest.mark.django_db


def test_orders_scoped_to_the_community(client, territory):
    t = territory
    mine, theirs = place(t), place(t, requester=t.user("resident_b"), community=t.b.community)
    client.force_login(t.user("community_a"))
    r = client.get("/admin/volunteers/serviceorder/")
    ids = {o.pk for o in r.context["cl"].result_list}
    assert mine.pk in ids and theirs.pk not in ids
    assert client.get(f"/admin/volunteers/serviceorder/{theirs.pk}/change/").status_code == 404


def test_volunteer_list_masks_numbers_outside_scope_and_exports(client, territory):
    t = territory
    make_volunteer(t.user("grid_a"), t.a.community)
    client.force_login(t.user("community_a"))
    r = client.get("/admin/volunteers/volunteer/")
    assert "13812345678" in r.content.decode()  # staff covering the area see it in full
    vid = Volunteer.objects.get().pk
    r = client.post(
        "/admin/volunteers/volunteer/",
        {"action": "export_xlsx", "_selected_action": [vid]},
    )
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[1][0] == "grid_a真名"


def test_passbook_export_is_party_points_only_with_its_own_running_balance(client, territory):
    """The 爱心存折 export: 福分 (2 starter + 1 earned) never enters the 党员积分 balance."""
    t = territory
    PointsPolicy.objects.create(
        community=t.a.community, point_type=ledger.point_type(), starter_grant=Decimal(2)
    )
    member = make_volunteer(t.user("unit_a"), t.a.community, party=True)
    for minutes in (60, 90):
        actions.confirm_order(
            serve(place(t), member.user, minutes=minutes), t.user("resident_a"), 5
        )
    client.force_login(t.user("community_a"))
    r = client.post(
        "/admin/volunteers/volunteer/",
        {"action": "export_passbook", "_selected_action": [member.pk]},
    )
    rows = list(load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    # header, brought forward, two 党员积分 deposits, hours against the target
    assert len(rows) == 5
    assert rows[0][-1] == "党员积分 balance"
    assert rows[1][7] == 0.0
    assert [row[5] for row in rows[2:4]] == [1.0, 1.5]
    assert [row[7] for row in rows[2:4]] == [1.0, 2.5]  # the 福分 (3.5 more) are not in it
    assert rows[2][3] == "助老陪伴"  # the project: the order's service category
    assert rows[-1][5] == 2.5 and rows[-1][7] == 50.0


def test_ledger_read_only_and_approve_action(client, territory):
    t = territory
    PointsPolicy.objects.create(
        community=t.a.community, point_type=ledger.point_type(), approval_required=True
    )
    helper = make_volunteer(t.user("grid_a"), t.a.community)
    order = actions.confirm_order(serve(place(t), helper.user), t.user("resident_a"), 5)
    client.force_login(t.user("community_a"))
    for _ in range(2):
        client.post(
            "/admin/volunteers/serviceorder/",
            {"action": "approve", "_selected_action": [order.pk]},
        )
    assert ServiceOrder.objects.get().status == "settled"
    txn = LedgerTransaction.objects.get()
    r = client.get(f"/admin/volunteers/ledgertransaction/{txn.pk}/change/")
    assert r.status_code == 200 and r.context["has_change_permission"] is False
    assert client.post(f"/admin/volunteers/ledgertransaction/{txn.pk}/delete/").status_code == 403
    assert ledger.balance(ledger.member_account(helper.user, t.a.community)) == Decimal(125)
