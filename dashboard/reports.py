"""The monthly report's workbook: the dashboard's panels (dashboard.panels.build, so the
same numbers as the screen) written as sheets with portal.excel, the one Excel writer."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext as _

from dashboard.geo import outlines
from dashboard.panels import build
from dashboard.scope import view_of
from grids.scope import scope_for
from portal.excel import xlsx_bytes
from portal.readdb import reading_from, replica_alias
from services.figures import Target
from workforce.figures import staffing


def _pct(v):
    return None if v is None else round(v * 100, 1)


def workforce_sheet(data: dict, short: bool = False) -> tuple[str, list, list] | None:
    """The workforce staffing figures (workforce.figures): per community with a total row for
    the workbook; the totals alone (a short table) for the PDF. None where the panel is absent
    (below community level, or no community in the user's view)."""
    totals = data.get("workforce")
    if not totals or not totals.get("communities"):
        return None
    name = _("Community workforce")
    if short:
        return (
            name,
            [_("Figure"), _("Value")],
            [
                (_("workers"), totals["workers"]),
                (_("workers the norm asks for"), totals["required"]),
                (_("vacancies"), totals["vacancies"]),
                (_("workers per 10,000 residents"), totals["per_10k"]),
                (_("norm"), totals["norm"]),
                (_("communities below the norm"), totals["below_norm"]),
                (_("communities short of centre floor area"), totals["floor_short"]),
            ],
        )
    header = [
        _("community"),
        _("Households"),
        _("residents"),
        _("workers"),
        _("workers per 10,000 residents"),
        _("norm"),
        _("workers the norm asks for"),
        _("vacancies"),
        _("centre floor area (m²)"),
        _("floor area the norm asks for (m²)"),
    ]
    rows: list = [
        (
            r["community"],
            r["households"],
            r["residents"],
            r["workers"],
            r["per_10k"],
            r["norm"],
            r["required"],
            r["vacancies"],
            r["floor_area"],
            r["floor_required"],
        )
        for r in data.get("workforce_rows", ())
    ]
    rows.append(
        (
            _("Total"),
            totals["households"],
            totals["residents"],
            totals["workers"],
            totals["per_10k"],
            totals["norm"],
            totals["required"],
            totals["vacancies"],
            None,
            None,
        )
    )
    return name, header, rows


def sheets(data: dict, pdf: bool = False) -> list[tuple[str, list, list]]:
    """The workbook's sheets (the PDF's tables: `pdf` makes the workforce table short)."""
    k, cases = data["cases"]["kpis"], data["cases"]
    summary = [
        (_("Area"), data["target"]["name"]),
        (_("Month"), data["month"]),
        (_("Counted at"), data["as_of"]),
        (_("Cases dispatched"), k["dispatched"]),
        (_("Response rate") + " (%)", _pct(k["response_rate"])),
        (_("Resolution rate") + " (%)", _pct(k["resolution_rate"])),
        (_("Satisfaction rate") + " (%)", _pct(k["satisfaction_rate"])),
        (_("On-time resolution") + " (%)", _pct(k["on_time_rate"])),
        (_("Weighted score"), k["score"]),
        (_("Overdue in the month"), k["overdue"]),
        (_("Mean handling time (hours)"), k["mean_handling_hours"]),
        (_("Handled before a complaint (未诉先办)") + " (%)", _pct(cases["proactive_share"])),
        (_("Open cases now"), cases["open"]),
        (_("Yellow cards now"), cases["yellow"]),
        (_("Overdue now"), cases["overdue_open"]),
    ]
    org, vol = data.get("organisation"), data.get("volunteers")
    if org:
        summary += [
            (_("Grids with a full-time worker"), org["grids_staffed"]),
            (_("Grids"), org["grids"]),
            (_("Estates with a branch"), org["estates_with_branch"]),
            (_("Households with a contact party member"), org["households_with_contact"]),
            (_("Party branches"), org["branches"]),
        ]
    if vol:
        summary += [
            (_("Volunteers"), vol["volunteers"]),
            (_("Hours served this month"), vol["hours"]),
            (_("福分 earned"), vol["points_earned"]),
            (_("福分 spent"), vol["points_spent"]),
            (_("双报到 members confirmed"), vol["party_reports"]),
            (_("Service posts claimed this month"), vol["post_claims"]),
            (_("Micro-wishes fulfilled this month"), vol["wishes_fulfilled"]),
        ]
    out: list[tuple[str, list, list]] = [(_("Summary"), [_("Figure"), _("Value")], summary)]
    out.append(
        (
            _("Ranking"),
            [
                "#",
                _("Area"),
                _("Score"),
                _("Cases"),
                _("Overdue"),
                _("Response rate") + " (%)",
                _("Resolution rate") + " (%)",
                _("Satisfaction rate") + " (%)",
                _("Households"),
                _("Per 1,000 households"),
            ],
            [
                (
                    c["rank"],
                    c["name"],
                    c["score"],
                    c["dispatched"],
                    c["overdue"],
                    _pct(c["response_rate"]),
                    _pct(c["resolution_rate"]),
                    _pct(c["satisfaction_rate"]),
                    c["households"],
                    c["per_1000"],
                )
                for c in data["children"]
            ],
        )
    )
    out.append(
        (
            _("Twelve months"),
            [
                _("Month"),
                _("Cases dispatched"),
                _("Response rate") + " (%)",
                _("Resolution rate") + " (%)",
                _("Satisfaction rate") + " (%)",
                _("Overdue"),
                _("Weighted score"),
            ],
            [
                (
                    m["month"],
                    m["dispatched"],
                    _pct(m["response_rate"]),
                    _pct(m["resolution_rate"]),
                    _pct(m["satisfaction_rate"]),
                    m["overdue"],
                    m["score"],
                )
                for m in data["trend"]
            ],
        )
    )
    out.append(
        (
            _("Top categories"),
            [_("Category"), _("Cases")],
            [(c["name"], c["count"]) for c in data["categories"]],
        )
    )
    out.append(
        (
            _("Units with most overdue cases"),
            [_("Handling unit"), _("Overdue now")],
            [(u["name"], u["count"]) for u in data["units"]],
        )
    )
    centres = data.get("centres")
    if centres:
        out.append(
            (
                _("Centres"),
                [
                    _("Function"),
                    _("Services given"),
                    _("Places taken"),
                    _("Attended"),
                    _("Appointments handled"),
                    _("Co-building orders completed"),
                ],
                [
                    (
                        f["label"],
                        f["services_given"],
                        f["signups"],
                        f["attended"],
                        f["appointments_handled"],
                        f["orders_completed"],
                    )
                    for f in centres["by_function"]
                ],
            )
        )
    staffing = workforce_sheet(data, short=pdf)
    if staffing is not None:
        out.append(staffing)
    return out


def files(report, progress: Callable[[int], None] = lambda pct: None) -> tuple[bytes, bytes]:
    """The report's .xlsx and .pdf, computed as the requesting user sees the area (their
    scope): one build of the panels for both, so both hold the same numbers."""
    from dashboard.report_pdf import render

    user = report.requested_by
    view = view_of(scope_for(user), Target(area=report.area), report.month)
    progress(10)
    with reading_from(replica_alias()):
        data = build(view, user)
        shapes = outlines(view)
        if data.get("workforce") and view.area is not None:
            data["workforce_rows"] = [r.as_dict() for r in staffing(user, view.area)]
    progress(60)
    content = xlsx_bytes(sheets(data))
    progress(75)
    pdf = render(data, shapes)
    progress(95)
    return content, pdf
