"""Demo data for the case engine: the category tree, time limits, routing rules, KPI settings
and a dozen cases in every state (manage.py seed_demo); `seed_city` bulk-loads cases for the
benchmarks (manage.py seed_demo --scale city; LINLI_SEED_CASES sets how many)."""

from __future__ import annotations

import os
import random
import secrets
from datetime import timedelta
from pathlib import Path

from django.db import models, transaction
from django.utils import timezone

from grids.models import Area, Department
from services import actions, holiday_files, sql
from services.actions import Intake
from services.models import (
    DEFAULT_LIMITS,
    Case,
    CaseCounter,
    CaseEvent,
    Category,
    HolidayYear,
    KpiConfig,
    RoutingRule,
    TimeLimit,
)

HOLIDAY_FILES = Path(__file__).resolve().parent / "data" / "holidays"

CATEGORIES = {
    ("city", "市容环境"): [
        ("street-vendors", "占道经营"),
        ("rubbish", "垃圾清运"),
        ("illegal-building", "违章搭建"),
    ],
    ("public-works", "市政设施"): [
        ("potholes", "道路坑洼"),
        ("street-lights", "路灯损坏"),
        ("manholes", "井盖缺失"),
    ],
    ("utilities", "公用事业"): [("water", "供水"), ("power", "供电"), ("gas", "燃气")],
    ("neighbours", "邻里纠纷"): [("noise", "噪音扰民"), ("pets", "宠物扰民")],
    ("welfare", "社会保障"): [("elder-care", "养老服务"), ("subsistence", "低保咨询")],
    ("safety", "安全隐患"): [("fire-lanes", "消防通道堵塞"), ("falling-objects", "高空抛物")],
}


@transaction.atomic
def seed_catalogue() -> dict[str, Category]:
    """Categories, default time limits and KPI settings (idempotent)."""
    by_code: dict[str, Category] = {}
    for sort, ((code, name), children) in enumerate(CATEGORIES.items()):
        parent, _ = Category.objects.get_or_create(code=code, defaults={"name": name, "sort": sort})
        by_code[code] = parent
        for i, (child_code, child_name) in enumerate(children):
            child, _ = Category.objects.get_or_create(
                code=child_code, defaults={"name": child_name, "parent": parent, "sort": i}
            )
            by_code[child_code] = child
    for case_type, (sign, contact, resolve) in DEFAULT_LIMITS.items():
        TimeLimit.objects.get_or_create(
            category=None,
            case_type=case_type,
            defaults={
                "sign_amount": sign[0],
                "sign_unit": sign[1],
                "contact_amount": contact[0],
                "contact_unit": contact[1],
                "resolve_amount": resolve[0],
                "resolve_unit": resolve[1],
            },
        )
    # Water and gas help requests are fixed within 3 working days (utility service pledges).
    for code in ("water", "gas"):
        TimeLimit.objects.get_or_create(
            category=by_code[code],
            case_type="help",
            defaults={"resolve_amount": 3, "contact_amount": 1},
        )
    if not KpiConfig.objects.exists():
        KpiConfig.objects.create()
    return by_code


def _seed_rules(categories: dict[str, Category], district: Area) -> None:
    housing = Department.objects.filter(area=district, name="区住房和城乡建设局").first()
    city_management = Department.objects.filter(area=district, name="区城市管理局").first()
    rules: list[tuple[Category, str, Department | None]] = []
    if housing:
        rules.append((categories["utilities"], "department", housing))
    if city_management:
        rules.append((categories["illegal-building"], "department", city_management))
    rules.append((categories["welfare"], "community", None))
    for category, level, department in rules:
        RoutingRule.objects.get_or_create(
            category=category,
            area=district,
            defaults={"level": level, "department": department},
        )


def seed_holidays() -> None:
    """The year after chinesecalendar's last (2027 for 1.11.0): its statutory holidays from
    services/data/holidays, imported as provisional (the 调休 of the State Council's notice
    is still to be imported; the system check, the admin banner and /healthz say so). A year
    already imported, provisional or not, is left as it is."""
    for path in sorted(HOLIDAY_FILES.glob("*.ics")):
        arrangement = holiday_files.read(path.name, path.read_bytes())
        if not HolidayYear.objects.filter(year=arrangement.year).exists():
            actions.import_holidays(
                arrangement, actor=None, provisional=path.stem.endswith("-statutory")
            )


def seed(ctx) -> None:
    """Catalogue, rules, holiday data and demo cases in the demo city (a second run changes
    nothing)."""
    categories = seed_catalogue()
    seed_holidays()
    _seed_rules(categories, ctx.district)
    if Case.objects.filter(place_path__startswith=ctx.city.path).exists():
        return
    with transaction.atomic():
        _seed_cases(ctx, categories)


