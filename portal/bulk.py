"""Bulk writes for batch jobs (the deadline sweep) where Django's bulk_create costs more
Python than the database spends on the rows.

bulk_create prepares every value of every row through the field's get_db_prep_save and builds
one placeholder per value; for thousands of plain rows that is most of the work. On PostgreSQL
`insert_rows` hands psycopg2 the attribute values as they are (ints, strings, aware datetimes,
JSON wrapped once), has it quote each row (mogrify) and sends one multi-row INSERT per
PAGE rows through Django's cursor (so query logging and test query counts see it). Only the
field types listed in _PLAIN are accepted, so a model that needs real preparation fails loudly
instead of writing a wrong value."""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection, models

PAGE = 2000  # rows per statement

_PLAIN = (
    models.AutoField,
    models.BigAutoField,
    models.BigIntegerField,
    models.BooleanField,
    models.CharField,
    models.DateTimeField,
    models.FloatField,
    models.ForeignKey,
    models.IntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SmallIntegerField,
    models.TextField,
)


def row_getter(model: type[models.Model], fields: Sequence[str]):
    """A function from an instance to the tuple of its `fields` as psycopg2 takes them (plain
    attribute values; JSON wrapped once). Only the field types in _PLAIN and JSONField are
    accepted: a field that needs real preparation fails here, not with a wrong value."""
    from psycopg2.extras import Json

    meta = model._meta
    getters = []
    for name in fields:
        field = meta.get_field(name)
        if isinstance(field, models.JSONField):
            encoder = field.encoder

            def dumps(value, _encoder=encoder):
                return json.dumps(value, cls=_encoder)

            getters.append((field.attname, lambda v, _d=dumps: Json(v, dumps=_d)))
        elif isinstance(field, _PLAIN):
            getters.append((field.attname, None))
        else:
            raise TypeError(f"insert_rows cannot write {type(field).__name__} {name!r}")

    def row(obj) -> tuple:
        return tuple(
            getattr(obj, attname) if wrap is None else wrap(getattr(obj, attname))
            for attname, wrap in getters
        )

    return row


def column_list(model: type[models.Model], fields: Sequence[str]) -> str:
    meta = model._meta
    return ", ".join(connection.ops.quote_name(meta.get_field(n).column) for n in fields)


def insert_values(
    model: type[models.Model],
    rows: Sequence[tuple],
    fields: Sequence[str],
    returning: str | None = None,
) -> list:
    """INSERT rows given as tuples of `fields` values, already as psycopg2 takes them (see
    row_getter), one multi-row statement per PAGE rows. With `returning`, the list of that
    column's values, in row order. Elsewhere than PostgreSQL: bulk_create."""
    if not rows:
        return []
    meta = model._meta
    if connection.vendor != "postgresql":
        names = [meta.get_field(n).attname for n in fields]
        objs = model.objects.bulk_create(
            [model(**dict(zip(names, r, strict=True))) for r in rows], 500
        )
        return [getattr(o, meta.get_field(returning).attname) for o in objs] if returning else []
    head = f"INSERT INTO {connection.ops.quote_name(meta.db_table)} "
    head += f"({column_list(model, fields)}) VALUES "
    tail = ""
    if returning:
        tail = f" RETURNING {connection.ops.quote_name(meta.get_field(returning).column)}"
    template = "(" + ", ".join(["%s"] * len(fields)) + ")"
    out: list = []
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg2's, for mogrify: the statement itself goes through Django
        for start in range(0, len(rows), PAGE):
            values = b", ".join(raw.mogrify(template, row) for row in rows[start : start + PAGE])
            # no params: a % in the data stays as it is
            cursor.execute(head + values.decode() + tail)
            if returning:
                out += [value for (value,) in cursor.fetchall()]
    return out


def insert_rows(model: type[models.Model], objs: Sequence[models.Model], fields: Sequence[str]):
    """INSERT `objs` (unsaved instances, or any objects with the fields' attributes) writing
    only `fields`; the rest take their column defaults, so leave out only fields the database
    fills (the primary key). Primary keys are not read back. Elsewhere than PostgreSQL the
    rows go through insert_values' bulk_create."""
    if not objs:
        return
    if connection.vendor == "postgresql":
        row = row_getter(model, fields)
    else:  # plain attribute values: bulk_create prepares them itself
        names = [model._meta.get_field(n).attname for n in fields]

        def row(obj) -> tuple:
            return tuple(getattr(obj, n) for n in names)

    insert_values(model, [row(obj) for obj in objs], fields)
