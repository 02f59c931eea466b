"""The admin's side doors into the time bank are shut (portal.write_path): orders, vouchers and
certificates cannot be deleted (the ledger's keys point at them), claims and wishes cannot be
edited through the generic form, and the admin actions do the work through the operations.
The Excel export masks numbers for the viewer of each request, also with two viewers at once."""

from __future__ import annotations

import io
import threading
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.utils import translation
from openpyxl import load_workbook

from grids.models import CoBuildingUnit
from tests.volunteers.conftest import make_volunteer, place, serve
from volunteers import actions, ledger
from volunteers.admin import export_xlsx
from volunteers.models import (
    Certificate,
    MicroWish,
    PartyReport,
    PointsPolicy,
    PostClaim,
    Reward,
    ServiceOrder,
    ServicePost,
    TeamMembership,
    Volunteer,
    Voucher,
)

pytestmark = pytest.mark.django_db

PHONE, MASKED = "13812345678", "138****5678"


def _url(obj, view: str) -> str:
    opts = obj._meta
    return f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/{view}/"


def _changelist(model) -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/"


def _act(client, model, action: str, *objs):
    return client.post(
        _changelist(model), {"action": action, "_selected_action": [o.pk for o in objs]}
    )


def _settled_order(t):
    helper = make_volunteer(t.user("grid_a"), t.a.community)
    order = actions.confirm_order(serve(place(t), helper.user), t.user("resident_a"), 5)
    return helper, ServiceOrder.objects.get(pk=order.pk)


def _voucher(t) -> Voucher:
    user = t.user("resident_a")
    ledger.award(user, Decimal(5), t.a.community, key="seed")
    reward = Reward.objects.create(
        community=t.a.community, name="爱心超市大米", kind="goods", cost=150, stock=2
    )
    return actions.redeem_reward(user, reward, key="req-1")


def _claim(t) -> PostClaim:
    post = ServicePost.objects.create(community=t.a.community, title="文明劝导岗", quota=2)
    report = PartyReport.objects.create(
        status="confirmed",
        community=t.a.community,
        member=t.user("grid_a"),
        year=2026,
        promise="每月服务",
    )
    return actions.claim_post(post, report)


# --- no delete where the ledger points ------------------------------------------------------
@pytest.mark.parametrize("role", ["community_a", "superuser"])
def test_orders_vouchers_and_certificates_cannot_be_deleted(client, territory, role):
    t = territory
    helper, order = _settled_order(t)
    voucher = _voucher(t)
    certificate = actions.issue_certificate(helper, t.user("community_a"))
    client.force_login(t.user(role))
    for obj in (order, voucher, certificate):
        assert client.get(_url(obj, "change")).status_code == 200
        assert client.post(_url(obj, "delete"), {"post": "yes"}).status_code == 403
        response = _act(client, type(obj), "delete_selected", obj)
        assert type(obj).objects.filter(pk=obj.pk).exists(), obj
        assert response.status_code in (200, 302)


# --- no edits through the form ----------------------------------------------------------------
def test_claims_and_wishes_cannot_be_edited_through_the_form(client, territory):
    t = territory
    claim = _claim(t)
    other = ServicePost.objects.create(community=t.a.community, title="另一个岗位", quota=5)
    wish = actions.post_wish(t.user("community_a"), t.a.community, "一台收音机", "王奶奶")
    client.force_login(t.user("community_a"))
    response = client.post(_url(claim, "change"), {"post": other.pk, "report": claim.report_id})
    assert response.status_code == 403
    response = client.post(
        _url(wish, "change"),
        {"community": t.a.community.pk, "title": "改了", "beneficiary": "x", "status": "fulfilled"},
    )
    assert response.status_code == 403
    claim.refresh_from_db()
    wish.refresh_from_db()
    assert claim.post_id != other.pk and wish.title == "一台收音机" and wish.status == "open"
    for obj in (claim, wish):
        assert client.post(_url(obj, "delete"), {"post": "yes"}).status_code == 403
    assert client.get(_url(wish, "change")).context["has_change_permission"] is False


def test_membership_inline_is_read_only(client, territory):
    t = territory
    leader = make_volunteer(t.user("grid_a"), t.a.community)
    team = actions.Team.objects.create(community=t.a.community, name="助老队", leader=leader)
    member = make_volunteer(t.user("unit_a"), t.a.community)
    membership = actions.join_team(member, team)
    client.force_login(t.user("superuser"))
    response = client.get(_url(team, "change"))
    inline = response.context["inline_admin_formsets"][0]
    assert not inline.has_add_permission and not inline.has_delete_permission
    assert not inline.has_change_permission
    assert client.post(_url(membership, "delete"), {"post": "yes"}).status_code == 403
    assert TeamMembership.objects.filter(pk=membership.pk).exists()


