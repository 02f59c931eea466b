"""Excel ledgers of the territory: import and export of grids, estates, buildings, households and
party members with django-import-export.

Rows of models that grids.actions owns (areas, team members, party members) are written
through its operations (add_area, update_area, appoint_team_member, update_team_member,
add_party_member, update_party_member); households are a register and saved directly.
Exports go out as .xlsx from the same resources (tablib); the admin sends them with
portal.excel.xlsx_response.

An import lands whole or not at all: every row is checked (scope, placement, values), every
bad row is reported with its spreadsheet line number (the header is line 1) and the reason, and
if there is one bad row nothing is written. Areas are found by their `code`; a user may only
write under areas their scope covers, and an area outside it reads as "no such code".
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import tablib
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Length, Substr
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from grids import actions
from grids.models import (
    Area,
    AreaKind,
    GridTeamMember,
    Household,
    MemberKind,
    PartyMember,
    PartyOrg,
    PartyOrgKind,
    TeamRole,
)
from grids.models.areas import validate_placement
from grids.scope import scope_for
from portal import text


class _Rollback(Exception):
    pass


def _visible_area(user, code, kinds, column: str) -> Area:
    code = (str(code).strip() if code is not None else "").removesuffix(".0")
    if not code:
        raise ValidationError({column: _("This column is required.")})
    area = Area.objects.visible_to(user).filter(code=code, kind__in=kinds).first()
    if area is None:
        raise ValidationError(
            {column: _("No area with code %(code)s in your scope.") % {"code": code}}
        )
    return area


class Whole(widgets.IntegerWidget):
    """A whole number, with a reason people understand when it is not one."""

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row=row, **kwargs)
        except (ArithmeticError, ValueError) as exc:
            raise ValueError(_("Enter a whole number, not %(value)s.") % {"value": value}) from exc


class ScopedResource(resources.ModelResource):
    """A resource that knows the importing user (keyword `user` of import_data)."""

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """Report the cells that did not convert together with the row's own checks."""
        errors = dict(import_validation_errors or {})
        if not errors:
            try:
                self.check(instance)
            except ValidationError as exc:
                errors.update(exc.update_error_dict({}))
        if errors:
            raise ValidationError(errors)

    def check(self, instance) -> None:
        """Row checks beyond the cell conversions; raise ValidationError naming columns."""

    def get_or_init_instance(self, instance_loader, row):
        # After each resource's own row checks: every text cell under the one input rule
        # (portal.text), and a phone column normalised like a phone typed into a form.
        errors: dict[str, list[str]] = {}
        for column, value in row.items():
            if isinstance(value, str) and not str(column).startswith("_"):
                code = text.problem(value, multiline=True)
                if code is not None:
                    errors[str(column)] = [str(text.MESSAGES[code])]
        if row.get("phone") and "phone" not in errors:
            try:
                row["phone"] = text.clean_phone(str(row["phone"]))
            except ValidationError as exc:
                errors["phone"] = exc.messages
        if errors:
            raise ValidationError(errors)
        return super().get_or_init_instance(instance_loader, row)


# --- areas -----------------------------------------------------------------------------------
class AreaResource(ScopedResource):
    """Rows of one area kind, placed under `parent_code`; an existing `code` is updated in
    place (never moved: moves are done on the tree)."""

    kind: str = ""
    parent_kinds: tuple[str, ...] = ()

    code = fields.Field(attribute="code", column_name="code")
    name = fields.Field(attribute="name", column_name="name")
    parent_code = fields.Field(attribute="parent_code", column_name="parent_code")

    class Meta:
        model = Area
        import_id_fields = ("code",)
        fields: tuple[str, ...] = ("code", "name", "parent_code")
        skip_diff = True

    def get_instance(self, instance_loader, row):
        code = str(row.get("code") or "").strip()
        if not code:
            return None
        return Area.objects.filter(code=code).first()

    def before_import_row(self, row, **kwargs):
        for column in ("code", "name"):
            if not str(row.get(column) or "").strip():
                raise ValidationError({column: _("This column is required.")})
        existing = Area.objects.filter(code=str(row["code"]).strip()).first()
        if existing and (
            existing.kind != self.kind or not scope_for(self.user).covers_area(existing)
        ):
            raise ValidationError({"code": _("This code belongs to another area.")})
        row["_parent"] = _visible_area(
            self.user, row.get("parent_code"), self.parent_kinds, "parent_code"
        )

    def import_instance(self, instance, row, **kwargs):
        instance.kind = self.kind
        instance.code = str(row["code"]).strip()
        super().import_instance(instance, row, **kwargs)

    def check(self, instance) -> None:
        parent = instance.__dict__.get("_row_parent")
        if parent is not None:
            validate_placement(self.kind, parent, instance.grid_level)

    def save_instance(self, instance, is_create, row, **kwargs):
        # The tree's own operations: add_area places (and locks the parent), update_area
        # edits in place; neither moves a node.
        parent = row["_parent"]
        values = {name: getattr(instance, name) for name in actions.AREA_FIELDS}
        if is_create or instance.pk is None:
            instance.pk = actions.add_area(parent, actor=self.user, **values).pk
        else:
            if not instance.path.startswith(parent.path) or instance.depth != parent.depth + 1:
                raise ValidationError(
                    {"parent_code": _("Moving an area is done on the tree, not by import.")}
                )
            actions.update_area(instance, actor=self.user, **values)

    def after_init_instance(self, instance, new, row, **kwargs):
        instance._row_parent = row.get("_parent")

    def export(self, queryset=None, **kwargs):
        if queryset is None:
            queryset = Area.objects.visible_to(self.user) if self.user else Area.objects.all()
        queryset = queryset.filter(kind=self.kind).annotate(
            parent_code=Subquery(
                Area.objects.filter(
                    path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Area.steplen)
                ).values("code")[:1]
            )
        )
        return super().export(queryset=queryset, **kwargs)


