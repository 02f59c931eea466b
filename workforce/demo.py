"""The demo city's workforce (manage.py seed_demo): a Quanzhou-style 四岗十八级 ladder with a
pay table and rules, and the workers of every community, entered through workforce.actions.
The community1 demo login is 阔口社区's secretary (she sees its pay); grid1 is a grid social
worker there. Idempotent: a second run finds the ladder and the workers and changes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from grids.demo import SURNAMES, DemoContext
from workforce import actions
from workforce.models import (
    AssessmentResult,
    Ladder,
    Position,
    PromotionRule,
    Qualification,
    Sequence,
    Worker,
)

# (sequence name, cap) top first: 四岗十八级.
QUANZHOU_SEQUENCES = [("正职", 18), ("副职", 16), ("专职工作者", 14), ("辅助岗", 10)]
# Per community: (position, sequence rank, grade, qualification).
STAFF = [
    (Position.SECRETARY_DIRECTOR, 1, 6, Qualification.SOCIAL_WORKER),
    (Position.COMMITTEE, 2, 4, Qualification.ASSISTANT),
    (Position.COMMITTEE, 2, 3, Qualification.NONE),
    (Position.GENERAL, 3, 5, Qualification.ASSISTANT),
    (Position.GENERAL, 3, 2, Qualification.NONE),
    (Position.GRID, 3, 3, Qualification.ASSISTANT),
    (Position.FULL_TIME_GRID, 4, 2, Qualification.NONE),
]


def seed_ladder(city, name="四岗十八级", sequences=QUANZHOU_SEQUENCES, grades=18) -> Ladder:
    """A ladder with its sequences, a first pay table (from 2024) and three rules."""
    ladder, created = Ladder.objects.get_or_create(
        city=city, defaults={"name": name, "grade_count": grades}
    )
    if not created:
        return ladder
    made = [
        Sequence.objects.create(ladder=ladder, name=n, rank=i, max_grade=cap)
        for i, (n, cap) in enumerate(sequences, 1)
    ]
    base = {1: 5200, 2: 4300, 3: 3600, 4: 3000}
    rates = {
        (s.pk, g): Decimal(base.get(s.rank, 3000) + 150 * (g - 1))
        for s in made
        for g in range(1, min(s.max_grade, grades) + 1)
    }
    actions.set_pay_table(ladder, date(2024, 1, 1), rates, note="首张薪酬表")
    PromotionRule.objects.create(
        ladder=ladder, name="年度考核称职晋一级", min_years_in_grade=2, steps=1
    )
    PromotionRule.objects.create(
        ladder=ladder,
        name="连续两年优秀且持证晋两级",
        min_years_in_grade=1,
        min_result=AssessmentResult.EXCELLENT,
        result_years=2,
        min_qualification=Qualification.ASSISTANT,
        steps=2,
    )
    return ladder


def seed(ctx: DemoContext) -> None:
    ladder = seed_ladder(ctx.city)
    if Worker.objects.filter(community__in=ctx.communities).exists():
        return
    sequences = {s.rank: s for s in ladder.sequences.all()}
    rng = ctx.rng
    community1, grid1 = ctx.users.get("community1"), ctx.users.get("grid1")
    for ci, community in enumerate(ctx.communities):
        # Every third community is short-staffed (the staffing report shows its vacancies).
        staff = STAFF if ci % 3 != 2 else STAFF[:4]
        for i, (position, rank, grade, qualification) in enumerate(staff):
            user = None
            if ci == 0 and i == 0:
                user = community1
            elif ci == 0 and position == Position.GRID:
                user = grid1
            started = date(2014 + (ci + i) % 8, 1 + i % 12, 1)
            worker = actions.create_worker(
                community=community,
                name=getattr(user, "display_name", "").split(" ")[-1]
                if user is not None
                else rng.choice(SURNAMES) + rng.choice(["丽华", "建国", "秀英", "志明", "晓燕"]),
                position=position,
                sequence=sequences[rank],
                grade=grade,
                started_on=started,
                grade_since=date(2023, 1, 1),
                qualification=qualification,
                phone=f"139{ci:02d}{i:02d}0{rng.randint(1000, 9999)}",
                user=user,
            )
            if worker.pk % 3 != 0:
                actions.record_assessment(
                    worker,
                    2025,
                    report="全年完成网格走访、矛盾调解和便民服务工作。",
                    report_score=85 + worker.pk % 10,
                    residents_score=80 + worker.pk % 15,
                    street_score=82 + worker.pk % 12,
                    party_report="落实党建引领网格治理。" if worker.is_secretary else "",
                    party_score=90 if worker.is_secretary else None,
                )
