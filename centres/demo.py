"""Demo centres: one per community with hours, the six functions plus an X function, an
operator on the whitelist for each function, real services, spaces, two weeks of activities,
the affairs catalogue with slots (off-hours too) and co-building lists (manage.py seed_demo).
`seed_city` bulk-loads 229 centres, 20,000 activities and 2,000,000 sign-ups for the
benchmarks (manage.py seed_demo --scale city)."""

from __future__ import annotations

import os
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from centres import sql
from centres.models import (
    SIX,
    Activity,
    AffairItem,
    Agreement,
    AppointmentSlot,
    Centre,
    Closure,
    Function,
    FunctionCode,
    ListItem,
    OpeningHours,
    Operator,
    OperatorContract,
    Service,
    SignUp,
    Space,
)
from grids.demo import DemoContext, _assign, _user
from grids.models import Area, CoBuildingUnit, Role

if TYPE_CHECKING:
    from grids.demo_city import Progress

# What each function offers at a demo centre: (service, tier, price, operator, schedule, min_age)
SERVICES: dict[str, list[tuple[str, str, int, str | None, str, int | None]]] = {
    FunctionCode.CHILDCARE: [
        ("四点半课堂", "free", 0, "童乐托育服务中心", "周一至周五 16:30-18:00", None),
        ("婴幼儿托育", "low_margin", 1200, "童乐托育服务中心", "工作日 8:00-17:30 (每月)", None),
    ],
    FunctionCode.ELDERLY: [
        ("老年助餐", "at_cost", 8, "乐龄养老服务中心", "每日 11:00-12:30", 60),
        ("日间照料", "at_cost", 30, "乐龄养老服务中心", "工作日 8:00-17:00 (每日)", 60),
        ("上门助浴", "low_margin", 50, "乐龄养老服务中心", "预约上门", 70),
    ],
    FunctionCode.HEALTH: [
        ("健康小屋 (血压血糖测量)", "free", 0, "仁心社区卫生服务站", "每日 8:30-11:30", None),
        ("家庭医生签约咨询", "free", 0, "仁心社区卫生服务站", "每周三上午", None),
    ],
    FunctionCode.FOOD: [
        ("长者食堂", "at_cost", 12, "邻里食堂餐饮公司", "每日 11:00-13:00, 17:00-18:30", None),
        ("平价菜篮子", "at_cost", 0, "邻里食堂餐饮公司", "每日 7:00-10:00", None),
    ],
    FunctionCode.LEISURE: [
        ("老年大学书法班", "free", 0, "榕城文化志愿者协会", "每周二、四 9:00-11:00", 50),
        ("阅览室", "free", 0, None, "开放时间内", None),
    ],
    FunctionCode.AFFAIRS: [
        ("社保医保业务办理", "free", 0, None, "工作日 9:00-17:00; 周六错时预约", None),
        ("帮代办", "free", 0, "邻里帮代办服务社", "预约", None),
    ],
}
ACTIVITIES = [
    (FunctionCode.LEISURE, "class", "太极拳晨练班", 20, 4, 50),
    (FunctionCode.LEISURE, "class", "合唱团排练", 30, 5, None),
    (FunctionCode.HEALTH, "lecture", "慢病防治健康讲座", 40, 8, None),
    (FunctionCode.CHILDCARE, "class", "四点半课堂: 趣味科学", 15, 0, None),
    (FunctionCode.ELDERLY, "lecture", "防诈骗知识讲座", 50, 10, None),
    (FunctionCode.FOOD, "class", "健康膳食烹饪课", 12, 2, None),
]
AFFAIRS = [
    ("城乡居民养老保险参保登记", "区人社局", "身份证、户口簿", 0, True, True, False),
    ("医保异地就医备案", "区医保局", "身份证、医保卡", 0, True, True, False),
    ("高龄津贴申领", "区民政局", "身份证、银行卡", 5, True, True, True),
    ("残疾人两项补贴申请", "区残联", "身份证、残疾证", 10, True, True, True),
    ("居住证明开具", "街道办", "身份证、租房合同", 0, True, False, False),
    ("生育登记", "区卫健局", "夫妻双方身份证、结婚证", 0, True, True, False),
]
ONLINE = "https://zwfw.fujian.gov.cn/"


def _at(day, hh: int, mm: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hh, mm)))