class GridResource(AreaResource):
    kind = AreaKind.GRID
    parent_kinds = (AreaKind.COMMUNITY, AreaKind.GRID)
    grid_level = fields.Field(attribute="grid_level", column_name="grid_level", widget=Whole())
    grid_kind = fields.Field(attribute="grid_kind", column_name="grid_kind")
    dedicated_kind = fields.Field(attribute="dedicated_kind", column_name="dedicated_kind")
    households_planned = fields.Field(
        attribute="households_planned",
        column_name="households_planned",
        widget=Whole(),
    )

    class Meta(AreaResource.Meta):
        fields = (
            "code",
            "name",
            "parent_code",
            "grid_level",
            "grid_kind",
            "dedicated_kind",
            "households_planned",
        )

    def check(self, instance) -> None:
        errors = {}
        if instance.grid_kind not in ("comprehensive", "dedicated"):
            errors["grid_kind"] = _("Use comprehensive or dedicated.")
        if instance.grid_kind == "dedicated" and not instance.dedicated_kind:
            errors["dedicated_kind"] = _("A dedicated grid says what it is dedicated to.")
        instance.dedicated_kind = instance.dedicated_kind or ""
        instance.households_planned = instance.households_planned or 0
        if errors:
            raise ValidationError(errors)
        super().check(instance)


class EstateResource(AreaResource):
    kind = AreaKind.ESTATE
    parent_kinds = (AreaKind.GRID,)


class BuildingResource(AreaResource):
    kind = AreaKind.BUILDING
    parent_kinds = (AreaKind.ESTATE, AreaKind.GRID)


# --- households and party members ------------------------------------------------------------
class HouseholdResource(ScopedResource):
    building_code = fields.Field(
        attribute="building__code", column_name="building_code", readonly=True
    )
    room = fields.Field(attribute="room", column_name="room")
    head_name = fields.Field(attribute="head_name", column_name="head_name")
    member_count = fields.Field(
        attribute="member_count", column_name="member_count", widget=Whole()
    )
    is_party_member_household = fields.Field(
        attribute="is_party_member_household",
        column_name="party_member_household",
        widget=widgets.BooleanWidget(),
    )

    class Meta:
        model = Household
        fields = ("building_code", "room", "head_name", "member_count", "is_party_member_household")
        import_id_fields = ("building_code", "room")
        skip_diff = True

    def get_instance(self, instance_loader, row):
        building = row.get("_building")
        room = str(row.get("room") or "").strip()
        return Household.objects.filter(building=building, room=room).first() if building else None

    def before_import_row(self, row, **kwargs):
        row["_building"] = _visible_area(
            self.user, row.get("building_code"), (AreaKind.BUILDING,), "building_code"
        )
        if not str(row.get("room") or "").strip():
            raise ValidationError({"room": _("This column is required.")})
        row["room"] = str(row["room"]).strip().removesuffix(".0")

    def import_instance(self, instance, row, **kwargs):
        instance.building = row["_building"]
        super().import_instance(instance, row, **kwargs)
        if instance.member_count is None:
            instance.member_count = 1
        instance.is_party_member_household = bool(instance.is_party_member_household)

    def check(self, instance) -> None:
        instance.full_clean(exclude=["building"], validate_unique=False)

    def export(self, queryset=None, **kwargs):
        if queryset is None:
            queryset = Household.objects.visible_to(self.user)
        return super().export(queryset=queryset.select_related("building"), **kwargs)


