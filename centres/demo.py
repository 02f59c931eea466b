"""The demo city's centres: one per community, with an operator login for the first."""

from centres.models import Centre
from grids.demo import DemoContext, _assign, _user
from grids.models import Role


def seed(ctx: DemoContext) -> None:
    centres = []
    for community in ctx.communities:
        centre, _ = Centre.objects.get_or_create(
            community=community,
            name=f"{community.name}党群服务中心",
            defaults={"address": f"{community.name}中心路1号"},
        )
        centres.append(centre)
    operator = _user(
        ctx,
        "operator1",
        "乐龄养老服务中心 运营方",
        Role.CENTRE_OPERATOR.label,
        centres[0].name,
        is_staff=True,
    )
    _assign(operator, Role.CENTRE_OPERATOR, centre_id=centres[0].pk)
