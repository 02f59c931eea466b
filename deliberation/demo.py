"""Demo deliberation for `manage.py seed_demo` (idempotent): in the first community, a matter of
resident1's estate being voted on, one gathering co-signers, and one carried out and open for
evaluation, with a meeting, its minutes and the result published."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from deliberation import actions
from deliberation.models import Matter, MatterKind, Meeting, OwnerShare
from grids.models import Area, Household, Resident


def _voter(household: Household):
    """An account of someone living in the household (a demo login made for its first resident
    when none has one; it cannot log in with a password)."""
    from django.contrib.auth import get_user_model

    from grids.models import Role, RoleAssignment

    resident = household.residents.filter(user__isnull=False).select_related("user").first()
    if resident is not None:
        return resident.user
    resident = household.residents.order_by("pk").first()
    if resident is None:
        return None
    user = get_user_model()(username=f"demo-voter-{household.pk}", display_name=resident.name)
    user.set_unusable_password()
    user.save()
    RoleAssignment.objects.create(user=user, role=Role.RESIDENT, household=household)
    Resident.objects.filter(pk=resident.pk).update(user=user)
    return user


@transaction.atomic
def seed(ctx) -> None:
    staff = ctx.users.get("community1")
    resident = ctx.users.get("resident1")
    if staff is None or resident is None or Matter.objects.exists():
        return
    household = Resident.objects.filter(user=resident).select_related("household__building").first()
    if household is None:
        return
    building = household.household.building
    estate = Area.objects.filter(path=building.path[: -building.steplen]).first() or building
    community = ctx.communities[0]
    # The kinds the migration seeds (a database flushed by tests has lost them).
    import importlib

    from django.apps import apps

    importlib.import_module("deliberation.migrations.0002_presets_and_kinds").seed(apps, None)
    public = MatterKind.objects.get(code="public-affairs")
    env = MatterKind.objects.get(code="environment")
    fund = MatterKind.objects.get(code="maintenance-fund")
    now = timezone.now()

    # Carried out and open for evaluation: raised by the party branch, a meeting held (its
    # minutes), a vote of the estate's households, the result published, the work done.
    done = actions.raise_matter(
        actor=staff,
        area=estate,
        kind=env,
        title="小区垃圾分类投放点改造",
        description="投放点靠近单元门口，夏天异味大。拟迁至小区北侧空地并加装洗手池。",
        source="party_branch",
    )
    actions.accept_matter(done, actor=staff)
    meeting = actions.schedule_meeting(
        done,
        actor=staff,
        kind="consultation",
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=1),
        agenda="一、网格党支部介绍迁建方案；二、居民代表发言；三、形成表决方案。",
        place="小区北侧凉亭",
    )
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=now - timedelta(days=20), ends_at=now - timedelta(days=20, hours=-1)
    )
    actions.record_minutes(
        meeting,
        actor=staff,
        minutes="与会居民同意迁建，建议加装照明。形成方案：迁至北侧空地，加装洗手池和照明。",
        attendees=[
            (household.name, "居民代表"),
            ("陈社工", "社区工作人员"),
            ("物业 林经理", "物业"),
        ],
    )
    actions.open_vote(
        done,
        actor=staff,
        closes_at=now + timedelta(hours=1),
        plan="迁至北侧空地，加装洗手池和照明。",
    )
    choices = ["yes", "yes", "yes", "no", "yes", "abstain"]
    for i, hh in enumerate(Household.objects.filter(building__path__startswith=estate.path)):
        voter = _voter(hh)
        if voter is not None and i % 4 != 3:  # three in four households vote
            actions.cast_vote(done, actor=voter, choice=choices[i % len(choices)])
    Matter.objects.filter(pk=done.pk).update(vote_closes_at=now - timedelta(minutes=1))
    actions.close_vote(done, now=now)
    actions.publish_result(done, actor=staff)
    if Matter.objects.get(pk=done.pk).status == "executing":
        actions.record_progress(done, actor=staff, note="新投放点已建成")
        actions.record_progress(done, actor=staff, note="旧投放点拆除，照明已安装", done=True)

    # Being voted on: residents (co-signed) asked for handrails; resident1 may vote.
    voting = actions.raise_matter(
        actor=staff,
        area=building,
        kind=public,
        title="楼道加装扶手",
        description="楼里老人多，上下楼不便，建议每层加装扶手。",
        source="staff",
    )
    actions.accept_matter(voting, actor=staff)
    actions.open_vote(
        voting, actor=staff, closes_at=now + timedelta(days=7), plan="每层楼梯加装不锈钢扶手。"
    )

    # Gathering co-signers: resident1 raised it.
    actions.raise_matter(
        actor=resident,
        area=estate,
        kind=public,
        title="增设电动车集中充电桩",
        description="电动车在楼道充电有火灾隐患，建议在车棚增设充电桩。",
    )

    # Owners' floor areas of the estate, for a maintenance-fund matter (proposed by the 业委会).
    for hh in Household.objects.filter(building__path__startswith=estate.path).order_by("pk")[:40]:
        OwnerShare.objects.get_or_create(household=hh, defaults={"floor_area": Decimal("89.50")})
    actions.raise_matter(
        actor=staff,
        area=estate,
        kind=fund,
        title="使用维修资金更换电梯主板",
        description="2号楼电梯频繁故障，维保单位建议更换主板，拟申请使用专项维修资金。",
        source="committee",
    )
    del community
