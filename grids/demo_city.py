"""A Quanzhou-sized territory for benchmarks (manage.py seed_demo --scale city).

≈ 2,600 level-1, 12,600 level-2 and 18,400 level-3 grids, an estate and buildings under every
level-3 grid, and ≈ 500,000 households with one resident each, bulk-inserted level by level.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from django.db import connection, transaction

from grids.bulk import child_path
from grids.models import Area, Household, Resident

CITY_CODE = "SCALE"
DISTRICTS = 12
STREETS_PER_DISTRICT = 14  # 168 streets
COMMUNITIES_PER_STREET = 15  # 2,520 communities, one level-1 grid each (+ dedicated grids)
L2_PER_L1 = 5  # ≈ 12,600
L3_PATTERN = (2, 1, 2, 1, 2, 2, 1, 2, 1, 1)  # mean 1.5 → ≈ 18,900 level-3 grids
BUILDINGS_PER_ESTATE = 2
HOUSEHOLDS_PER_BUILDING = 13  # ≈ 490,000 households


class ProgressBar(Protocol):
    """What seed_demo's progress callback returns (a tqdm bar, or _NullBar)."""

    def update(self, n: int) -> object: ...

    def close(self) -> object: ...


Progress = Callable[[str, int], ProgressBar]


class _Level:
    """Collects one tree level's rows, assigning child paths under their parents."""

    def __init__(self) -> None:
        self.rows: list[Area] = []

    def add(self, parent: Area, index: int, **fields) -> Area:
        node = Area(
            path=child_path(parent.path, index), depth=parent.depth + 1, numchild=0, **fields
        )
        parent.numchild = index
        self.rows.append(node)
        return node


def seed_city(progress: Progress | None = None) -> Area:
    """Build the scale city once; a second call finds it and returns it."""
    existing = Area.objects.filter(code=CITY_CODE, depth=1).first()
    if existing:
        return existing
    progress = progress or (lambda label, total: _NullBar())
    with transaction.atomic():
        city = Area.objects.add_root({"code": CITY_CODE, "name": "规模测试市", "kind": "city"})
        levels: list[_Level] = []

        def level(i: int) -> _Level:
            while len(levels) <= i:
                levels.append(_Level())
            return levels[i]

        n = 0
        for d in range(1, DISTRICTS + 1):
            district = level(0).add(city, d, name=f"第{d}区", kind="district")
            for s in range(1, STREETS_PER_DISTRICT + 1):
                street = level(1).add(district, s, name=f"{d}区{s}街道", kind="street")
                for c in range(1, COMMUNITIES_PER_STREET + 1):
                    community = level(2).add(street, c, name=f"{d}-{s}-{c}社区", kind="community")
                    g1 = level(3).add(
                        community,
                        1,
                        name=f"{community.name}一级网格",
                        kind="grid",
                        grid_level=1,
                        grid_kind="comprehensive",
                    )
                    for g in range(1, L2_PER_L1 + 1):
                        g2 = level(4).add(
                            g1,
                            g,
                            name=f"{community.name}{g}网格",
                            kind="grid",
                            grid_level=2,
                            grid_kind="comprehensive",
                        )
                        for h in range(1, L3_PATTERN[n % len(L3_PATTERN)] + 1):
                            n += 1
                            g3 = level(5).add(
                                g2,
                                h,
                                name=f"{g2.name}-{h}",
                                kind="grid",
                                grid_level=3,
                                grid_kind="comprehensive",
                            )
                            estate = level(6).add(g3, 1, name=f"{g3.name}小区", kind="estate")
                            for b in range(1, BUILDINGS_PER_ESTATE + 1):
                                level(7).add(estate, b, name=f"{b}号楼", kind="building")
        city.numchild = DISTRICTS
        city.save(update_fields=["numchild"])
        total = sum(len(lv.rows) for lv in levels)
        bar = progress("areas", total)
        for lv in levels:
            for start in range(0, len(lv.rows), 5000):
                chunk = lv.rows[start : start + 5000]
                Area.objects.bulk_create(chunk, batch_size=5000)
                bar.update(len(chunk))
        bar.close()
        buildings = levels[7].rows
    _seed_city_households(buildings, progress)
    _seed_city_boundaries(city)
    with connection.cursor() as cursor:  # fresh statistics for the planner after a bulk load
        cursor.execute("ANALYZE grids_area; ANALYZE grids_household; ANALYZE grids_resident")
    return city


def _seed_city_boundaries(city: Area) -> None:
    """Generated outlines of districts, streets and communities (the dashboard's map at
    scale; bench/ measures the GeoJSON of a district's streets)."""
    from grids import actions
    from grids.boundaries import draw

    actions.set_boundaries(draw(city, (118.3, 24.6, 118.9, 25.2), down_to_depth=city.depth + 3))


def _seed_city_households(buildings: list[Area], progress: Progress) -> None:
    bar = progress("households", len(buildings) * HOUSEHOLDS_PER_BUILDING)
    batch_h: list[Household] = []
    i = 0

    def flush() -> None:
        with transaction.atomic():
            Household.objects.bulk_create(batch_h, batch_size=5000)
            Resident.objects.bulk_create(
                [
                    Resident(
                        household=h, name=h.head_name, phone=f"13{(k % 10**9):09d}", relation="户主"
                    )
                    for k, h in enumerate(batch_h, i - len(batch_h))
                ],
                batch_size=5000,
            )
        bar.update(len(batch_h))
        batch_h.clear()

    for building in buildings:
        for r in range(1, HOUSEHOLDS_PER_BUILDING + 1):
            i += 1
            batch_h.append(
                Household(
                    building=building,
                    room=f"{(r - 1) // 2 + 1}0{r % 2 + 1}",
                    head_name=f"住户{i}",
                    member_count=1 + i % 4,
                )
            )
        if len(batch_h) >= 10000:
            flush()
    if batch_h:
        flush()
    bar.close()


class _NullBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass
