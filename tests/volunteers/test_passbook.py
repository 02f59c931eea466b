"""爱心存折 for party members: the year's 党员积分 with its own running balance (福分 never
enters it), points by project, hours against the yearly target; the page, the API and the
staff's Excel all read volunteers.passbook."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.volunteers.conftest import add_relative, confirmed_report, make_volunteer, place, serve
from volunteers import actions, ledger
from volunteers.models import AccountKind, PointsPolicy, PointType, ServiceCategory, TxKind
from volunteers.passbook import passbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(territory):
    """A party member volunteering in community a, with 2 福分 of starter grant, paid for two
    services (1 h 助老陪伴, 1.5 h 代买代办): 党员积分 2.5, 福分 2 + 2.5."""
    t = territory
    add_relative(t)
    PointsPolicy.objects.create(
        community=t.a.community, point_type=ledger.point_type(), starter_grant=Decimal(2)
    )
    volunteer = make_volunteer(t.user("unit_a"), t.a.community, party=True)
    first = serve(place(t), volunteer.user, minutes=60)
    actions.confirm_order(first, t.user("resident_a"), 5)
    other, _created = ServiceCategory.objects.get_or_create(name="代买代办")
    second = place(t)
    second.category = other
    second.save(update_fields=["category"])
    actions.confirm_order(serve(second, volunteer.user, minutes=90), t.user("resident_a"), 5)
    return volunteer.user


def test_passbook_counts_party_points_only(member):
    book = passbook(member)
    assert book.opening == Decimal("0.00") and book.closing == Decimal("2.50")
    assert [line.balance for line in book.lines] == [Decimal("1.00"), Decimal("2.50")]
    assert [line.deposit for line in book.lines] == [Decimal("1.00"), Decimal("1.50")]
    assert book.by_project == [("代买代办", Decimal("1.50")), ("助老陪伴", Decimal("1.00"))]
    assert book.hours == Decimal("2.50") and book.target == Decimal(50) and not book.met
    # The 福分 account holds 4.50 (starter 2 + 2.5 earned): none of it is in the passbook.
    assert actions.rewards.fufen_balance(member) == Decimal("4.50")


def test_balance_brought_forward_and_target_from_the_confirmed_report(member, territory):
    t = territory
    year = timezone.localdate().year
    # Last year's 党员积分: brought forward into this year's opening balance.
    last_year = timezone.now() - timedelta(days=400)
    party = ledger.point_type(PointType.PARTY)
    ledger.post(
        TxKind.AWARD,
        "last-year",
        t.a.community,
        [
            ledger.Leg(ledger.system_account(t.a.community, AccountKind.ISSUANCE, party), -300),
            ledger.Leg(ledger.member_account(member, t.a.community, party), 300),
        ],
        memo="去年",
        occurred_at=last_year,
    )
    report = confirmed_report(t.a.community, member=member, year=year)
    report.target_hours = Decimal(2)
    report.save(update_fields=["target_hours"])
    book = passbook(member, year)
    assert book.opening == Decimal("3.00") and book.closing == Decimal("5.50")
    assert book.lines[0].balance == Decimal("4.00")
    assert book.target == Decimal(2) and book.met
    assert book.years[0] == year and last_year.year in book.years
    old = passbook(member, last_year.year)
    assert old.opening == 0 and old.closing == Decimal("3.00")


def test_a_pending_report_does_not_set_the_target(member, territory):
    t = territory
    report = actions.submit_report(member, actions.ReportIntake(promise="每月服务", target_hours=5))
    assert report.status == "pending"
    assert passbook(member).target == Decimal(50)
    actions.decide_report(report, t.user("community_a"), True)
    assert passbook(member).target == Decimal(5)


def test_passbook_page_for_the_member(client, member, django_assert_max_num_queries):
    client.force_login(member)
    client.get("/volunteers/passbook/")
    # 10, and one more when another test bumped the shared scope generation meanwhile.
    with django_assert_max_num_queries(11):
        r = client.get("/volunteers/passbook/")
    page = r.content.decode()
    assert r.status_code == 200
    assert 'id="party-balance">2.50<' in page and 'id="hours">2.50<' in page
    assert "代买代办" in page and "助老陪伴" in page and "target 50.00 h" in page
    assert "福分 balance" not in page
    # A year given badly is today's year, never a 500.
    assert client.get("/volunteers/passbook/?year=abc").status_code == 200
    assert client.get("/volunteers/passbook/?year=99999").status_code == 200


def test_passbook_page_for_someone_without_party_points(client, territory):
    client.force_login(territory.user("resident_b"))
    r = client.get("/volunteers/passbook/")
    assert r.status_code == 200 and "No 党员积分 this year yet" in r.content.decode()


def test_passbook_needs_a_login(client):
    r = client.get("/volunteers/passbook/")
    assert r.status_code == 302 and r["Location"].startswith("/cases/login/")


def test_passbook_api(member):
    api = APIClient()
    api.force_authenticate(member)
    body = api.get("/api/volunteers/me/passbook/").json()
    assert body["closing"] == "2.50" and body["target"] == "50.00"
    assert [row["balance"] for row in body["lines"]] == ["1.00", "2.50"]
    assert body["by_project"][0] == {"project": "代买代办", "points": "1.50"}
    assert api.get("/api/volunteers/me/passbook/?year=x").status_code == 400
