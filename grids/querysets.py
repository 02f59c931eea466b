"""QuerySets that know the area scope. Every scoped model's default manager is one of these,
so `Model.objects.visible_to(user)` is the one way to list what a user may see."""

from datetime import date
from typing import cast

from django.db import models
from django.db.models import Q
from django.utils import timezone
from treebeard.mp_tree import MP_NodeQuerySet


class ScopedQuerySetMixin:
    """Filters by grids.scope. A model says how it hangs on the tree with class attributes:

    - `scope_area_field`: path to an Area foreign key ("building", "household__building");
      "" when the model is the Area itself. Territorial staff see the subtree they cover.
    - `scope_department_field`, `scope_centre_field`, `scope_unit_field`,
      `scope_household_field`, `scope_user_field` (optional): what department handlers,
      centre operators, unit members, residents and the owning user see.
    A model with special rules overrides `visible_to` on its own queryset.
    """

    def visible_to(self, user) -> models.QuerySet:
        from grids.scope import scope_for

        qs = cast(models.QuerySet, self)  # only ever mixed into QuerySet subclasses
        return qs.filter(scope_for(user).q_for(qs.model))

    def changeable_by(self, user) -> models.QuerySet:
        from grids.scope import scope_for

        qs = cast(models.QuerySet, self)  # only ever mixed into QuerySet subclasses
        return qs.filter(scope_for(user).q_for(qs.model, action="change"))


class ScopedQuerySet(ScopedQuerySetMixin, models.QuerySet):
    pass


class ScopedMPNodeQuerySet(ScopedQuerySetMixin, MP_NodeQuerySet):
    pass


def current_q(on: date | None = None, prefix: str = "") -> Q:
    """THE "current holder" rule: a row with `starts_on`/`ends_on` holds on `on` (today by
    default) when it has started (or has no start) and has not ended (ends_on is inclusive;
    empty means open-ended). Role assignments, team memberships and everything that reads
    them (scopes, routing, notices) use this one Q, through the `current()` queryset methods.
    `prefix` reaches the dates through a relation ("role_assignments__")."""
    on = on or timezone.localdate()
    return (Q(**{f"{prefix}starts_on__isnull": True}) | Q(**{f"{prefix}starts_on__lte": on})) & (
        Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gte": on})
    )


class PeriodQuerySet(ScopedQuerySet):
    """A scoped queryset of rows that hold for a period (starts_on, ends_on)."""

    def current(self, on: date | None = None) -> models.QuerySet:
        """The rows holding on `on` (today by default): see current_q."""
        return self.filter(current_q(on))