def _seed_cases(ctx, categories: dict[str, Category]) -> None:
    u = ctx.users
    resident, grid1, community1 = u["resident1"], u["grid1"], u["community1"]
    street1, dept1 = u["street1"], u["dept1"]
    grid_a = Area.objects.get(code="DEMO-S1C1-G1-1")
    building = Area.objects.filter(path__startswith=grid_a.path, kind="building").first()

    def file(category: str, text: str, case_type: str = "help", actor=resident, **extra):
        return actions.submit_case(
            Intake(
                case_type=case_type,
                category=categories[category],
                description=text,
                place=extra.pop("place", building),
                **extra,
            ),
            actor=actor,
        )

    def dispatched(*args, **kwargs):
        return actions.dispatch(file(*args, **kwargs), actor=None)

    # Waiting for the worker to dispatch it.
    file("street-lights", "3号楼门口路灯坏了一周，晚上很黑。")
    # Just dispatched to the grid worker.
    dispatched("rubbish", "小区垃圾桶满了没人清运，气味很大。")
    # Signed for and in progress.
    case = dispatched("potholes", "幸福里南门路面塌陷一个大坑。", "complaint")
    actions.sign_for(case, actor=grid1)
    actions.record_contact(case, actor=grid1, note="电话联系居民，约定明天现场查看")
    actions.start(case, actor=grid1)
    actions.add_progress(case, actor=grid1, note="已联系市政维修队，等待施工")
    # Resolved, waiting for the callback.
    case = dispatched("noise", "楼上装修晚上十点后还在施工。", "complaint")
    actions.sign_for(case, actor=grid1)
    actions.record_contact(case, actor=grid1)
    actions.resolve(case, actor=grid1, result="上门劝导，业主承诺晚上八点后停工。")
    # Called back satisfied and archived.
    case = dispatched("pets", "邻居的狗每天清晨狂叫。")
    actions.sign_for(case, actor=grid1)
    actions.record_contact(case, actor=grid1)
    actions.resolve(case, actor=grid1, result="已调解，养犬人加装隔音门。")
    actions.callback(
        case, actor=resident, solved=True, rating=5, method="resident", comment="很及时"
    )
    actions.archive(case, actor=community1)
    # Unsatisfied: sent back for redo.
    case = dispatched("fire-lanes", "消防通道被电动车堵住。", "report")
    actions.sign_for(case, actor=grid1)
    actions.record_contact(case, actor=grid1)
    actions.resolve(case, actor=grid1, result="已清理。")
    actions.callback(case, actor=community1, solved=False, rating=2, comment="第二天又堵上了")
    # Returned by the grid worker, waiting for review.
    case = dispatched("manholes", "小区路口井盖缺失，很危险。", "report")
    actions.return_case(case, actor=grid1, reason="该井盖产权属燃气公司，非网格职责")
    # Department-level by routing rule: illegal building goes to city management.
    dispatched("illegal-building", "顶楼有人搭建彩钢棚。", "report")
    # Department-level: water goes to the housing bureau.
    dispatched("water", "整栋楼停水两天，没有通知。", "complaint")
    # Escalated to the street and supervised by a joint unit.
    case = dispatched("falling-objects", "高层住户向下扔垃圾，险些砸到老人。", "report")
    actions.sign_for(case, actor=grid1)
    actions.escalate(case, actor=grid1, note="需要街道协调物业和派出所")
    actions.sign_for(case, actor=street1)
    department = Department.objects.filter(area=ctx.district, name="区城市管理局").first()
    if department:
        joint = actions.add_joint_unit(case, actor=street1, role="support", department=department)
        actions.report_in(case, actor=dept1, unit=joint, report="城管已约谈物业，加装监控。")
    # Extension requested.
    case = dispatched("elder-care", "独居老人想申请助餐服务。", "consultation")
    actions.sign_for(case, actor=community1)
    actions.request_extension(case, actor=community1, working_days=3, reason="等待民政审核材料")
    # A repeat merged into the pothole case, and one not accepted.
    master = Case.objects.filter(description__startswith="幸福里南门").first()
    assert master is not None  # the pothole case filed above
    repeat = file(
        "potholes",
        "南门那个坑还没补，又有人摔了。",
        "complaint",
        actor=grid1,
        channel="grid_worker",
    )
    actions.merge(repeat, actor=community1, master=master)
    odd = file("noise", "晚上青蛙叫声太吵，要求处理。", "complaint")
    actions.not_accepted(odd, actor=community1, reason="自然现象，已向居民解释。")
    # A grid worker's patrol finding handled on the spot (未诉先办).
    file(
        "street-vendors",
        "巡查发现小区门口占道摆摊。",
        actor=grid1,
        channel="grid_worker",
        raised_before_complaint=True,
        handled_on_spot=True,
        result="现场劝离，摊贩已搬至便民市场。",
    )


# --- city scale (benchmarks) ---------------------------------------------------------------------

STATE_MIX = [
    ("archived", 45),
    ("called_back", 20),
    ("resolved", 8),
    ("in_progress", 10),
    ("signed", 5),
    ("dispatched", 5),
    ("not_accepted", 3),
    ("submitted", 1),
    ("returned", 1),
    ("merged", 2),
]


