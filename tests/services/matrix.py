"""services' scoped models in the permission matrix (tests/matrix.py): the case, its extension
requests, the patrol log and the routing rules (which hang on an area like the rest)."""

from __future__ import annotations

import io

from django.urls import reverse
from openpyxl import load_workbook

from services import actions
from services.actions import Intake
from services.desk import options
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


def _desk_pages(client, role, seen) -> None:
    """The 12345 desk (services.desk) for each role: the list (plain and searched by number),
    the counts, the Excel export and bulk dispatch show and act on exactly the cases the role
    sees; the admin's case URLs lead there, or 404. The matrix's cases are new (submitted)."""
    options.clear()  # each test's territory reuses the paths of the last one, not its ids
    list_page = client.get(reverse("desk:cases"), {"per": 200})
    if list_page.status_code != 200:  # not staff: no desk at all (404, or the login page)
        assert list_page.status_code in (302, 404), (role, list_page.status_code)
        assert client.get(reverse("desk:home")).status_code in (302, 404), role
        assert client.get(reverse("desk:export")).status_code in (302, 404), role
        for case, _visible in seen:
            client.post(reverse("desk:bulk-dispatch"), {"case": [case.pk]})
            assert Case.objects.get(pk=case.pk).state == "submitted", role
        return
    listed = {row["number"] for row in list_page.context["page_cases"]}
    sheet = client.get(reverse("desk:export"))
    exported = {row[0] for row in list(load_workbook(io.BytesIO(sheet.content)).active.values)[1:]}
    tiles = {t.key: t.count for t in client.get(reverse("desk:home")).context["tiles"]}
    for case, visible in seen:
        assert (case.number in listed) == visible, (role, case.number, "list")
        assert (case.number in exported) == visible, (role, case.number, "export")
        found = client.get(reverse("desk:cases"), {"q": case.number}).context["page_cases"]
        assert bool(found) == visible, (role, case.number, "search")
        status = client.get(reverse("admin:services_case_change", args=[case.pk])).status_code
        assert status in ((302,) if visible else (302, 404)), (role, status)
        if visible:
            assert client.get(reverse("admin:services_case_change", args=[case.pk]))[
                "Location"
            ] == reverse("desk:case", args=[case.number])
    if "dispatch" in tiles:  # every case here waits for dispatch; only the seen are counted
        assert tiles["dispatch"] == sum(1 for _case, visible in seen if visible), role
    for case, visible in seen:
        if not visible:  # a crafted id from outside the scope dispatches nothing
            client.post(reverse("desk:bulk-dispatch"), {"case": [case.pk]})
            assert Case.objects.get(pk=case.pk).state == "submitted", (role, case.number)


# The admin's case pages lead to the desk (admin=False here; _desk_pages checks them).
def _desk(name: str, *args: str):
    return lambda case: reverse(f"desk:{name}", args=[case.number, *args])


# The desk's case page serves staff; its actions and the reveal are POSTs on the case.
register(
    Case,
    _case,
    api="/api/services/cases/",
    admin=False,
    check_pages=_desk_pages,
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
