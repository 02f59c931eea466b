"""Territory benchmarks on the city-scale seed (make seed-city: ≈ 33,000 grids, ≈ 490,000
households).

Figures: a street's whole subtree (one indexed query), the same through the API; a community
staff member's scoped household changelist and a district's area tree (counts per node); the
scope check itself (building a user's scope, and checking one object against it); coverage of
a street.
"""

from __future__ import annotations

from statistics import median

from bench._util import count_queries, p95, timings


def _setup():
    from django.contrib.auth import get_user_model

    from grids.models import Area, Role, RoleAssignment

    city = Area.objects.filter(code="SCALE", depth=1).first()
    if city is None:
        raise RuntimeError("run `make seed-city` first (manage.py seed_demo --scale city)")
    street = Area.objects.filter(path__startswith=city.path, kind="street").order_by("path")[7]
    community = Area.objects.filter(path__startswith=street.path, kind="community").order_by(
        "path"
    )[3]
    district = Area.objects.get(path=street.path[: -Area.steplen])
    User = get_user_model()
    users = {}
    for key, role, area in (
        ("community", Role.COMMUNITY_STAFF, community),
        ("district", Role.DISTRICT_STAFF, district),
    ):
        user, _ = User.objects.get_or_create(username=f"bench-grids-{key}", is_staff=True)
        RoleAssignment.objects.get_or_create(user=user, role=role, area=area)
        users[key] = user
    return city, district, street, community, users


def run(emit) -> None:
    from django.test import Client

    from grids.coverage import coverage
    from grids.models import Area, Household
    from grids.scope import build_scope, scope_for

    city, district, street, community, users = _setup()
    sizes = {
        "areas": Area.objects.filter(path__startswith=city.path).count(),
        "grids": Area.objects.filter(path__startswith=city.path, kind="grid").count(),
        "households": Household.objects.filter(building__path__startswith=city.path).count(),
    }

    # --- a street's subtree: every node below it, one indexed range query ---------------------
    def subtree():
        return list(
            Area.objects.filter(path__startswith=street.path).values_list(
                "id", "path", "kind", "name"
            )
        )

    nodes = len(subtree())
    emit("street_subtree_p95", p95(timings(subtree, repeat=100)), "ms", **sizes, nodes=nodes)

    client = Client()
    client.force_login(users["district"])
    url = f"/api/grids/areas/{street.pk}/subtree/?page_size=500"
    assert client.get(url).status_code == 200
    emit(
        "street_subtree_api_p95",
        p95(timings(lambda: client.get(url), repeat=40)),
        "ms",
        **sizes,
        page=500,
    )
    emit("street_subtree_api_queries", count_queries(lambda: client.get(url)), "queries")

    # --- a community staff member's household changelist --------------------------------------
    client = Client()
    client.force_login(users["community"])
    url = "/admin/grids/household/"
    response = client.get(url)
    assert response.status_code == 200
    in_scope = Household.objects.filter(building__path__startswith=community.path).count()
    samples = timings(lambda: client.get(url), repeat=40)
    emit("community_household_changelist_p95", p95(samples), "ms", **sizes, in_scope=in_scope)
    emit("community_household_changelist_median", median(samples), "ms", in_scope=in_scope)
    emit(
        "community_household_changelist_queries",
        count_queries(lambda: client.get(url)),
        "queries",
        in_scope=in_scope,
    )
    search = "/admin/grids/household/?q=住户"
    emit(
        "community_household_search_p95",
        p95(timings(lambda: client.get(search), repeat=40)),
        "ms",
        in_scope=in_scope,
    )

    # --- a district's area tree with counts per node ----------------------------------------------
    client = Client()
    client.force_login(users["district"])
    url = f"/admin/grids/area/children/{district.pk}/"
    assert client.get(url).status_code == 200
    emit(
        "district_tree_children_p95",
        p95(timings(lambda: client.get(url), repeat=20)),
        "ms",
        **sizes,
        children=district.numchild,
    )
    emit("district_tree_children_queries", count_queries(lambda: client.get(url)), "queries")

    # --- the scope check itself ---------------------------------------------------------------
    user = users["community"]
    samples = timings(lambda: build_scope(user), repeat=500)
    emit("scope_build_p95", p95(samples), "ms")
    emit("scope_build_median", median(samples), "ms")
    from django.contrib.auth import get_user_model

    def shared_scope():
        # What a request pays: a user loaded from the session, its scope from the cache.
        loaded = get_user_model()(pk=user.pk, username=user.username, is_active=True)
        return scope_for(loaded)

    samples = timings(shared_scope, repeat=1000)
    emit("scope_per_request_p95", p95(samples), "ms")
    emit("scope_per_request_median", median(samples), "ms")
    household = Household.objects.filter(building__path__startswith=community.path).first()
    scope = scope_for(user)
    emit("scope_covers_object_p95", p95(timings(lambda: scope.covers(household), repeat=500)), "ms")
    building = Area.objects.get(pk=household.building_id)
    emit(
        "scope_covers_area_p95",
        p95(timings(lambda: scope.covers_area(building), repeat=2000)),
        "ms",
    )

    # --- coverage of a street -----------------------------------------------------------------
    emit(
        "street_coverage_p95",
        p95(timings(lambda: coverage(street), repeat=20)),
        "ms",
        households=Household.objects.filter(building__path__startswith=street.path).count(),
    )
