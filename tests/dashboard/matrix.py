"""The dashboard in the permission matrix (tests/matrix.py): its pages and JSON at one
community and one grid, and the monthly report rows."""

from __future__ import annotations

from dashboard.models import Report
from tests.matrix import Place, register, register_page


def _report(p: Place) -> Report:
    return Report.objects.create(
        area=p.grid,
        month=p.grid.created_at.date().replace(day=1),
        requested_by=p.territory.user("superuser"),
    )


register(Report, _report, viewers=("community", "grid"), admin=False)

for name, path in (
    ("dashboard", "/dashboard/"),
    ("dashboard:data", "/dashboard/data/"),
    ("dashboard:geo", "/dashboard/geo/"),
    ("dashboard:points", "/dashboard/points/"),
    ("dashboard:stream", "/dashboard/stream/"),
    ("dashboard:reports", "/dashboard/reports/"),
):
    register_page(
        f"{name} (community)",
        lambda p, path=path: f"{path}?area={p.community.pk}",
        secret=lambda p: p.community.name if p.community.name else None,
    )
register_page(
    "dashboard (grid)",
    lambda p: f"/dashboard/?area={p.grid.pk}",
    viewers=("community", "grid"),
    secret=lambda p: p.grid.name,
)
