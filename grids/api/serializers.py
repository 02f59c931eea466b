"""Serializers of the territory API. Related objects are chosen among what the requesting user
may see (`ScopedPK`), so an id from the other community is "invalid", never a leak. Writes go
through grids.actions (the views call them), so the API keeps the same rules as the admin."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from grids.models import (
    Area,
    AreaKind,
    CoBuildingUnit,
    ContactHousehold,
    GridTeamMember,
    Household,
    MemberKind,
    PartyMember,
    PartyOrg,
    PartyOrgKind,
    Resident,
    TeamRole,
)
from grids.privacy import shown_phone
from portal.text import PhoneSerializerField, TextSerializerMixin


@extend_schema_field(OpenApiTypes.STR)
class KindField(serializers.ChoiceField):
    """A choice field described as a plain string in the schema: several apps have a field
    named "kind" with different choices, and drf-spectacular would give them clashing enum
    names. The allowed values are in the endpoint's description and enforced here."""


class ScopedPK(serializers.PrimaryKeyRelatedField):
    """A primary key among the objects the requesting user may see."""

    def __init__(self, model, **kwargs):
        self.model = model
        kwargs.setdefault("queryset", model._default_manager.all())
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        qs = self.model._default_manager.all()
        return qs.visible_to(request.user) if request else qs.none()


class AreaSerializer(TextSerializerMixin, serializers.ModelSerializer):
    parent = serializers.SerializerMethodField()  # type: ignore[assignment]  # stubs: Field.parent
    kind = KindField(choices=AreaKind.choices, read_only=True)

    class Meta:
        model = Area
        fields = [
            "id",
            "name",
            "kind",
            "code",
            "depth",
            "path",
            "parent",
            "grid_level",
            "grid_kind",
            "dedicated_kind",
            "households_planned",
            "numchild",
            "lat",
            "lng",
        ]

    def get_parent(self, obj) -> int | None:
        # The parent id without a query per row: annotated by the view (None at the top).
        return getattr(obj, "parent_id", None)


class CoverageSerializer(TextSerializerMixin, serializers.Serializer):
    grids = serializers.IntegerField()
    estates = serializers.IntegerField()
    estates_with_branch = serializers.IntegerField()
    branch_share = serializers.FloatField(allow_null=True)
    households = serializers.IntegerField()
    households_with_contact = serializers.IntegerField()
    contact_share = serializers.FloatField(allow_null=True)
    party_members = serializers.IntegerField()


class TeamMemberSerializer(TextSerializerMixin, serializers.ModelSerializer):
    grid = ScopedPK(Area)
    phone = PhoneSerializerField(required=False, allow_blank=True, write_only=True)
    phone_shown = serializers.SerializerMethodField()
    is_current = serializers.SerializerMethodField()

    class Meta:
        model = GridTeamMember
        fields = [
            "id",
            "grid",
            "role",
            "auxiliary_kind",
            "name",
            "phone",
            "phone_shown",
            "organisation",
            "starts_on",
            "ends_on",
            "user",
            "is_current",
        ]
        read_only_fields = ["user"]
        extra_kwargs = {"starts_on": {"required": False}}

    def get_phone_shown(self, obj) -> str:
        return shown_phone(self.context["request"].user, obj.phone, obj.grid)

    def get_is_current(self, obj) -> bool:
        return obj.is_current()

    def validate_grid(self, grid):
        if grid.kind != "grid":
            raise serializers.ValidationError(_("Teams belong to grids."))
        return grid


class GridSerializer(AreaSerializer):
    team = serializers.SerializerMethodField()

    class Meta(AreaSerializer.Meta):
        fields = [*AreaSerializer.Meta.fields, "team"]

    def get_team(self, obj) -> list[dict]:
        user = self.context["request"].user
        return [
            {"id": m.id, "role": m.role, "name": m.name, "phone": shown_phone(user, m.phone, obj)}
            for m in getattr(obj, "current_team", [])
        ]


class PartyOrgSerializer(TextSerializerMixin, serializers.ModelSerializer):
    kind = KindField(choices=PartyOrgKind.choices)
    area = ScopedPK(Area)
    parent = ScopedPK(PartyOrg, required=False, allow_null=True)  # type: ignore[assignment]
    members_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = PartyOrg
        fields = [
            "id",
            "kind",
            "name",
            "area",
            "parent",
            "secretary",
            "founded_on",
            "members_count",
        ]


class PartyMemberSerializer(TextSerializerMixin, serializers.ModelSerializer):
    kind = KindField(choices=MemberKind.choices, required=False, default=MemberKind.LOCAL)
    branch = ScopedPK(PartyOrg, required=False, allow_null=True)
    community = ScopedPK(Area, required=False, allow_null=True, write_only=True)
    workplace = ScopedPK(CoBuildingUnit, required=False, allow_null=True)
    resident = ScopedPK(Resident, required=False, allow_null=True)
    phone = PhoneSerializerField(required=False, allow_blank=True, write_only=True)
    phone_shown = serializers.SerializerMethodField()
    contacts_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = PartyMember
        fields = [
            "id",
            "name",
            "kind",
            "area",
            "branch",
            "community",
            "resident",
            "phone",
            "phone_shown",
            "workplace",
            "workplace_name",
            "reported_on",
            "contacts_count",
        ]
        read_only_fields = ["area", "reported_on"]

    def get_phone_shown(self, obj) -> str:
        return shown_phone(self.context["request"].user, obj.phone, obj.area)

    def validate(self, attrs):
        kind = attrs.get("kind", "local")
        if kind == "local" and not attrs.get("branch"):
            raise serializers.ValidationError({"branch": _("A local member needs a branch.")})
        if kind == "in_service" and not attrs.get("community"):
            raise serializers.ValidationError(
                {"community": _("An in-service member reports to a community.")}
            )
        return attrs


class ContactSerializer(TextSerializerMixin, serializers.ModelSerializer):
    household = ScopedPK(Household)

    class Meta:
        model = ContactHousehold
        fields = ["id", "member", "household", "slot"]
        read_only_fields = ["member", "slot"]


class RevealSerializer(TextSerializerMixin, serializers.Serializer):
    field = serializers.ChoiceField(choices=["phone", "id_number"])
    reason = serializers.CharField(max_length=200)


__all__ = ["TeamRole"]
