"""Each area's household counts (Area.figs_households, figs_people), which the dashboard's
organisation and workforce figures sum, are the database's: after every kind of write to the
households (create, a bulk create, a move to another building, a change of members, a delete,
a bulk delete) each area's counts equal a direct count of its households, and no other writer
(an Area.save() holding stale values, a raw UPDATE, an insert) can set them. The figures read
from them equal the households counted through their buildings."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Sum

from grids import figures as grid_figures
from grids.models import Area, Household
from tests.territory import add


def _direct() -> dict[int, tuple[int, int]]:
    out = dict.fromkeys(Area.objects.values_list("pk", flat=True), (0, 0))
    for r in Household.objects.values("building_id").annotate(n=Count("pk"), p=Sum("member_count")):
        out[r["building_id"]] = (r["n"], r["p"])
    return out


def _kept() -> dict[int, tuple[int, int]]:
    rows = Area.objects.values_list("pk", "figs_households", "figs_people")
    return {pk: (n, p) for pk, n, p in rows}


def test_counts_follow_every_write(territory):
    t = territory
    one, two = t.a.buildings[0], t.b.buildings[0]
    assert _kept() == _direct()  # the territory's own households, created one by one
    Household.objects.create(building=one, room="202", member_count=3)
    Household.objects.bulk_create(
        [Household(building=two, room=f"3{i}", member_count=i) for i in range(1, 4)]
    )
    assert _kept() == _direct()
    moved = Household.objects.get(building=one, room="202")
    moved.building = two
    moved.save()
    assert _kept() == _direct()
    Household.objects.filter(building=two).update(member_count=5)
    assert _kept() == _direct()
    assert _kept()[two.pk][1] == 5 * Household.objects.filter(building=two).count()
    Household.objects.filter(building=two, room__startswith="3").delete()
    moved.delete()
    assert _kept() == _direct()


def test_no_other_writer_sets_the_counts(territory):
    building = territory.a.buildings[0]
    stale = Area.objects.get(pk=building.pk)
    Household.objects.create(building=building, room="909", member_count=4)
    before = _kept()[building.pk]
    stale.name = stale.name + "（新）"
    stale.save()  # every column, the counts as they were loaded
    assert _kept()[building.pk] == before
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE grids_area SET figs_households = 99, figs_people = 7 WHERE id = %s",
            [building.pk],
        )
    assert _kept()[building.pk] == before == _direct()[building.pk]
    made = add(
        territory.a.grids[-1], name="新楼", kind="building", figs_households=5, figs_people=9
    )
    assert _kept()[made.pk] == (0, 0)


def test_subtree_figures_equal_the_households_through_their_buildings(territory):
    t = territory
    Household.objects.create(building=t.b.buildings[0], room="505", member_count=2)
    per_child, totals = grid_figures.subtree(t.street)
    for kid in Area.objects.filter(path__startswith=t.street.path, depth=t.street.depth + 1):
        direct = Household.objects.filter(building__path__startswith=kid.path).count()
        assert per_child[kid.pk]["households"] == direct
    assert (
        totals["households"]
        == Household.objects.filter(building__path__startswith=t.street.path).count()
    )
