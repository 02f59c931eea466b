"""services' scoped models in the permission matrix (tests/matrix.py): the case, its extension
requests, the patrol log and the routing rules (which hang on an area like the rest)."""

from __future__ import annotations

from services import actions
from services.actions import Intake
from services.models import Case, Category, ExtensionRequest, PatrolLog, RoutingRule
from tests.matrix import Place, register, register_page


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


register(Case, _case, api="/api/services/cases/")
register(ExtensionRequest, _extension)
register(PatrolLog, _patrol)
register(
    RoutingRule,
    lambda p: RoutingRule.objects.create(category=_category(), area=p.grid, level="grid"),
    api="/api/services/routing-rules/",
)


# --- the desk's pages -------------------------------------------------------------------------------


def _staff_case(p: Place) -> Case:
    """A hotline call keyed in by the superuser at the place (open: a likely duplicate)."""
    intake = Intake(
        case_type="help",
        category=_category(),
        description=p.label,
        place=p.building,
        channel="hotline",
        reporter_phone=p.resident.phone,
    )
    return actions.submit_case(intake, actor=p.territory.user("superuser"))


register_page("desk:new", lambda p: "/desk/new/")


def _last_number(p: Place) -> str:
    return (
        Case.objects.filter(description=p.label).order_by("-pk").values_list("number", flat=True)[0]
    )


register_page(
    "desk:new confirmation",
    lambda p: f"/desk/new/?done={_staff_case(p).number}",
    secret=_last_number,
)
register_page(
    "desk:caller",
    lambda p: f"/desk/new/caller/?phone={p.resident.phone}",
    secret=lambda p: p.resident.name,
)
register_page(
    "desk:places",
    lambda p: f"/desk/new/places/?q={p.estate.name}",
    secret=lambda p: f'"id": {p.estate.pk},',
)
register_page(
    "desk:duplicates",
    lambda p: f"/desk/new/duplicates/?place={p.building.pk}&category={_staff_case(p).category_id}",
    secret=lambda p: p.label,
)
