"""Bulk writes for batch jobs (the deadline sweep, notification rows) where Django's
bulk_create and bulk_update cost more Python than the database spends on the rows.

bulk_create prepares every value of every row through the field's get_db_prep_save and builds
one placeholder per value; bulk_update writes a CASE WHEN per field per row. For thousands of
plain rows that is most of the work. `insert_rows`/`insert_values` and `update_rows` hand
psycopg2 the attribute values as they are (ints, strings, aware datetimes, JSON wrapped once),
have it quote each row (mogrify) and send one multi-row INSERT, or one UPDATE … FROM (VALUES
…), per PAGE rows through Django's cursor (so query logging and test query counts see it).
Only the field types listed in _PLAIN are accepted, so a model that needs real preparation
fails loudly instead of writing a wrong value."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, cast

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
    getters: list[tuple[str, Callable[[Any], Any] | None]] = []
    for name in fields:
        field = meta.get_field(name)
        if isinstance(field, models.JSONField):
            encoder = field.encoder

            def dumps(value, _encoder=encoder):
                return json.dumps(value, cls=_encoder)

            getters.append((field.attname, partial(Json, dumps=dumps)))
        elif isinstance(field, _PLAIN):
            getters.append((field.attname, None))
        else:
            raise TypeError(f"portal.bulk cannot write {type(field).__name__} {name!r}")

    def row(obj) -> tuple:
        return tuple(
            getattr(obj, attname) if wrap is None else wrap(getattr(obj, attname))
            for attname, wrap in getters
        )

    return row


def _field(model: type[models.Model], name: str) -> models.Field:
    """The field `name` of `model`, which must have a column of its own (a reverse relation or
    a many-to-many has none and cannot be written here)."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.column is None:
        raise TypeError(f"portal.bulk cannot write {name!r} of {model.__name__}: no column")
    return field


def _column(field: models.Field) -> str:
    return cast(str, field.column)  # checked by _field; a primary key always has one


def column_list(model: type[models.Model], fields: Sequence[str]) -> str:
    return ", ".join(connection.ops.quote_name(_column(_field(model, n))) for n in fields)


def insert_values(
    model: type[models.Model],
    rows: Sequence[tuple],
    fields: Sequence[str],
    returning: str | None = None,
) -> list:
    """INSERT rows given as tuples of `fields` values, already as psycopg2 takes them (see
    row_getter), one multi-row statement per PAGE rows. With `returning`, the list of that
    column's values, in row order."""
    if not rows:
        return []
    meta = model._meta
    head = f"INSERT INTO {connection.ops.quote_name(meta.db_table)} "
    head += f"({column_list(model, fields)}) VALUES "
    tail = ""
    if returning:
        tail = f" RETURNING {connection.ops.quote_name(_column(_field(model, returning)))}"
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
    fills (the primary key). Primary keys are not read back."""
    if not objs:
        return
    row = row_getter(model, fields)
    insert_values(model, [row(obj) for obj in objs], fields)


def update_rows(model: type[models.Model], objs: Sequence[models.Model], fields: Sequence[str]):
    """UPDATE the rows of `objs` (saved instances, by primary key), setting `fields` to their
    attribute values: one `UPDATE … FROM (VALUES …)` per PAGE rows, each value cast to its
    column's type. The rows should be locked by the caller (select_for_update)."""
    if not objs:
        return
    meta = model._meta
    q = connection.ops.quote_name
    pk = meta.pk
    assert pk is not None  # a concrete model always has a primary key
    columns = [_field(model, n) for n in fields]
    row = row_getter(model, [pk.name, *fields])
    template = "(" + ", ".join(f"%s::{f.db_type(connection)}" for f in [pk, *columns]) + ")"
    sets = ", ".join(f"{q(_column(f))} = v.{q(_column(f))}" for f in columns)
    names = ", ".join(q(_column(f)) for f in [pk, *columns])
    head = f"UPDATE {q(meta.db_table)} AS t SET {sets} FROM (VALUES "
    tail = f") AS v({names}) WHERE t.{q(_column(pk))} = v.{q(_column(pk))}"
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg2's, for mogrify: the statement itself goes through Django
        for start in range(0, len(objs), PAGE):
            values = b", ".join(raw.mogrify(template, row(o)) for o in objs[start : start + PAGE])
            cursor.execute(head + values.decode() + tail)  # no params: a % in the data stays
