"""A partial covering index for the dashboard's sign-up figures (centres.figures): confirmed
sign-ups per activity with their check-in time, so the district's count reads the index only.
Built concurrently (2,000,000 sign-ups at city scale), hence atomic = False."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("centres", "0009_surveys_order_satisfaction_moved")]

    operations = [
        AddIndexConcurrently(
            model_name="signup",
            index=models.Index(
                condition=models.Q(("status", "confirmed")),
                fields=["activity"],
                include=["checked_in_at"],
                name="centres_signup_figs_confirmed",
            ),
        ),
    ]
