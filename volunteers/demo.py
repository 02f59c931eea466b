"""Demo data for the time bank (manage.py seed_demo): categories, skills, a policy, two
volunteers (one a party member) with teams, the talent pool, 双报到 reports (the member's and
the unit's confirmed by the community) and posts, orders in several states — one served, rated
and paid — a charity-shop reward redeemed with its voucher, a 通存通兑 agreement with the next
community and a reward there, micro-wishes (one of a resident waiting for review) and a
certificate. Idempotent: a second run finds everything there.

`seed_city` bulk-loads the ledger for the benchmarks (LINLI_SEED_LEDGER_ENTRIES entries,
default 5,000,000) straight in SQL."""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from grids.demo import _user
from grids.models import Area, CoBuildingUnit, Household, Resident, Role, RoleAssignment
from volunteers import actions, ledger
from volunteers.models import (
    Account,
    AccountBalance,
    AccountKind,
    MicroWish,
    PointsPolicy,
    Reward,
    ServiceCategory,
    ServiceOrder,
    ServicePost,
    Skill,
    Talent,
    Team,
    TeamMembership,
    Volunteer,
)

CATEGORIES = [
    "助老陪伴",
    "代买代办",
    "助餐送餐",
    "家电维修",
    "理发",
    "心理疏导",
    "法律咨询",
    "健康义诊",
]
SKILLS = ["医疗护理", "法律", "教育辅导", "电工维修", "理发", "心理咨询", "文艺"]


def _resident_user(ctx, username, name, community, index, phone):
    """A demo resident login living in `community` (the index-th household there)."""
    household = (
        Household.objects.filter(building__path__startswith=community.path)
        .order_by("pk")[index : index + 1]
        .first()
    )
    user = _user(ctx, username, name, Role.RESIDENT.label, str(household), phone=phone)
    if not RoleAssignment.objects.filter(user=user, role=Role.RESIDENT).exists():
        RoleAssignment.objects.create(user=user, role=Role.RESIDENT, household=household)
    if not Resident.objects.filter(user=user).exists():
        Resident.objects.create(household=household, name=name, user=user, phone=phone)
    return user


def _serve(order, volunteer_user, minutes):
    actions.take_order(order, volunteer_user)
    actions.check_in(order, volunteer_user, actions.qr_token(order, "in"))
    # Demo only: pretend the service began `minutes` ago.
    started = timezone.now() - timedelta(minutes=minutes)
    ServiceOrder.objects.filter(pk=order.pk).update(checked_in_at=started)
    return actions.check_out(order, volunteer_user, actions.qr_token(order, "out"))


