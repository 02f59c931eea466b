"""The affairs catalogue hangs on the area tree, so it is kept by area like every other
catalogue: the items that existed were the city's (city-wide), so they go on the city (the
root of the tree they were used under)."""

import django.db.models.deletion
from django.db import migrations, models


def to_the_city(apps, schema_editor):
    AffairItem = apps.get_model("centres", "AffairItem")
    Area = apps.get_model("grids", "Area")
    if not AffairItem.objects.exists():
        return
    city = Area.objects.filter(depth=1).order_by("path").first()
    if city is None:
        raise RuntimeError("Affair items exist but there is no city in the area tree.")
    AffairItem.objects.update(area=city)


class Migration(migrations.Migration):
    dependencies = [
        ("centres", "0006_booking_no_overlap_in_meta"),
        ("grids", "0008_area_path_c_collation"),
    ]

    operations = [
        migrations.AddField(
            model_name="affairitem",
            name="area",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="affair_items",
                to="grids.area",
            ),
        ),
        migrations.RunPython(to_the_city, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="affairitem",
            name="area",
            field=models.ForeignKey(
                help_text="The city for the whole city's catalogue; a district or street for its own.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="affair_items",
                to="grids.area",
                verbose_name="offered in",
            ),
        ),
    ]