# --- the admin actions call the operations -----------------------------------------------------
def test_order_actions_approve_and_cancel_through_the_operations(client, territory):
    t = territory
    PointsPolicy.objects.create(
        community=t.a.community, point_type=ledger.point_type(), approval_required=True
    )
    helper, confirmed = _settled_order(t)
    open_order = place(t)
    client.force_login(t.user("community_a"))
    _act(client, ServiceOrder, "approve", confirmed)
    _act(client, ServiceOrder, "cancel", open_order, confirmed)
    confirmed.refresh_from_db()
    open_order.refresh_from_db()
    assert confirmed.status == "settled" and open_order.status == "cancelled"
    assert ledger.balance(ledger.member_account(helper.user, t.a.community)) == 125
    response = client.get(_changelist(ServiceOrder))
    warnings = [str(m) for m in response.context["messages"]]
    assert any("can no longer be cancelled" in m for m in warnings)  # the settled one


def test_voucher_action_marks_it_used_once(client, territory):
    t = territory
    voucher = _voucher(t)
    client.force_login(t.user("community_a"))
    _act(client, Voucher, "mark_used", voucher)
    voucher.refresh_from_db()
    assert voucher.used_at is not None and voucher.used_by == t.user("community_a")
    response = _act(client, Voucher, "mark_used", voucher)
    assert response.status_code == 302
    messages = [str(m) for m in client.get(_changelist(Voucher)).context["messages"]]
    assert any("already been used" in m for m in messages)


def test_claim_action_withdraws_and_gives_the_place_back(client, territory):
    t = territory
    claim = _claim(t)
    client.force_login(t.user("community_a"))
    _act(client, PostClaim, "withdraw", claim)
    assert not PostClaim.objects.filter(pk=claim.pk).exists()
    assert ServicePost.objects.get(pk=claim.post_id).claimed_count == 0


def test_claim_withdrawal_needs_the_communitys_staff(territory):
    t = territory
    claim = _claim(t)
    with pytest.raises(actions.ValidationError, match="staff"):
        actions.withdraw_claim(claim, t.user("resident_a"))
    with pytest.raises(actions.ValidationError, match="staff"):
        actions.withdraw_claim(claim, t.user("community_b"))
    actions.withdraw_claim(claim, t.user("community_a"))
    actions.withdraw_claim(claim, t.user("community_a"))  # twice: gives back once
    assert ServicePost.objects.get(pk=claim.post_id).claimed_count == 0


def test_wish_is_posted_by_the_add_form_and_fulfilled_by_the_action(client, territory):
    t = territory
    staff = t.user("community_a")
    client.force_login(staff)
    add = f"{_changelist(MicroWish)}add/"
    form = client.get(add).context["adminform"].form
    assert set(form.fields) == {"community", "title", "beneficiary", "contact"}
    response = client.post(
        add, {"community": t.a.community.pk, "title": " 一台收音机 ", "beneficiary": "王奶奶"}
    )
    assert response.status_code == 302
    wish = MicroWish.objects.get()
    assert wish.posted_by == staff and wish.title == "一台收音机" and wish.status == "open"
    # A community outside the user's scope is refused whole.
    response = client.post(add, {"community": t.b.community.pk, "title": "x", "beneficiary": "y"})
    assert response.status_code in (200, 403) and MicroWish.objects.count() == 1
    actions.claim_wish(wish, t.user("resident_a"))
    _act(client, MicroWish, "fulfil", wish)
    wish.refresh_from_db()
    assert wish.status == "fulfilled" and wish.fulfilled_at is not None


def test_certificates_are_issued_by_the_volunteers_action(client, territory):
    t = territory
    helper, _order = _settled_order(t)
    idle = make_volunteer(t.user("unit_a"), t.a.community)
    client.force_login(t.user("community_a"))
    _act(client, Volunteer, "issue_certificates", helper, idle)
    certificate = Certificate.objects.get()
    assert certificate.volunteer == helper and certificate.issued_by == t.user("community_a")
    messages = [str(m) for m in client.get(_changelist(Volunteer)).context["messages"]]
    assert any("no approved hours" in m for m in messages)  # the idle one, named


def test_unit_claims_through_the_admin_are_refused(client, territory):
    """A unit member (not staff) cannot reach the admin's actions at all."""
    t = territory
    claim = _claim(t)
    assert CoBuildingUnit.objects.exists()
    client.force_login(t.user("unit_a"))
    response = _act(client, PostClaim, "withdraw", claim)
    assert response.status_code in (302, 403)
    assert PostClaim.objects.filter(pk=claim.pk).exists()


