"""The desk's indexes (services.desk, services.search).

- `services_case_list` (replacing `services_case_place`, the same key): a scope's cases by
  place, with every column the desk's list filters and sorts by, so any filter over a
  district's 83,000 cases is one pass over this index, not over the table.
- `services_case_desk`: the cases still to work on (not closed, or resolved and awaiting the
  callback), by place path, carrying every column the desk's tiles test. A district's counts
  read about 25,000 entries of it and no table rows (at 1,000,000 cases).
- `services_case_words`: word search. pg_trgm's GIN operator class over the description written
  as overlapping character pairs (`services_case_words`, see services/search.py for why: most
  Chinese words are two characters, fewer than a trigram needs).

All are built CONCURRENTLY (the migration is not atomic): on a live table of a million cases
the build takes a few minutes and must not stop intake and the sweep meanwhile.
"""

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import (
    AddIndexConcurrently,
    RemoveIndexConcurrently,
    TrigramExtension,
)
from django.db import migrations, models

import services.search


# services.search.pairs is this function's twin in Python (for the term searched).
WORDS_FUNCTION = r"""
CREATE OR REPLACE FUNCTION services_case_words(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT ' ' || regexp_replace(lower(t), '(.)', '\1 \1', 'g') || ' ' $$
"""


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("services", "0008_routing_level_label")]

    operations = [
        TrigramExtension(),
        migrations.RunSQL(
            WORDS_FUNCTION,
            "DROP FUNCTION IF EXISTS services_case_words(text)",
        ),
        AddIndexConcurrently(
            model_name="case",
            index=models.Index(
                condition=models.Q(
                    (
                        "state__in",
                        ["submitted", "dispatched", "signed", "in_progress", "returned", "resolved"],
                    )
                ),
                fields=["place_path"],
                include=(
                    "id",
                    "state",
                    "resolve_due",
                    "card_level",
                    "level",
                    "channel",
                    "handling_area",
                    "handling_department",
                    "assignee",
                ),
                name="services_case_desk",
            ),
        ),
        # Replaces services_case_place (the same key): built first, so reads by place always
        # have an index.
        AddIndexConcurrently(
            model_name="case",
            index=models.Index(
                fields=["place_path", "created_at"],
                include=(
                    "id",
                    "number",
                    "state",
                    "case_type",
                    "category",
                    "channel",
                    "level",
                    "card_level",
                    "resolve_due",
                    "handling_area",
                    "handling_department",
                ),
                name="services_case_list",
            ),
        ),
        RemoveIndexConcurrently(model_name="case", name="services_case_place"),
        AddIndexConcurrently(
            model_name="case",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    services.search.CaseWords("description"), name="gin_trgm_ops"
                ),
                name="services_case_words",
            ),
        ),
    ]