@transaction.atomic
def seed(ctx) -> None:
    c1 = ctx.communities[0]
    for i, name in enumerate(CATEGORIES):
        ServiceCategory.objects.get_or_create(name=name, defaults={"sort": i})
    for name in SKILLS:
        Skill.objects.get_or_create(name=name)
    fufen = ledger.point_type()
    ledger.point_type("party")
    PointsPolicy.objects.get_or_create(
        community=c1,
        point_type=fufen,
        defaults={"starter_grant": Decimal(2), "storage_cap": Decimal(1500)},
    )
    volunteer_user = _resident_user(ctx, "volunteer1", "志愿者 郭", c1, 3, "13800000011")
    party_user = _resident_user(ctx, "party1", "党员 蔡", c1, 4, "13800000012")
    # Name what these two residents do in the login list (they were listed as residents).
    roles = {"volunteer1": "居民·志愿者", "party1": "居民·党员志愿者"}
    ctx.logins[:] = [(roles.get(u, r), u, w) for r, u, w in ctx.logins]
    resident = ctx.users.get("resident1")
    staff = ctx.users.get("community1")
    if Volunteer.objects.filter(user=volunteer_user).exists():
        return  # seeded before
    if resident is None or staff is None:
        return
    vol = actions.register_volunteer(
        volunteer_user,
        actions.Registration(
            community=c1,
            real_name="郭志强",
            phone="13800000011",
            id_number="350502198505051234",
            consent=True,
            availability="周末全天",
            skills=tuple(Skill.objects.filter(name__in=["电工维修", "理发"])),
        ),
    )
    party = actions.register_volunteer(
        party_user,
        actions.Registration(
            community=c1,
            real_name="蔡丽华",
            phone="13800000012",
            id_number="350502197806061234",
            consent=True,
            is_party_member=True,
            availability="工作日晚上",
            skills=tuple(Skill.objects.filter(name__in=["医疗护理"])),
        ),
    )
    seniors = Team.objects.create(
        community=c1, name="夕阳红志愿服务队", kind="functional", leader=vol
    )
    pioneers = Team.objects.create(community=c1, name="党员先锋服务队", kind="party", leader=party)
    TeamMembership.objects.create(team=seniors, volunteer=vol, status="approved")
    actions.join_team(party, seniors)  # awaiting the leader's approval
    TeamMembership.objects.create(team=pioneers, volunteer=party, status="approved")
    Talent.objects.create(
        volunteer=party,
        profession="社区医生",
        service_menu="量血压、慢病随访",
        hours_offered="周三晚",
    )
    # 双报到: the member and the unit report (亮身份、亮承诺), the community confirms.
    report = actions.submit_report(
        party_user,
        actions.ReportIntake(
            promise="每月义诊一次", work_unit="市第一医院", party_branch="市第一医院党委第三支部"
        ),
    )
    actions.decide_report(report, staff, True)
    report.refresh_from_db()
    unit = CoBuildingUnit.objects.filter(home_community=c1).first()
    unit_user = ctx.users.get("unit1")
    if unit and unit_user:
        unit_report = actions.submit_report(
            unit_user, actions.ReportIntake(promise="认领文明劝导岗"), unit=unit
        )
        actions.decide_report(unit_report, staff, True)
    post = ServicePost.objects.create(
        community=c1, title="周末文明劝导岗", quota=10, description="每周六上午"
    )
    actions.claim_post(post, report)
    ServicePost.objects.create(community=c1, kind="project", title="楼道微改造共建", quota=3)

    cats = {c.name: c for c in ServiceCategory.objects.all()}
    soon = timezone.now() + timedelta(days=1)

    def order(category, description, hours="1"):
        return actions.place_order(
            actions.OrderIntake(
                requester=resident,
                community=c1,
                category=cats[category],
                description=description,
                place=str(Resident.objects.filter(user=resident).first().household),
                scheduled_at=soon,
                estimated_hours=Decimal(hours),
            ),
            resident,
        )

    # Done when: ordered, taken, checked in and out, rated, paid, spent in the charity shop.
    paid = _serve(order("家电维修", "厨房插座没电了"), volunteer_user, 95)
    actions.confirm_order(paid, resident, 5, "师傅很专业")
    health = _serve(order("健康义诊", "上门量血压"), party_user, 60)
    actions.confirm_order(health, resident, 5)
    _serve(order("理发", "老人上门理发"), volunteer_user, 40)  # awaiting the rating
    order("助老陪伴", "陪老人去医院复查", "2")
    order("代买代办", "帮忙买米和油")

    rice = Reward.objects.create(
        community=c1, name="爱心超市 大米5斤", kind="goods", cost=100, stock=50
    )
    Reward.objects.create(
        community=c1, name="合作理发店 8折券", kind="discount", cost=50, stock=100
    )
    Reward.objects.create(
        community=c1, name="家政服务1小时", kind="housekeeping", cost=300, stock=10
    )
    voucher = actions.redeem_reward(volunteer_user, rice, key="demo-rice")
    actions.use_voucher(voucher.code, staff)
    # 通存通兑 with the neighbouring community: its reward is listed for c1's members too.
    street_staff = ctx.users.get("street1")
    if street_staff is not None and len(ctx.communities) > 1:
        c2 = ctx.communities[1]
        actions.make_agreement(c1, c2, street_staff)
        Reward.objects.create(
            community=c2, name=f"{c2.name} 爱心超市 食用油", kind="goods", cost=150, stock=20
        )

    for title, who in [
        ("一台收音机", "独居李奶奶"),
        ("冬天的棉被", "低保户陈伯"),
        ("一副老花镜", "王阿姨"),
    ]:
        actions.post_wish(staff, c1, title, who)  # posted by the office: on the wall at once
    wish = MicroWish.objects.filter(community=c1).order_by("pk").first()
    assert wish is not None  # three were posted just above
    actions.claim_wish(wish, party_user)
    # A resident's own wish waits for the office's review (/volunteers/staff/).
    actions.post_wish(resident, c1, "想学用智能手机挂号", "本人", "13800000001")
    actions.issue_certificate(vol, staff)


# --- city scale for the benchmarks ---------------------------------------------------------------
SEED_SQL_TXNS = """
INSERT INTO volunteers_ledgertransaction
    (kind, idempotency_key, community_id, memo, source, occurred_at, created_at)
SELECT 'award', 'seed:' || g, a.community_id, '', a.id::text,
       now() - (g %% 700) * interval '1 hour', now()
  FROM generate_series(%s, %s) AS g
  JOIN seed_members a ON a.i = g %% %s
"""

SEED_SQL_ENTRIES = """
INSERT INTO volunteers_ledgerentry (transaction_id, account_id, point_type_id, amount)
SELECT t.id, leg.account_id, %s, leg.amount
  FROM volunteers_ledgertransaction t
  JOIN seed_members a ON a.id = t.source::bigint
  CROSS JOIN LATERAL (VALUES (a.id, 25 + (t.id %% 8) * 25),
                             (a.issuance_id, -(25 + (t.id %% 8) * 25))) AS leg(account_id, amount)
 WHERE t.idempotency_key LIKE 'seed:%%' AND t.id >= %s
"""