# --- the export masks per viewer ---------------------------------------------------------------
def _request(user):
    request = RequestFactory().post("/admin/volunteers/volunteer/")
    request.user = user
    return request


def _exported_phones(user) -> list[str]:
    model_admin = admin.site._registry[Volunteer]
    response = export_xlsx(model_admin, _request(user), Volunteer.objects.order_by("pk"))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    column = rows[0].index("mobile phone")
    return [row[column] for row in rows[1:]]


def test_columns_belong_to_their_request(client, territory):
    """Columns built for one viewer keep that viewer after another viewer's request."""
    t = territory
    volunteer = make_volunteer(t.user("grid_a"), t.a.community)
    model_admin = admin.site._registry[Volunteer]
    own = model_admin.get_list_display(_request(t.user("community_a")))[1]
    model_admin.get_list_display(_request(t.user("community_b")))
    assert own(volunteer) == PHONE
    id_field = model_admin.get_readonly_fields(_request(t.user("community_b")), volunteer)[-1]
    assert id_field(volunteer) == "350502********1234"
    assert _exported_phones(t.user("community_a")) == [PHONE]
    assert _exported_phones(t.user("community_b")) == [MASKED]
    # The change form (editable for a superuser) shows the number read-only, in full.
    client.force_login(t.user("superuser"))
    response = client.get(_url(volunteer, "change"))
    assert response.status_code == 200 and "350502198001011234" in response.content.decode()
    assert "id_number" not in response.context["adminform"].form.fields


@pytest.mark.django_db(transaction=True)
def test_two_viewers_exporting_at_once_each_get_their_own_masking(transactional_territory):
    t = transactional_territory
    make_volunteer(t.user("grid_a"), t.a.community)
    viewers = {"community_a": [PHONE], "community_b": [MASKED]}
    barrier = threading.Barrier(2)
    seen: dict[str, list] = {name: [] for name in viewers}

    def export(name):
        try:
            translation.activate("en")  # the language is per thread
            barrier.wait()
            for _ in range(15):
                seen[name].append(_exported_phones(t.user(name)))
        finally:
            connection.close()

    threads = [threading.Thread(target=export, args=(name,)) for name in viewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for name, expected in viewers.items():
        assert seen[name] == [expected] * 15, name


def test_volunteers_register_on_the_site_not_in_the_admin(client, territory):
    """The add form skipped consent, the points account and the starter grant (and, with the
    account read-only, failed on save)."""
    client.force_login(territory.user("superuser"))
    assert client.get(f"{_changelist(Volunteer)}add/").status_code == 403


def test_editing_a_post_never_writes_back_its_claimed_count(client, territory, monkeypatch):
    t = territory
    post = ServicePost.objects.create(community=t.a.community, title="文明劝导岗", quota=2)
    report = PartyReport.objects.create(
        status="confirmed",
        community=t.a.community,
        member=t.user("grid_a"),
        year=2026,
        promise="每月服务",
    )
    form_class = admin.site._registry[ServicePost].form
    validate = form_class.clean

    def claim_meanwhile(form):
        # A resident claims a place after the admin read the post and before it saves.
        if not PostClaim.objects.exists():
            actions.claim_post(post, report)
        return validate(form)

    monkeypatch.setattr(form_class, "clean", claim_meanwhile)
    client.force_login(t.user("community_a"))
    data = {"community": t.a.community.pk, "kind": "post", "title": "新名称", "description": ""}
    response = client.post(_url(post, "change"), {**data, "quota": 3})
    assert response.status_code == 302
    post.refresh_from_db()
    assert (post.title, post.quota, post.claimed_count) == ("新名称", 3, 1)
    # Below the places already claimed: a clear error on the form, not a 500.
    response = client.post(_url(post, "change"), {**data, "quota": 0})
    assert response.status_code == 200
    assert "already claimed" in str(response.context["adminform"].form.errors["quota"])
    post.refresh_from_db()
    assert post.quota == 3


def test_a_volunteers_community_is_shown_not_edited(client, territory):
    """Their points account and passbook live in that community: no operation moves them, so
    the form must not (it would leave the account behind)."""
    volunteer = make_volunteer(territory.user("grid_a"), territory.a.community)
    client.force_login(territory.user("superuser"))
    form = client.get(_url(volunteer, "change")).context["adminform"].form
    assert "community" not in form.fields
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update(community=territory.b.community.pk, status=volunteer.status)
    client.post(_url(volunteer, "change"), data)
    volunteer.refresh_from_db()
    assert volunteer.community_id == territory.a.community.pk
