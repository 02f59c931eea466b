"""The area tree's order is bytewise on PostgreSQL whatever the database's collation."""

from __future__ import annotations

from django.db import connection

from grids.models import Area


def test_area_path_column_uses_the_c_collation(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT collation_name FROM information_schema.columns"
            " WHERE table_name = 'grids_area' AND column_name = 'path'"
        )
        assert cursor.fetchone()[0] == "C"


def test_children_come_back_in_path_order_under_a_prefix_query(territory):
    street = territory.street
    paths = list(
        Area.objects.filter(path__startswith=street.path)
        .order_by("path")
        .values_list("path", flat=True)
    )
    assert paths == sorted(paths, key=lambda p: p.encode())
    assert paths[0] == street.path
    # Two communities, each with a level-1 grid, two grids at each lower level, two estates
    # and two buildings: 1 + 2 * (1 + 1 + 2 * 4) nodes.
    assert len(paths) == 1 + 2 * (2 + 2 * 4)
