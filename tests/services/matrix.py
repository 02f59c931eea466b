"""services' scoped models in the permission matrix (tests/matrix.py): the case, its extension
requests, the patrol log and the routing rules (which hang on an area like the rest)."""

from __future__ import annotations

from django.urls import reverse

from services import actions
from services.actions import Intake
from services.models import Case, Category, ExtensionRequest, PatrolLog, RoutingRule
from tests.matrix import Place, register


def _category() -> Category:
    return Category.objects.get_or_create(code="matrix", defaults={"name": "矩阵"})[0]


def _case(p: Place) -> Case:
    # Filed by phone (no reporter account): only the scope makes it visible.
    intake = Intake(
        case_type="help",
        category=_category(),
        description=p.label,
        place=p.building,
        reporter_phone="13800000000",
    )
    return actions.submit_case(intake, actor=None)


def _extension(p: Place) -> ExtensionRequest:
    # The matrix needs a row, not the way to one (request_extension's own tests walk that).
    return ExtensionRequest.objects.create(
        case=_case(p),
        requested_by=p.territory.user("superuser"),
        working_days=3,
        reason=p.label,
    )


def _patrol(p: Place) -> PatrolLog:
    return actions.log_patrol(actor=p.territory.user("superuser"), grid=p.grid, seen=p.label)


def _desk(name: str, *args: str):
    return lambda case: reverse(f"desk:{name}", args=[case.number, *args])


# The desk's case page serves staff; its actions and the reveal are POSTs on the case.
register(
    Case,
    _case,
    api="/api/services/cases/",
    pages=(_desk("case"),),
    page_roles=("superuser", "district", "street", "community", "grid", "dept"),
    posts=(_desk("act", "dispatch"), _desk("act", "not_accepted"), _desk("reveal")),
)
register(ExtensionRequest, _extension)
register(PatrolLog, _patrol)
register(
    RoutingRule,
    lambda p: RoutingRule.objects.create(category=_category(), area=p.grid, level="grid"),
    api="/api/services/routing-rules/",
)