@transaction.atomic
def seed(ctx: DemoContext) -> None:
    """A second run finds everything and changes nothing."""
    items = _seed_affairs(ctx.city)
    operators = _seed_operators(ctx)
    centres = []
    for i, community in enumerate(ctx.communities):
        centre, created = Centre.objects.get_or_create(
            community=community,
            name=f"{community.name}党群服务中心",
            defaults={"address": f"{community.name}中心路1号"},
        )
        centres.append(centre)
        if centre.services.exists():
            continue  # already seeded
        _fill_centre(ctx, centre, i, operators, items)
    operator = _user(
        ctx,
        "operator1",
        "乐龄养老服务中心 运营方",
        Role.CENTRE_OPERATOR.label,
        centres[0].name,
        is_staff=True,
    )
    _assign(operator, Role.CENTRE_OPERATOR, centre_id=centres[0].pk)


def _seed_affairs(city: Area) -> list[AffairItem]:
    """The city's catalogue (city-wide items: every centre handles them)."""
    items = []
    for name, dept, materials, days, centre, proxy, home in AFFAIRS:
        item, _ = AffairItem.objects.get_or_create(
            name=name,
            defaults={
                "area": city,
                "department": dept,
                "materials": materials,
                "time_limit_days": days,
                "at_centre": centre,
                "proxy": proxy,
                "home_visit": home,
                "online_url": ONLINE,
                "min_age": 80 if "高龄" in name else None,
            },
        )
        items.append(item)
    return items


def _seed_operators(ctx: DemoContext) -> dict[str, Operator]:
    names = {r[3] for rows in SERVICES.values() for r in rows if r[3]}
    out = {}
    for name in sorted(names):
        out[name], _ = Operator.objects.get_or_create(
            name=name,
            area=ctx.district,
            defaults={
                "status": "approved",
                "contact_name": "负责人",
                "contact_phone": "0595-2200000",
            },
        )
    Operator.objects.get_or_create(
        name="新申请家政公司", area=ctx.district, defaults={"status": "pending"}
    )
    return out