class PartyMemberResource(ScopedResource):
    """Local members by branch (the code of the area the branch sits on)."""

    name = fields.Field(attribute="name", column_name="name")
    branch_area_code = fields.Field(
        attribute="branch__area__code", column_name="branch_area_code", readonly=True
    )
    phone = fields.Field(attribute="phone", column_name="phone")

    class Meta:
        model = PartyMember
        fields = ("name", "branch_area_code", "phone")
        import_id_fields = ("name", "branch_area_code")
        skip_diff = True

    def get_instance(self, instance_loader, row):
        branch = row.get("_branch")
        return PartyMember.objects.filter(
            branch=branch, name=str(row.get("name") or "").strip()
        ).first()

    def before_import_row(self, row, **kwargs):
        area = _visible_area(
            self.user,
            row.get("branch_area_code"),
            (AreaKind.GRID, AreaKind.ESTATE, AreaKind.BUILDING),
            "branch_area_code",
        )
        branch = (
            PartyOrg.objects.filter(area=area, kind__in=[PartyOrgKind.BRANCH, PartyOrgKind.GROUP])
            .order_by("kind")
            .first()
        )
        if branch is None:
            raise ValidationError({"branch_area_code": _("No party branch sits on that area.")})
        if not str(row.get("name") or "").strip():
            raise ValidationError({"name": _("This column is required.")})
        row["name"] = str(row["name"]).strip()
        row["phone"] = str(row.get("phone") or "").strip().removesuffix(".0")
        row["_branch"] = branch

    def import_instance(self, instance, row, **kwargs):
        instance.branch = row["_branch"]
        instance.area = row["_branch"].area
        instance.kind = MemberKind.LOCAL
        super().import_instance(instance, row, **kwargs)

    def check(self, instance) -> None:
        instance.full_clean(
            exclude=["branch", "area", "resident", "user", "workplace"], validate_unique=False
        )

    def save_instance(self, instance, is_create, row, **kwargs):
        if instance.pk is None:
            member = actions.add_party_member(
                row["_branch"], name=instance.name, phone=instance.phone, actor=self.user
            )
            instance.pk = member.pk
        else:
            actions.update_party_member(
                instance,
                name=instance.name,
                phone=instance.phone,
                resident=instance.resident,
                user=instance.user,
                actor=self.user,
            )

    def export(self, queryset=None, **kwargs):
        if queryset is None:
            queryset = PartyMember.objects.visible_to(self.user)
        return super().export(
            queryset=queryset.filter(kind=MemberKind.LOCAL).select_related("branch__area"), **kwargs
        )


class Day(widgets.Widget):
    """A date: an Excel date cell or YYYY-MM-DD text."""

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        try:
            return datetime.date.fromisoformat(str(value).strip())
        except ValueError as exc:
            raise ValueError(
                _("Enter a date as YYYY-MM-DD, not %(value)s.") % {"value": value}
            ) from exc

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


