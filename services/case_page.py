"""What the staff case page shows about a case: its fields as (label, text) rows, grouped as
the admin's fieldsets are.

The admin renders each read-only field through AdminReadonlyField (a lookup, a display
helper, an admin URL reversed for every related object, a template per fieldset): about 40
fields cost more than half of the whole page. Plain text rows built here render in a fraction
of that; the page is read-only anyway and changes go through the action forms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from services.choices import State
from services.models import Case

EMPTY = "—"


def field_text(case: Case, name: str) -> str:
    """The display text of one model field of a case."""
    field = Case._meta.get_field(name)
    value: Any = getattr(case, name)
    if value is None or value == "":
        return EMPTY
    if field.choices:  # type: ignore[union-attr]  # get_field() of a concrete field
        return str(getattr(case, f"get_{name}_display")())
    if isinstance(field, models.BooleanField):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "Y-m-d H:i")
    return str(value)


def summary(case: Case, fieldsets, computed: dict[str, tuple[str, str]]) -> list[dict]:
    """Sections [{"title", "rows": [(label, text), ...]}] following `fieldsets` (the admin's
    structure); `computed` gives the text of names that are not model fields (e.g. the phone
    as this viewer may see it) as {name: (label, text)}."""
    sections = []
    for title, options in fieldsets:
        rows: list[tuple[str, str]] = []
        for line in options["fields"]:
            for name in line if isinstance(line, tuple | list) else (line,):
                if name in computed:
                    rows.append(computed[name])
                else:
                    label = Case._meta.get_field(name).verbose_name  # type: ignore[union-attr]
                    rows.append((str(label), field_text(case, name)))
        sections.append({"title": title, "rows": rows})
    return sections


def timeline(events) -> list[tuple[str, str, str, str, str, str]]:
    """The timeline's rows as text: at, action, from, to, by, note (states by their labels)."""
    states = dict(State.choices)
    system = _("system")
    return [
        (
            date_format(timezone.localtime(e.at), "Y-m-d H:i"),
            e.action_label,
            str(states.get(e.from_state, e.from_state)),
            str(states.get(e.to_state, e.to_state)),
            str(e.actor) if e.actor_id else system,
            e.note,
        )
        for e in events
    ]