def seed_city(city: Area, progress=None, count: int | None = None) -> int:
    """Bulk-load `count` ledger entries (awards of 0.25–2 points, two legs each) over 50,000
    member accounts in the city's communities. The rows are built consistent in bulk SQL with
    the ledger's triggers off for the session (session_replication_role), then the balance rows
    are set from the entries; `check_ledger` verifies the result. (Benchmark data, not a rule:
    this SQL stays here rather than in volunteers/sql.)"""
    count = count or int(os.environ.get("LINLI_SEED_LEDGER_ENTRIES", "5000000"))
    from django.contrib.auth import get_user_model

    communities = list(Area.objects.filter(path__startswith=city.path, kind="community"))
    if not communities:
        return 0
    pt = ledger.point_type()
    existing = Account.objects.filter(community__in=communities, kind=AccountKind.MEMBER).count()
    members = int(os.environ.get("LINLI_SEED_LEDGER_MEMBERS", "50000"))
    User = get_user_model()
    if existing < members:
        bar = progress("time-bank members", members - existing) if progress else None
        for c in communities:
            ledger.system_account(c, AccountKind.ISSUANCE, pt)
        for start in range(existing, members, 5000):
            stop = min(members, start + 5000)
            users = User.objects.bulk_create(
                [
                    User(username=f"tb{i:07d}", display_name=f"志愿者{i}")
                    for i in range(start, stop)
                ],
                ignore_conflicts=True,
            )
            users = list(User.objects.filter(username__in=[u.username for u in users]))
            Account.objects.bulk_create(
                [
                    Account(
                        point_type=pt,
                        community=communities[u.pk % len(communities)],
                        kind=AccountKind.MEMBER,
                        owner=u,
                        floor=0,
                    )
                    for u in users
                ],
                ignore_conflicts=True,
            )
            ids = Account.objects.filter(owner__in=users, point_type=pt).values_list(
                "pk", flat=True
            )
            AccountBalance.objects.bulk_create(
                [AccountBalance(account_id=i, floor=0) for i in ids], ignore_conflicts=True
            )
            if bar:
                bar.update(stop - start)
        if bar:
            bar.close()
    from volunteers.models import LedgerEntry

    have = LedgerEntry.objects.filter(transaction__idempotency_key__startswith="seed:").count()
    todo_txns = max(0, (count - have) // 2)
    if not todo_txns:
        return 0
    done_txns = have // 2
    bar = progress("ledger entries", todo_txns * 2) if progress else None
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE TEMP TABLE seed_members AS
            SELECT (row_number() OVER (ORDER BY a.id)) - 1 AS i, a.id, a.community_id,
                   s.id AS issuance_id
              FROM volunteers_account a
              JOIN volunteers_account s ON s.community_id = a.community_id
                   AND s.kind = 'issuance' AND s.point_type_id = a.point_type_id
             WHERE a.kind = 'member' AND a.point_type_id = %s
               AND a.community_id = ANY(%s)
            """,
            [pt.pk, [c.pk for c in communities]],
        )
        cursor.execute("CREATE INDEX ON seed_members (i)")
        cursor.execute("CREATE INDEX ON seed_members (id)")
        cursor.execute("SELECT count(*) FROM seed_members")
        n_members = cursor.fetchone()[0]
        batch = 250_000
        for lo in range(done_txns, done_txns + todo_txns, batch):
            hi = min(done_txns + todo_txns, lo + batch) - 1
            with transaction.atomic():
                cursor.execute("SET LOCAL session_replication_role = replica")
                cursor.execute("SELECT COALESCE(max(id), 0) + 1 FROM volunteers_ledgertransaction")
                first_id = cursor.fetchone()[0]
                cursor.execute(SEED_SQL_TXNS, [lo, hi, n_members])
                cursor.execute(SEED_SQL_ENTRIES, [pt.pk, first_id])
            if bar:
                bar.update((hi - lo + 1) * 2)
        cursor.execute(
            """
            UPDATE volunteers_accountbalance b
               SET balance = s.total, entry_count = s.n
              FROM (SELECT account_id, SUM(amount) AS total, COUNT(*) AS n
                      FROM volunteers_ledgerentry GROUP BY account_id) s
             WHERE s.account_id = b.account_id
            """
        )
        cursor.execute("DROP TABLE seed_members")
        cursor.execute("ANALYZE volunteers_ledgerentry")
        cursor.execute("ANALYZE volunteers_ledgertransaction")
        cursor.execute("ANALYZE volunteers_accountbalance")
    if bar:
        bar.close()
    return todo_txns * 2