def _fill_centre(ctx, centre: Centre, i: int, operators, items) -> None:
    community = centre.community
    today = timezone.localdate()
    centre.party_organisation = f"中共{community.name}委员会"
    centre.kind = ["concentrated", "spread", "upgraded"][i % 3]
    centre.stars = 5 if i < 3 else (4 if i < 5 else 3)
    centre.floor_area = Decimal([3000, 2200, 1500, 1200][i % 4])
    centre.lat, centre.lng = community.lat, community.lng
    centre.phone = f"0595-22{i:02d}1234"
    centre.directions = "乘公交 12 路、25 路到社区站下车，步行约 3 分钟。"
    centre.description = "党建引领的一站式邻里中心：一刻钟便民生活圈。"
    centre.save()
    grids = [g for g in ctx.grids if g.path.startswith(community.path) and g.grid_level == 1]
    if i % 4 == 0 and i + 1 < len(ctx.communities):
        centre.served_areas.add(ctx.communities[i + 1])  # a centre serving a neighbour too
    centre.served_areas.add(*grids)
    for weekday in range(7):
        OpeningHours.objects.create(
            centre=centre, weekday=weekday, opens=time(8, 30), closes=time(12)
        )
        OpeningHours.objects.create(
            centre=centre, weekday=weekday, opens=time(14, 30), closes=time(21)
        )
    for year in (today.year, today.year + 1):
        Closure.objects.get_or_create(
            centre=centre, date=date(year, 1, 1), defaults={"reason": "元旦"}
        )
        Closure.objects.get_or_create(
            centre=centre, date=date(year, 10, 1), defaults={"reason": "国庆节"}
        )
    functions = {f.code: f for f in centre.functions.all()}
    functions["x"] = Function.objects.create(
        centre=centre, code="x", name="邻里议事", description="居民议事厅、楼道自治", sort=9
    )
    for code, rows in SERVICES.items():
        for name, tier, price, operator, schedule, min_age in rows:
            Service.objects.create(
                centre=centre,
                function=functions[code],
                operator=operators.get(operator),
                name=name,
                price_tier=tier,
                price=Decimal(price),
                price_unit="次" if price else "",
                schedule=schedule,
                min_age=min_age,
                how_to_get="到中心服务台登记，或电话预约。",
            )
    for operator in {operators[r[3]] for rows in SERVICES.values() for r in rows if r[3]}:
        OperatorContract.objects.create(
            operator=operator,
            centre=centre,
            starts_on=today.replace(month=1, day=1),
            ends_on=today.replace(month=12, day=31),
        )
    spaces = {
        "reading": Space.objects.create(centre=centre, name="阅览室", kind="room", capacity=30),
        "hall": Space.objects.create(
            centre=centre, name="多功能厅", kind="hall", capacity=80, needs_approval=True
        ),
        "rehab": Space.objects.create(centre=centre, name="康复室", kind="room", capacity=10),
        "yishi": Space.objects.create(
            centre=centre, name="议事厅", kind="deliberation", capacity=20
        ),
        "bed": Space.objects.create(
            centre=centre, name="日间照料床位 1", kind="daycare_bed", capacity=1, bookable=False
        ),
    }
    for d in range(14):
        day = today + timedelta(days=d)
        code, kind, title, capacity, reserved, min_age = ACTIVITIES[(d + i) % len(ACTIVITIES)]
        hour = 9 if d % 2 else 15
        start = _at(day, hour)
        Activity.objects.create(
            centre=centre,
            function=functions[code],
            space=spaces["hall"] if capacity > 30 else spaces["reading"],
            title=title,
            kind=kind,
            description=f"{centre.name}{title}，欢迎报名。",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            capacity=capacity,
            reserved_places=reserved,
            min_age=min_age,
            signup_opens_at=start - timedelta(days=14),
            signup_closes_at=start - timedelta(hours=1),
            cancel_deadline=start - timedelta(hours=12),
            survey_question="您对本次活动满意吗？有什么建议？",
        )
    for d in range(1, 8):
        day = today + timedelta(days=d)
        if day.weekday() < 5:
            for hh in (9, 10, 15, 16):
                AppointmentSlot.objects.create(
                    centre=centre, starts_at=_at(day, hh), ends_at=_at(day, hh + 1), capacity=4
                )
            AppointmentSlot.objects.create(  # 错时: after work
                centre=centre,
                starts_at=_at(day, 18, 30),
                ends_at=_at(day, 20),
                capacity=6,
                off_hours=True,
            )
        else:
            AppointmentSlot.objects.create(
                centre=centre,
                starts_at=_at(day, 9),
                ends_at=_at(day, 12),
                capacity=8,
                off_hours=True,
            )
    ListItem.objects.create(
        kind="need",
        centre=centre,
        function=functions[FunctionCode.ELDERLY],
        title="独居老人用电安全检查",
    )
    unit = CoBuildingUnit.objects.filter(home_community=community).first()
    if unit:
        Agreement.objects.create(
            centre=centre,
            unit=unit,
            starts_on=today.replace(month=1, day=1),
            ends_on=today.replace(month=12, day=31),
            commitments="每季度开展一次安全用电进社区，结对帮扶独居老人。",
        )
        ListItem.objects.create(
            kind="service",
            centre=centre,
            unit=unit,
            title="上门检修家用电路",
            quota=20,
            function=functions[FunctionCode.ELDERLY],
        )
        ListItem.objects.create(
            kind="resource", centre=centre, unit=unit, title="会议室 (周末可借用)", quota=8
        )


# --- city scale (benchmarks) ---------------------------------------------------------------------

CITY_CENTRES = 229


