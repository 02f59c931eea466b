"""Ledger entries carry their transaction's time and kind (occurred_at, tx_kind) for the
dashboard's 福分 figures: the columns, the trigger that writes them on insert
(volunteers/sql/entry_figures.sql) and the copy for the entries already there. The ledger is
append-only (volunteers_entry_append_only refuses UPDATE), so the backfill runs with that
trigger switched off inside this migration's transaction, and on again before it commits."""

from django.db import migrations, models

from volunteers import sql

BACKFILL = """
ALTER TABLE volunteers_ledgerentry DISABLE TRIGGER volunteers_entry_append_only;
UPDATE volunteers_ledgerentry AS e
   SET occurred_at = t.occurred_at, tx_kind = t.kind
  FROM volunteers_ledgertransaction AS t
 WHERE t.id = e.transaction_id AND e.occurred_at IS NULL;
ALTER TABLE volunteers_ledgerentry ENABLE TRIGGER volunteers_entry_append_only;
"""


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0008_party_reports_wish_review_exchange_agreements")]

    operations = [
        migrations.AddField(
            model_name="ledgerentry",
            name="occurred_at",
            field=models.DateTimeField(editable=False, null=True, verbose_name="occurred at"),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="tx_kind",
            field=models.CharField(
                choices=[
                    ("award", "award for service"),
                    ("starter", "starter grant"),
                    ("redeem", "redemption"),
                    ("gift", "gift"),
                    ("donate", "donation"),
                    ("grant", "grant from the donation pool"),
                    ("reverse", "reversal"),
                    ("expire", "expiry"),
                    ("adjust", "adjustment"),
                ],
                editable=False,
                max_length=10,
                null=True,
                verbose_name="kind",
            ),
        ),
        migrations.RunPython(sql.install("entry_figures"), migrations.RunPython.noop),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
