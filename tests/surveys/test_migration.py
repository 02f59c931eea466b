"""The data migration that moves the co-building orders' satisfaction scores into the surveys
engine (surveys 0002, then centres 0009 drops the column): run on real rows from the state
before, every score lands once as a response to its community's rating, and the figures read
it back; going back restores the column with the scores."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("centres", "0008_notices_into_notifications"), ("surveys", "0001_initial")]


def _latest(executor: MigrationExecutor):
    executor.loader.build_graph()
    return executor.loader.graph.leaf_nodes()


def test_order_scores_move_into_the_engine_and_back():
    executor = MigrationExecutor(connection)
    latest = _latest(executor)
    try:
        executor.migrate(BEFORE)
        apps = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        Area = apps.get_model("grids", "Area")
        Centre = apps.get_model("centres", "Centre")
        Unit = apps.get_model("grids", "CoBuildingUnit")
        ListItem = apps.get_model("centres", "ListItem")
        Order = apps.get_model("centres", "Order")
        community = Area.objects.create(path="9999", depth=1, name="迁移社区", kind="community")
        centre = Centre.objects.create(name="迁移中心", community=community)
        unit = Unit.objects.create(name="迁移单位", home_community=community)
        item = ListItem.objects.create(
            kind="service", centre=centre, unit=unit, title="修", quota=5
        )
        from django.utils import timezone

        now = timezone.now()
        rated = [
            Order.objects.create(item=item, status="completed", satisfaction=s, completed_at=now)
            for s in (3, 5)
        ]
        Order.objects.create(item=item, status="completed", completed_at=now)  # not rated

        executor = MigrationExecutor(connection)
        executor.migrate(latest)
        from surveys.actions import order_scores
        from surveys.models import Kind, Participation, Questionnaire, Response

        assert order_scores([o.pk for o in rated]) == {rated[0].pk: 3, rated[1].pk: 5}
        questionnaire = Questionnaire.objects.get(kind=Kind.ORDER, area_id=community.pk)
        assert Response.objects.filter(round__questionnaire=questionnaire).count() == 2
        assert sorted(Participation.objects.values_list("key", flat=True)) == sorted(
            f"o:{o.pk}" for o in rated
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM information_schema.columns "
                "WHERE table_name = 'centres_order' AND column_name = 'satisfaction'"
            )
            assert cursor.fetchone()[0] == 0

        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        apps = executor.loader.project_state(BEFORE).apps
        Order = apps.get_model("centres", "Order")
        assert dict(Order.objects.filter(item_id=item.pk).values_list("pk", "satisfaction")) == {
            rated[0].pk: 3,
            rated[1].pk: 5,
            max(o.pk for o in Order.objects.all()): None,
        }
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(_latest(executor))
