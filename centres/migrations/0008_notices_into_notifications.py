"""Centres' own in-site notices retire into the one inbox (notifications): every Notice row
becomes a Notification with the same recipient, kind, title, body, times and read mark, and a
link to what it was about (the activity for a place on it, the resident's bookings and
appointments otherwise). Then the Notice table goes."""

from django.db import migrations
from django.urls import NoReverseMatch, reverse


def _url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def copy_notices(apps, schema_editor):
    Notice = apps.get_model("centres", "Notice")
    Notification = apps.get_model("notifications", "Notification")
    mine = _url("centres:mine")
    batch = []
    rows = Notice.objects.order_by("pk").values(
        "recipient_id",
        "kind",
        "title",
        "body",
        "created_at",
        "read_at",
        "signup__activity_id",
        "booking_id",
        "appointment_id",
    )
    for n in rows.iterator(chunk_size=2000):
        if n["signup__activity_id"]:
            link = _url("centres:activity", n["signup__activity_id"])
        elif n["booking_id"]:
            link = f"{mine}#my-bookings" if mine else ""
        elif n["appointment_id"]:
            link = f"{mine}#my-appointments" if mine else ""
        else:
            link = ""
        batch.append(
            Notification(
                recipient_id=n["recipient_id"],
                kind=n["kind"][:24],
                title=n["title"][:200],
                body=n["body"],
                link=link,
                created_at=n["created_at"],
                read_at=n["read_at"],
            )
        )
        if len(batch) >= 2000:
            Notification.objects.bulk_create(batch)
            batch = []
    Notification.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("centres", "0007_affairitem_area"),
        ("notifications", "0002_inbox_for_everyone"),
    ]

    operations = [
        migrations.RunPython(copy_notices, migrations.RunPython.noop),
        migrations.DeleteModel(name="Notice"),
    ]
