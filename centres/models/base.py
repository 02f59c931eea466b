"""Shared pieces of the centre models: who may use them in the admin and API, and the
eligibility rules services, activities and affairs share."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models.roles import CATALOGUE_EDITORS, TERRITORIAL_ROLES, Role

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Centre operators run their own centre's services, spaces and activities; territorial staff
# (community and up) run everything under their area. Grid workers read.
CENTRE_ROLES = frozenset({*TERRITORIAL_ROLES, Role.CENTRE_OPERATOR})
CENTRE_SCOPE_ROLES: dict[str, frozenset[str]] = {
    "view": CENTRE_ROLES,
    "add": CENTRE_ROLES - {Role.GRID_WORKER},
    "change": CENTRE_ROLES - {Role.GRID_WORKER},
    "delete": CENTRE_ROLES - {Role.GRID_WORKER},
}
# The centre itself, its operators' whitelist and co-building: territorial staff only edit.
TERRITORY_SCOPE_ROLES: dict[str, frozenset[str]] = {
    "view": CENTRE_ROLES,
    "add": frozenset(TERRITORIAL_ROLES) - {Role.GRID_WORKER},
    "change": CENTRE_ROLES - {Role.GRID_WORKER},
    "delete": frozenset(TERRITORIAL_ROLES) - {Role.GRID_WORKER},
}

# The affairs catalogue: read by everyone who works at centres, kept by city and district staff
# (each for the areas they cover: grids.scope).
AFFAIRS_SCOPE_ROLES: dict[str, frozenset[str]] = {
    "view": CENTRE_ROLES,
    "add": CATALOGUE_EDITORS,
    "change": CATALOGUE_EDITORS,
    "delete": CATALOGUE_EDITORS,
}


def age_on(birth_date, day) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


class Eligibility(models.Model):
    """Who may use a service, sign up for an activity or book an affair: an age range and
    whether only residents of the centre's own communities may."""

    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    residents_only = models.BooleanField(
        _("residents of the centre's communities only"), default=False
    )

    class Meta:
        abstract = True

    def eligibility_text(self) -> str:
        parts: list[StrOrPromise] = []
        if self.min_age and self.max_age:
            parts.append(_("aged %(a)s to %(b)s") % {"a": self.min_age, "b": self.max_age})
        elif self.min_age:
            parts.append(_("aged %(a)s or over") % {"a": self.min_age})
        elif self.max_age:
            parts.append(_("aged %(b)s or under") % {"b": self.max_age})
        if self.residents_only:
            parts.append(_("residents of the centre's communities"))
        return "; ".join(str(p) for p in parts) or str(_("everyone"))

    def check_eligible(self, person, centre, field: str = "resident") -> None:
        """Raise a ValidationError naming `field` when `person` (centres.people.Person) may
        not take part."""
        if self.min_age or self.max_age:
            if person.birth_date is None:
                raise ValidationError(
                    {
                        field: _("This is open to %(who)s; we need your date of birth to check.")
                        % {"who": self.eligibility_text()}
                    }
                )
            age = age_on(person.birth_date, timezone.localdate())
            if (self.min_age and age < self.min_age) or (self.max_age and age > self.max_age):
                raise ValidationError(
                    {field: _("This is open to %(who)s only.") % {"who": self.eligibility_text()}}
                )
        if self.residents_only and not centre.serves_path(person.area_path):
            raise ValidationError(
                {field: _("This is open to %(who)s only.") % {"who": self.eligibility_text()}}
            )