def seed_city(city: Area, progress=None, count: int | None = None) -> int:
    """Bulk-insert `count` cases (default LINLI_SEED_CASES or 200,000) spread over the
    city's buildings and the last 120 days, with three timeline events each. Open cases get
    a future next check, so a sweep with nothing due has to skip them all through the index."""
    count = count or int(os.environ.get("LINLI_SEED_CASES", "200000"))
    existing = Case.objects.filter(place_path__startswith=city.path).count()
    if existing >= count:
        return 0
    categories = list(seed_catalogue().values())
    leaves = [c for c in categories if c.parent_id]
    buildings = list(
        Area.objects.filter(path__startswith=city.path, kind="building").values_list("id", "path")
    )
    grids = dict(
        Area.objects.filter(path__startswith=city.path, kind="grid", grid_level=3).values_list(
            "path", "id"
        )
    )
    step = Area.steplen
    rng = random.Random(1124)
    states = [s for s, w in STATE_MIX for _ in range(w)]
    now = timezone.now()
    todo = count - existing
    bar = progress("cases", todo) if progress else None
    # Keep the back-dated created_at/updated_at the loop sets (auto_now would overwrite them).
    timestamps = [
        (f, (f.auto_now, f.auto_now_add))
        for f in Case._meta.fields
        if isinstance(f, models.DateTimeField) and f.name in ("created_at", "updated_at")
    ]
    for field, _value in timestamps:
        field.auto_now = field.auto_now_add = False
    counters = dict(CaseCounter.objects.values_list("day", "last"))
    batch: list[Case] = []
    master_id = Case.objects.order_by("pk").values_list("pk", flat=True).first()

    def flush() -> None:
        nonlocal master_id
        with transaction.atomic():
            created = Case.objects.bulk_create(batch, batch_size=5000)
            if master_id is None:
                master_id = created[0].pk
            rows = []
            for case in created:
                rows += [
                    CaseEvent(case=case, at=case.created_at, action="submit", to_state="submitted"),
                    CaseEvent(
                        case=case,
                        at=case.dispatched_at or case.created_at,
                        action="dispatch",
                        from_state="submitted",
                        to_state="dispatched",
                    ),
                    CaseEvent(
                        case=case,
                        at=case.updated_at,
                        action="sign_for",
                        from_state="dispatched",
                        to_state=case.state,
                    ),
                ]
            CaseEvent.objects.bulk_create(rows, batch_size=5000)
        if bar:
            bar.update(len(batch))
        batch.clear()

    for i in range(todo):
        building_id, path = buildings[rng.randrange(len(buildings))]
        created = now - timedelta(days=rng.random() * 120)
        day = timezone.localtime(created).date()
        # Bulk numbers start at 50001 a day, above what submit_case hands out on a day.
        seq = counters[day] = max(counters.get(day, 0), 50000) + 1
        state = states[rng.randrange(len(states))]
        dispatched = created + timedelta(minutes=rng.randint(1, 90))
        resolve_due = dispatched + timedelta(days=rng.choice((2, 10, 15)))
        is_open = state in ("dispatched", "signed", "in_progress")
        done = state in ("resolved", "called_back", "archived")
        resolved = dispatched + timedelta(hours=rng.randint(2, 400)) if done else None
        rating = (
            rng.choice((5, 5, 5, 4, 4, 3, 2, 1)) if state in ("called_back", "archived") else None
        )
        case = Case(
            number=f"{day:%Y%m%d}{seq:05d}"[:16],
            channel=rng.choice(("resident_web", "grid_worker", "hotline")),
            case_type=rng.choice(
                ("consultation", "help", "help", "suggestion", "complaint", "report")
            ),
            category=leaves[rng.randrange(len(leaves))],
            description=f"规模测试工单 {i}",
            place_id=building_id,
            place_path=path,
            grid_id=grids.get(path[: -2 * step]),
            tracking_token=secrets.token_urlsafe(12),
            reporter_phone="13800000000",
            state=state,
            level="grid",
            handling_area_id=grids.get(path[: -2 * step]),
            dispatched_at=None if state == "submitted" else dispatched,
            signed_at=dispatched + timedelta(hours=3)
            if state not in ("submitted", "dispatched")
            else None,
            sign_on_time=rng.random() < 0.95 if state not in ("submitted", "dispatched") else None,
            contact_on_time=rng.random() < 0.9
            if state not in ("submitted", "dispatched")
            else None,
            resolve_due=resolve_due if (is_open or done) else None,
            resolved_at=resolved,
            resolved_on_time=(resolved <= resolve_due) if resolved else None,
            callback_solved=(rating or 0) >= 3 if rating else None,
            rating=rating,
            card_level=0,
            master_id=master_id if state == "merged" else None,
            next_check_at=max(resolve_due, now + timedelta(days=1)) if is_open else None,
        )
        case.created_at = created
        case.updated_at = dispatched
        batch.append(case)
        if state == "merged" and master_id is None:
            case.state = "archived"
            case.master_id = None
        if len(batch) >= 5000:
            flush()
    if batch:
        flush()
    for field, value in timestamps:
        field.auto_now, field.auto_now_add = value
    for day, last in counters.items():
        CaseCounter.objects.update_or_create(day=day, defaults={"last": last})
    if bar:
        bar.close()
    sql.analyze_cases()
    return todo