class TeamMemberResource(ScopedResource):
    """Grid team members (1+1+N+Z and 两长一员). A row whose grid, role, name and start date
    match an existing member updates its phone, organisation and end date; any other row
    appoints a new member through grids.actions (one full-time worker per grid at any date)."""

    grid_code = fields.Field(attribute="grid__code", column_name="grid_code", readonly=True)
    role = fields.Field(attribute="role", column_name="role")
    name = fields.Field(attribute="name", column_name="name")
    phone = fields.Field(attribute="phone", column_name="phone")
    organisation = fields.Field(attribute="organisation", column_name="organisation")
    auxiliary_kind = fields.Field(attribute="auxiliary_kind", column_name="auxiliary_kind")
    starts_on = fields.Field(attribute="starts_on", column_name="starts_on", widget=Day())
    ends_on = fields.Field(attribute="ends_on", column_name="ends_on", widget=Day())

    class Meta:
        model = GridTeamMember
        fields = (
            "grid_code",
            "role",
            "name",
            "phone",
            "organisation",
            "auxiliary_kind",
            "starts_on",
            "ends_on",
        )
        import_id_fields = ("grid_code", "role", "name", "starts_on")
        skip_diff = True

    def before_import_row(self, row, **kwargs):
        row["_grid"] = _visible_area(self.user, row.get("grid_code"), (AreaKind.GRID,), "grid_code")
        for column in ("role", "name"):
            if not str(row.get(column) or "").strip():
                raise ValidationError({column: _("This column is required.")})
        row["role"] = str(row["role"]).strip()
        if row["role"] not in TeamRole.values:
            raise ValidationError(
                {"role": _("Use one of: %(roles)s") % {"roles": ", ".join(TeamRole.values)}}
            )
        for column in ("phone", "organisation", "auxiliary_kind"):
            row[column] = str(row.get(column) or "").strip().removesuffix(".0")

    def get_instance(self, instance_loader, row):
        try:
            starts_on = Day().clean(row.get("starts_on"))
        except ValueError:
            return None
        if starts_on is None:
            return None
        return GridTeamMember.objects.filter(
            grid=row.get("_grid"),
            role=row.get("role"),
            name=str(row.get("name")).strip(),
            starts_on=starts_on,
        ).first()

    def import_instance(self, instance, row, **kwargs):
        instance.grid = row["_grid"]
        super().import_instance(instance, row, **kwargs)

    def check(self, instance) -> None:
        if instance.starts_on is None:
            raise ValidationError({"starts_on": _("This column is required.")})
        if instance.ends_on is not None and instance.ends_on < instance.starts_on:
            raise ValidationError({"ends_on": _("The end date is before the start date.")})

    def save_instance(self, instance, is_create, row, **kwargs):
        if instance.pk is None:
            created = actions.appoint_team_member(
                instance.grid,
                role=instance.role,
                name=instance.name,
                starts_on=instance.starts_on,
                ends_on=instance.ends_on,
                phone=instance.phone,
                organisation=instance.organisation,
                auxiliary_kind=instance.auxiliary_kind,
                actor=self.user,
            )
            instance.pk = created.pk
        else:
            # A changed end date ends (or reopens) the linked grid_worker role as well, so a
            # worker ended by import loses the grid's scope like one ended on the page.
            actions.update_team_member(
                instance,
                phone=instance.phone,
                organisation=instance.organisation,
                auxiliary_kind=instance.auxiliary_kind,
                ends_on=instance.ends_on,
                actor=self.user,
            )

    def export(self, queryset=None, **kwargs):
        if queryset is None:
            queryset = GridTeamMember.objects.visible_to(self.user)
        return super().export(queryset=queryset.select_related("grid"), **kwargs)


RESOURCES: dict[str, type[ScopedResource]] = {
    "team_members": TeamMemberResource,
    "grids": GridResource,
    "estates": EstateResource,
    "buildings": BuildingResource,
    "households": HouseholdResource,
    "party_members": PartyMemberResource,
}


# --- the import ------------------------------------------------------------------------------
@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)

    @property
    def ok(self) -> bool:
        return not self.errors


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(str(m) for m in msgs)}" for name, msgs in error.message_dict.items()
        )
    return " ".join(str(m) for m in error.messages)


def load_xlsx(data: bytes) -> tablib.Dataset:
    """The first sheet of an .xlsx, header on line 1, empty trailing rows dropped."""
    dataset = tablib.Dataset().load(data, format="xlsx")
    while len(dataset) and all(v in (None, "") for v in dataset[-1]):
        del dataset[-1]
    return dataset


def import_xlsx(kind: str, data: bytes, user) -> ImportReport:
    """Import one sheet of `kind` (a key of RESOURCES) as `user`: all rows or none."""
    report = ImportReport()
    try:
        dataset = load_xlsx(data)
    except Exception:  # not an xlsx at all: one error for the file, nothing imported
        report.errors.append((0, _("The file is not an Excel workbook (.xlsx).")))
        return report
    report.rows = len(dataset)
    resource = RESOURCES[kind](user=user)
    expected = {f.column_name for f in resource.get_import_fields()}
    absent = sorted(
        c
        for c in ("code", "name", "room", "building_code", "branch_area_code", "grid_code")
        if c in expected and c not in (dataset.headers or [])
    )
    if absent:
        report.errors.append(
            (1, _("Missing columns: %(columns)s") % {"columns": ", ".join(absent)})
        )
        return report
    try:
        with transaction.atomic():
            result = resource.import_data(
                dataset,
                dry_run=False,
                raise_errors=False,
                use_transactions=True,
                rollback_on_validation_errors=True,
            )
            for invalid in result.invalid_rows:
                report.errors.append((invalid.number + 1, _messages(invalid.error)))
            for number, errors in result.row_errors():
                for error in errors:
                    report.errors.append((number + 1, str(error.error)))
            report.created = result.totals.get("new", 0)
            report.updated = result.totals.get("update", 0)
            if report.errors:
                raise _Rollback
    except _Rollback:
        report.created = report.updated = 0
        report.errors.sort()
    return report


def export_xlsx(kind: str, user, queryset=None) -> bytes:
    """The rows of `kind` the user may see (or `queryset`, already scoped), as .xlsx bytes."""
    resource = RESOURCES[kind](user=user)
    dataset = resource.export(queryset=queryset)
    return dataset.export("xlsx")
