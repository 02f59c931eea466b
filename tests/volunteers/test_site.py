"""The public phone pages, through the real views: the whole order flow, refusals shown as
messages (never a 500), pinned query counts, privacy on the wish wall and certificates."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.volunteers.conftest import add_relative, make_volunteer, place
from volunteers import actions, ledger
from volunteers.models import OrderStatus, Reward, ServiceCategory, ServiceOrder, Voucher

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(territory):
    add_relative(territory)  # links resident_a to a Resident row (their community)
    return territory


def login(client, user):
    client.force_login(user)
    return client


def test_register_needs_consent_then_shows_profile(client, people):
    t = people
    login(client, t.user("relative_a"))
    data = {"real_name": "李四", "phone": "13812345678", "id_number": "35050219800101123X"}
    r = client.post("/volunteers/register/", data)
    assert r.status_code == 200
    assert "consent" in r.context["form"].errors
    r = client.post("/volunteers/register/", {**data, "consent": "on"}, follow=True)
    assert r.status_code == 200
    page = r.content.decode()
    assert "李四" in page and "138****5678" in page and "13812345678" not in page


def test_order_flow_through_the_pages(client, people):
    t = people
    helper = make_volunteer(t.user("grid_a"), t.a.community)
    ServiceCategory.objects.create(name="代买代办")
    resident = login(client, t.user("resident_a"))
    when = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    r = resident.post(
        "/volunteers/orders/new/",
        {
            "category": ServiceCategory.objects.get().pk,
            "description": "帮忙买菜",
            "place": "甲1号楼",
            "scheduled_at": when,
            "estimated_hours": "1",
        },
    )
    order = ServiceOrder.objects.get()
    assert r.status_code == 302 and r.url == f"/volunteers/orders/{order.pk}/"

    from django.test import Client

    vol = login(Client(headers={"accept-language": "en"}), helper.user)
    assert "帮忙买菜" in vol.get("/volunteers/orders/").content.decode()
    vol.post(f"/volunteers/orders/{order.pk}/take/")
    assert ServiceOrder.objects.get().status == OrderStatus.TAKEN

    page = resident.get(f"/volunteers/orders/{order.pk}/")
    assert "<svg" in page.content.decode()
    token = page.context["token"]
    # A tampered code: a clear message, the order unchanged.
    r = vol.post(f"/volunteers/orders/{order.pk}/scan/", {"t": token[:-2] + "zz"}, follow=True)
    assert r.status_code == 200 and "not valid" in r.content.decode()
    assert ServiceOrder.objects.get().status == OrderStatus.TAKEN
    vol.post(f"/volunteers/orders/{order.pk}/scan/", {"t": token})
    assert ServiceOrder.objects.get().status == OrderStatus.IN_SERVICE
    ServiceOrder.objects.filter(pk=order.pk).update(
        checked_in_at=timezone.now() - timedelta(minutes=50)
    )
    out = resident.get(f"/volunteers/orders/{order.pk}/").context["token"]
    vol.post(f"/volunteers/orders/{order.pk}/scan/", {"t": out, "lat": "", "lng": ""})
    assert ServiceOrder.objects.get().hours == Decimal("0.75")
    r = resident.post(f"/volunteers/orders/{order.pk}/confirm/", {"rating": "9"}, follow=True)
    assert r.status_code == 200 and ServiceOrder.objects.get().status == OrderStatus.SERVED
    resident.post(f"/volunteers/orders/{order.pk}/confirm/", {"rating": "5"})
    assert ServiceOrder.objects.get().status == OrderStatus.SETTLED
    r = resident.post(f"/volunteers/orders/{order.pk}/confirm/", {"rating": "5"}, follow=True)
    assert "already confirmed" in r.content.decode()
    assert "0.75" in vol.get("/volunteers/points/").content.decode()


def test_order_of_another_community_is_404(client, people):
    t = people
    order = place(t)
    make_volunteer(t.user("resident_b"), t.b.community)
    login(client, t.user("resident_b"))
    assert client.get(f"/volunteers/orders/{order.pk}/").status_code == 404
    assert client.post(f"/volunteers/orders/{order.pk}/take/").status_code == 404


def test_points_page_queries_constant(client, people, django_assert_max_num_queries):
    t = people
    user = t.user("resident_a")
    for i in range(30):
        ledger.award(user, Decimal(1), t.a.community, key=f"a{i}")
    login(client, user)
    client.get("/volunteers/points/")
    with django_assert_max_num_queries(6):
        r = client.get("/volunteers/points/")
    assert r.status_code == 200
    assert len(r.context["entries"]) == 20 and r.context["balance"] == Decimal(30)


def test_open_orders_list_queries_constant(client, people, django_assert_max_num_queries):
    t = people
    make_volunteer(t.user("grid_a"), t.a.community)
    for _ in range(12):
        place(t)
    login(client, t.user("grid_a"))
    with django_assert_max_num_queries(7):
        r = client.get("/volunteers/orders/")
    assert len(r.context["orders"]) == 12


def test_redeem_page_and_refusal(client, people):
    t = people
    user = t.user("resident_a")
    reward = Reward.objects.create(
        community=t.a.community, name="理发券", kind="discount", cost=200, stock=1
    )
    login(client, user)
    r = client.post(f"/volunteers/rewards/{reward.pk}/redeem/", follow=True)
    assert "costs 2.00 福分 and you have 0.00" in r.content.decode()
    assert not Voucher.objects.exists()
    ledger.award(user, Decimal(3), t.a.community, key="a")
    r = client.post(f"/volunteers/rewards/{reward.pk}/redeem/", follow=True)
    assert Voucher.objects.get().code in r.content.decode()


def test_wish_wall_shows_no_private_details(client, people):
    t = people
    actions.post_wish(
        t.user("community_a"), t.a.community, "想要一副老花镜", "独居王奶奶", "13911112222"
    )
    r = client.get("/volunteers/wishes/")
    page = r.content.decode()
    assert "想要一副老花镜" in page
    assert "王奶奶" not in page and "13911112222" not in page


def test_certificate_only_for_holder_or_staff(client, people):
    t = people
    helper = make_volunteer(t.user("grid_a"), t.a.community)
    from tests.volunteers.conftest import serve

    order = serve(place(t), helper.user, minutes=60)
    actions.confirm_order(order, t.user("resident_a"), 5)
    cert = actions.issue_certificate(helper, t.user("community_a"))
    login(client, helper.user)
    r = client.get(f"/volunteers/certificates/{cert.number}/")
    assert r.status_code == 200 and cert.number in r.content.decode()
    login(client, t.user("community_b"))
    assert client.get(f"/volunteers/certificates/{cert.number}/").status_code == 404


def test_certificate_pdf_for_holder_and_404_elsewhere(client, people):
    t = people
    helper = make_volunteer(t.user("grid_a"), t.a.community)
    from tests.volunteers.conftest import serve

    order = serve(place(t), helper.user, minutes=90)
    actions.confirm_order(order, t.user("resident_a"), 5)
    cert = actions.issue_certificate(helper, t.user("community_a"))
    from django.urls import reverse

    url = reverse("volunteers:certificate-pdf", args=[cert.number])
    login(client, helper.user)
    page = client.get(reverse("volunteers:certificate", args=[cert.number]))
    assert url in page.content.decode()
    r = client.get(url)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF") and b"STSong-Light" in r.content
    assert "filename*=utf-8''certificate-" in r["Content-Disposition"]
    login(client, t.user("community_a"))  # staff of the volunteer's community
    assert client.get(url).status_code == 200
    login(client, t.user("community_b"))
    assert client.get(url).status_code == 404


def test_claim_and_fulfil_a_wish_from_the_wall(client, people):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from volunteers.models import MicroWish

    t = people
    wish = actions.post_wish(t.user("community_a"), t.a.community, "一台收音机", "独居李奶奶")
    assert 'href="/accounts/login/' in client.get("/volunteers/wishes/").content.decode()

    login(client, t.user("unit_a"))
    page = client.get("/volunteers/wishes/").content.decode()
    assert f"/volunteers/wishes/{wish.pk}/claim/" in page
    client.post(f"/volunteers/wishes/{wish.pk}/claim/")
    wish.refresh_from_db()
    assert wish.status == "claimed" and wish.claimed_by == t.user("unit_a")
    assert wish.claimed_unit is not None

    # Somebody else cannot claim it again, nor fulfil it.
    login(client, t.user("resident_b"))
    shown = client.post(f"/volunteers/wishes/{wish.pk}/claim/", follow=True).content.decode()
    assert "already claimed" in shown
    assert client.post(f"/volunteers/wishes/{wish.pk}/fulfil/").status_code == 404

    # A file that is not an image is refused and changes nothing; a photo fulfils it.
    login(client, t.user("unit_a"))
    junk = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    client.post(f"/volunteers/wishes/{wish.pk}/fulfil/", {"photo": junk})
    wish.refresh_from_db()
    assert wish.status == "claimed"
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 40)).save(out, format="JPEG")
    photo = SimpleUploadedFile("done.jpg", out.getvalue(), content_type="image/jpeg")
    client.post(f"/volunteers/wishes/{wish.pk}/fulfil/", {"photo": photo})
    wish = MicroWish.objects.get(pk=wish.pk)
    assert wish.status == "fulfilled" and wish.photo.name.startswith("wishes/")
    wall = client.get("/volunteers/wishes/").content.decode()
    assert "李奶奶" not in wall and 'id="my-wishes"' not in wall


def test_teams_and_posts_page_join_and_claim(client, people):
    from django.utils import timezone

    from grids.models import CoBuildingUnit
    from volunteers.models import PartyReport, PostClaim, ServicePost, Team, TeamMembership

    t = people
    helper = make_volunteer(t.user("grid_a"), t.a.community)
    team = Team.objects.create(community=t.a.community, name="夕阳红", kind="functional")
    Team.objects.create(community=t.b.community, name="别的社区队", kind="functional")
    year = timezone.localdate().year
    post = ServicePost.objects.create(community=t.a.community, title="文明劝导岗", quota=1)
    other = ServicePost.objects.create(community=t.b.community, title="乙社区岗", quota=5)
    PartyReport.objects.create(
        status="confirmed",
        community=t.a.community,
        member=helper.user,
        year=year,
        promise="每月服务",
    )

    login(client, helper.user)
    page = client.get("/volunteers/teams/").content.decode()
    assert "夕阳红" in page and "别的社区队" not in page and "乙社区岗" not in page
    client.post(f"/volunteers/teams/{team.pk}/join/")
    assert TeamMembership.objects.get(team=team).status == "pending"
    assert "Waiting for approval" in client.get("/volunteers/teams/").content.decode()

    client.post(f"/volunteers/posts/{post.pk}/claim/")
    assert PostClaim.objects.filter(post=post).count() == 1
    # The other community's post is not there for this report; the full one refuses a unit.
    assert client.post(f"/volunteers/posts/{other.pk}/claim/").status_code == 404
    unit = CoBuildingUnit.objects.get(name="共建单位a")
    PartyReport.objects.create(
        status="confirmed", community=t.a.community, unit=unit, year=year, promise="认领岗位"
    )
    login(client, t.user("unit_a"))
    shown = client.post(f"/volunteers/posts/{post.pk}/claim/", follow=True).content.decode()
    assert "All places on this post are taken" in shown or "Full" in shown
    post.refresh_from_db()
    assert post.claimed_count == 1 and PostClaim.objects.filter(post=post).count() == 1

    # Without a report there is nothing to claim with: a clear message, nothing written.
    login(client, t.user("resident_a"))
    shown = client.post(f"/volunteers/posts/{post.pk}/claim/", follow=True).content.decode()
    assert "Report to your community first" in shown
