"""No two live bookings of one space overlap, enforced by PostgreSQL.

An exclusion constraint over tstzrange(starts_at, ends_at, '[)') per space (needs btree_gist for
the `=` on space_id). It is not declared in Booking.Meta because SQLite cannot create it; on
SQLite centres.actions.book_space's locked check is the guard."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE centres_booking ADD CONSTRAINT centres_booking_no_overlap
  EXCLUDE USING gist (space_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
  WHERE (status IN ('pending', 'confirmed', 'used'));
"""
DROP = "ALTER TABLE centres_booking DROP CONSTRAINT IF EXISTS centres_booking_no_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


SIX = [
    ("childcare", "幼有所育 childcare and education"),
    ("elderly", "老有所养 elderly care"),
    ("health", "病有所医 health"),
    ("food", "食有所安 food"),
    ("leisure", "居有所乐 culture and leisure"),
    ("affairs", "事有所办 one-stop affairs"),
]


def six_functions(apps, schema_editor):
    """Centres made before functions existed get the six, like every new centre."""
    Centre = apps.get_model("centres", "Centre")
    Function = apps.get_model("centres", "Function")
    for centre in Centre.objects.all():
        for i, (code, name) in enumerate(SIX):
            Function.objects.get_or_create(centre=centre, code=code, defaults={"name": name, "sort": i})


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("centres", "0002_centres_full")]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.RunPython(six_functions, migrations.RunPython.noop),
    ]
