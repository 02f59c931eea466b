"""The desk's case page (/desk/c/<number>/) on the city-scale seed (make seed-city).

Figures (queries and p95 of the whole request through the test client, session and scope
included): an open case with a 30-step timeline as district staff (who is offered the most
forms: transfer and joint units read the units above the place); a submitted case with the
dispatch form as community staff; a dispatched case as the grid worker of its grid; a resolved
case (the callback clock) as street staff; a master case with cases merged into it; and the
POST of a sign-for (the action, its event, the redirect) as district staff.
Targets (issue 15): ≤ 12 queries, p95 ≤ 40 ms at 1,000,000 cases.
"""

from __future__ import annotations

from bench._util import count_queries, p95, timings

REPEAT = 60


def _user(username: str, role: str, area):
    from django.contrib.auth import get_user_model

    from grids.models import RoleAssignment

    user, _ = get_user_model().objects.get_or_create(username=username, defaults={"is_staff": True})
    RoleAssignment.objects.get_or_create(user=user, role=role, area=area)
    return user


def _setup():
    from grids.models import Area, Role

    city = Area.objects.filter(code="SCALE", depth=1).first()
    if city is None:
        raise RuntimeError("run `make seed-city` first (manage.py seed_demo --scale city)")
    district = Area.objects.filter(path__startswith=city.path, kind="district").order_by("path")[0]
    street = Area.objects.filter(path__startswith=district.path, kind="street").order_by("path")[0]
    community = Area.objects.filter(path__startswith=street.path, kind="community").order_by(
        "path"
    )[0]
    grid = (
        Area.objects.filter(path__startswith=community.path, kind="grid")
        .order_by("-depth", "path")
        .first()
    )
    users = {
        "district": _user("bench-case-district", Role.DISTRICT_STAFF, district),
        "street": _user("bench-case-street", Role.STREET_STAFF, street),
        "community": _user("bench-case-community", Role.COMMUNITY_STAFF, community),
        "grid": _user("bench-case-grid", Role.GRID_WORKER, grid),
    }
    return city, district, street, community, grid, users


def _cases(district, street, community, grid, users):
    """One case per figure, made ready through the operations where the seed has none."""
    from services import actions
    from services.models import Case

    in_district = Case.objects.filter(place_path__startswith=district.path)
    timeline = in_district.filter(state="submitted").order_by("-pk").first()
    timeline = actions.dispatch(timeline, actor=None)
    actions.sign_for(timeline, actor=users["district"])
    for i in range(27):
        actions.add_progress(timeline, actor=users["district"], note=f"进展 {i}")
    submitted = (
        Case.objects.filter(place_path__startswith=community.path, state="submitted")
        .order_by("-pk")
        .first()
    )
    dispatched = Case.objects.filter(
        place_path__startswith=grid.path, state="dispatched", level="grid"
    ).first()
    if dispatched is None:  # the grid's own: dispatch one of its submitted cases there
        waiting = Case.objects.filter(place_path__startswith=grid.path, state="submitted").first()
        if waiting is None:
            waiting = in_district.filter(state="submitted").first()
        dispatched = actions.dispatch(waiting, actor=None)
    resolved = (
        Case.objects.filter(place_path__startswith=street.path, state="resolved")
        .order_by("-pk")
        .first()
    )
    # A master inside the district (a case may be merged into one across the boundary).
    master = (
        in_district.filter(pk__in=in_district.filter(state="merged").values("master_id"))
        .order_by("-pk")
        .first()
    )
    figures = {
        "open_30_steps_district": (timeline, users["district"]),
        "submitted_community": (submitted, users["community"]),
        "dispatched_grid": (dispatched, users["grid"]),
        "resolved_street": (resolved, users["street"]),
    }
    if master is not None:  # the seed merges few cases; none may have its master here
        figures["master_district"] = (master, users["district"])
    return figures


def run(emit) -> None:
    from portal.celery import app

    # Notices the operations send go to a queue nobody reads; it is purged at the end.
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = "bench-desk-case"
    try:
        _run(emit)
    finally:
        app.conf.task_default_queue = previous_queue
        try:
            with app.connection_for_write() as conn:
                conn.default_channel.queue_purge("bench-desk-case")
        except Exception:  # the queue may not exist on this broker
            pass


def _run(emit) -> None:
    from django.test import Client
    from django.urls import reverse

    from services.models import Case

    city, district, street, community, grid, users = _setup()
    total = Case.objects.filter(place_path__startswith=city.path).count()
    for label, (case, user) in _cases(district, street, community, grid, users).items():
        client = Client()
        client.force_login(user)
        url = reverse("desk:case", args=[case.number])
        response = client.get(url)
        assert response.status_code == 200, (label, response.status_code)
        sizes = {"cases": total, "steps": case.events.count(), "state": case.state}
        emit(
            f"case_page_{label}_queries", count_queries(lambda u=url, c=client: c.get(u)), "queries"
        )
        emit(
            f"case_page_{label}_p95",
            p95(timings(lambda u=url, c=client: c.get(u), repeat=REPEAT)),
            "ms",
            **sizes,
        )

    # The POST of one action: sign for a freshly dispatched case, as district staff.
    from services import actions

    client = Client()
    client.force_login(users["district"])
    waiting = list(
        Case.objects.filter(place_path__startswith=district.path, state="submitted").order_by("pk")[
            : REPEAT + 3
        ]
    )
    ready = [actions.dispatch(c, actor=None) for c in waiting]
    queue = iter(ready)

    def sign() -> None:
        case = next(queue)
        url = reverse("desk:act", args=[case.number, "sign_for"])
        response = client.post(url, {"expected_version": case.version})
        assert response.status_code == 302, response.status_code

    emit("case_act_sign_for_p95", p95(timings(sign, repeat=REPEAT)), "ms", cases=total)