def seed_city(city: Area, progress: Progress | None = None) -> int:
    """229 centres on the first communities of the scale city, ≈ 87 activities each over
    ±60 days (20,000) and 2,000,000 sign-ups (LINLI_SEED_SIGNUPS), bulk-inserted. Sign-ups
    are 100 per activity, confirmed up to capacity and the rest waitlisted, as sign_up would
    leave them. A second run adds nothing."""
    n_activities = int(os.environ.get("LINLI_SEED_ACTIVITIES", "20000"))
    n_signups = int(os.environ.get("LINLI_SEED_SIGNUPS", "2000000"))
    communities = list(
        Area.objects.filter(path__startswith=city.path, kind="community").order_by("path")[
            :CITY_CENTRES
        ]
    )
    existing = Centre.objects.filter(community__in=communities).count()
    if existing >= len(communities):
        return 0
    rng = random.Random(229)
    now = timezone.now()
    with transaction.atomic():
        centres = Centre.objects.bulk_create(
            [
                Centre(
                    name=f"{c.name}党群服务中心",
                    community=c,
                    address=f"{c.name}中心路1号",
                    kind="concentrated",
                    stars=rng.randint(2, 5),
                    lat=24.8 + rng.random() * 0.3,
                    lng=118.5 + rng.random() * 0.3,
                    party_organisation=f"中共{c.name}委员会",
                )
                for c in communities
            ]
        )
        Function.objects.bulk_create(
            [
                Function(centre=centre, code=code, name=str(code.label), sort=i)
                for centre in centres
                for i, code in enumerate(SIX)
            ]
        )
        OpeningHours.objects.bulk_create(
            [
                OpeningHours(centre=centre, weekday=w, opens=time(8, 30), closes=time(21))
                for centre in centres
                for w in range(7)
            ]
        )
        functions: dict[int, list[Function]] = {}
        for f in Function.objects.filter(centre__in=centres):
            functions.setdefault(f.centre_id, []).append(f)
        services, spaces = [], []
        for centre in centres:
            for f in functions[centre.pk]:
                services += [
                    Service(centre=centre, function=f, name=f"{f.name}服务{k}", price_tier="free")
                    for k in range(2)
                ]
            spaces.append(Space(centre=centre, name="多功能厅", kind="hall", capacity=80))
        Service.objects.bulk_create(services, batch_size=5000)
        Space.objects.bulk_create(spaces, batch_size=5000)
    space_of = {s.centre_id: s.pk for s in Space.objects.filter(centre__in=centres)}
    bar = progress("activities", n_activities) if progress else None
    activities = []
    for k in range(n_activities):
        centre = centres[k % len(centres)]
        f = functions[centre.pk][k % 6]
        start = now + timedelta(days=rng.uniform(-60, 60))
        start = start.replace(minute=0, second=0, microsecond=0)
        capacity = rng.choice((20, 30, 40, 50, 80))
        activities.append(
            Activity(
                centre=centre,
                function=f,
                space_id=space_of[centre.pk],
                title=f"{f.name}活动{k}",
                kind="class",
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                capacity=capacity,
            )
        )
    for first in range(0, len(activities), 5000):
        Activity.objects.bulk_create(activities[first : first + 5000])
        if bar:
            bar.update(min(5000, len(activities) - first))
    if bar:
        bar.close()
    _bulk_signups(activities, n_signups, progress)
    sql.analyze()
    return len(centres)


def _bulk_signups(activities: list[Activity], total: int, progress: Progress | None) -> None:
    """Sign-ups by people without accounts (代报名 by staff), 100 an activity, through
    PostgreSQL COPY (centres.sql: bulk_create of 2,000,000 rows takes minutes)."""
    per = max(total // max(len(activities), 1), 1)
    bar = progress("sign-ups", per * len(activities)) if progress else None
    from grids.models import Resident

    resident_ids = list(Resident.objects.order_by("pk").values_list("pk", flat=True)[: per * 20])
    counts = []
    rows: list[tuple[str, ...]] = []
    now = timezone.now()
    serial = 0

    def flush() -> None:
        if not rows:
            return
        sql.copy_rows(
            SignUp._meta.db_table,
            (
                "created_at",
                "updated_at",
                "activity_id",
                "resident_id",
                "name",
                "status",
                "is_priority",
                "code",
                "checked_in_at",
            ),
            rows,
        )
        if bar:
            bar.update(len(rows))
        rows.clear()

    stamp = now.isoformat()
    for a in activities:
        confirmed = min(a.capacity, per)
        ended = a.ends_at < now
        offset = (a.pk * 7) % max(len(resident_ids) - per, 1)
        for j in range(per):
            serial += 1
            status = "confirmed" if j < confirmed else "waitlisted"
            came = ended and status == "confirmed" and j % 5 != 0
            rows.append(
                (
                    stamp,
                    stamp,
                    str(a.pk),
                    str(resident_ids[offset + j]),
                    f"居民{serial}",
                    status,
                    "f",
                    f"S{serial:010X}"[:12],
                    a.ends_at.isoformat() if came else "\\N",
                )
            )
        counts.append((a.pk, confirmed, per - confirmed))
        if len(rows) >= 50000:
            with transaction.atomic():
                flush()
    with transaction.atomic():
        flush()
        # One UPDATE from the counts (as sign_up would have left them).
        sql.set_counts(counts)
    if bar:
        bar.close()
