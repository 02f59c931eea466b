"""The territory API: areas (with subtree, ancestors and coverage), grids with their current
team, teams, party organisations and members, contact households, and the audited reveal of a
resident's number. Everything is scoped: out of scope is a 404 and absent from every list."""

from __future__ import annotations

import django_filters
from django.db.models import Count, Prefetch
from django.db.models.functions import Length, Substr
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from grids import actions, coverage, privacy
from grids.api import serializers as s
from grids.api.scoped import ScopedViewSetMixin
from grids.models import (
    Area,
    ContactHousehold,
    GridTeamMember,
    PartyMember,
    PartyOrg,
    Resident,
)


def with_parent_id(queryset):
    """Each node's parent id in the same query (a correlated lookup by the parent's path)."""
    from django.db.models import OuterRef, Subquery

    return queryset.annotate(
        parent_id=Subquery(
            Area.objects.filter(
                path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Area.steplen)
            ).values("pk")[:1]
        )
    )


class WithinFilter(django_filters.NumberFilter):
    """`within=<area id>`: only rows inside that area's subtree (an area the user sees)."""

    def __init__(self, area_field: str = "", **kwargs):
        self.area_field = area_field
        super().__init__(**kwargs)

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        area = Area.objects.visible_to(self.parent.request.user).filter(pk=value).first()
        if area is None:
            return qs.none()
        lookup = f"{self.area_field}__path__startswith" if self.area_field else "path__startswith"
        return qs.filter(**{lookup: area.path})


class AreaFilter(django_filters.FilterSet):
    within = WithinFilter(label="within")
    parent = django_filters.NumberFilter(method="filter_parent")

    class Meta:
        model = Area
        fields = ["kind", "grid_level", "grid_kind", "dedicated_kind", "code"]

    def filter_parent(self, qs, name, value):
        parent = Area.objects.visible_to(self.request.user).filter(pk=value).first()
        if parent is None:
            return qs.none()
        return qs.filter(path__startswith=parent.path, depth=parent.depth + 1)


class AreaViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Areas the user may see. `subtree` and `ancestors` are one indexed query each."""

    queryset = Area.objects.all()
    serializer_class = s.AreaSerializer
    filterset_class = AreaFilter
    search_fields = ["name", "code"]
    ordering_fields = ["path", "name"]

    def get_queryset(self):
        return with_parent_id(super().get_queryset()).order_by("path")

    @extend_schema(responses=s.AreaSerializer(many=True))
    @action(detail=True)
    def subtree(self, request, pk=None):
        area = self.get_object()
        qs = self.filter_queryset(self.get_queryset().filter(path__startswith=area.path))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses=s.AreaSerializer(many=True))
    @action(detail=True)
    def ancestors(self, request, pk=None):
        area = self.get_object()
        # The chain above is shown as far as the user may see it.
        qs = self.get_queryset().filter(path__in=actions.path_prefixes(area.path)[:-1])
        return Response(self.get_serializer(qs.order_by("depth"), many=True).data)

    @extend_schema(responses=s.CoverageSerializer)
    @action(detail=True)
    def coverage(self, request, pk=None):
        figures = coverage.coverage(self.get_object())
        data = {
            **figures.__dict__,
            "branch_share": figures.branch_share,
            "contact_share": figures.contact_share,
        }
        return Response(s.CoverageSerializer(data).data)


class GridFilter(AreaFilter):
    class Meta(AreaFilter.Meta):
        fields = ["grid_level", "grid_kind", "dedicated_kind", "code"]


class GridViewSet(AreaViewSet):
    """Grids with their current team (one prefetch for the whole page)."""

    serializer_class = s.GridSerializer
    filterset_class = GridFilter

    def get_queryset(self):
        team = GridTeamMember.objects.current().order_by("role", "starts_on")
        return (
            super()
            .get_queryset()
            .filter(kind="grid")
            .prefetch_related(Prefetch("team_members", queryset=team, to_attr="current_team"))
        )


class TeamFilter(django_filters.FilterSet):
    within = WithinFilter(area_field="grid")
    current = django_filters.BooleanFilter(method="filter_current")

    class Meta:
        model = GridTeamMember
        fields = ["grid", "role", "auxiliary_kind"]

    def filter_current(self, qs, name, value):
        current = GridTeamMember.objects.current().values("pk")
        return qs.filter(pk__in=current) if value else qs.exclude(pk__in=current)


class TeamViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Grid team members. POST appoints (one full-time worker per grid at any date);
    POST …/end/ closes a membership."""

    queryset = GridTeamMember.objects.select_related("grid").order_by("grid__path", "role", "pk")
    serializer_class = s.TeamMemberSerializer
    filterset_class = TeamFilter
    search_fields = ["name", "organisation"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        member = actions.appoint_team_member(
            data["grid"],
            role=data["role"],
            name=data["name"],
            starts_on=data.get("starts_on"),
            ends_on=data.get("ends_on"),
            phone=data.get("phone", ""),
            organisation=data.get("organisation", ""),
            auxiliary_kind=data.get("auxiliary_kind", ""),
            actor=request.user,
        )
        return Response(self.get_serializer(member).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.TeamMemberSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        member = self.get_object()
        ends_on = request.data.get("ends_on")
        try:
            ends_on = serializers.DateField().to_internal_value(ends_on) if ends_on else None
        except serializers.ValidationError as exc:
            return Response({"ends_on": exc.detail}, status=status.HTTP_400_BAD_REQUEST)
        member = actions.end_team_membership(member, ends_on, actor=request.user)
        return Response(self.get_serializer(member).data)


class PartyOrgFilter(django_filters.FilterSet):
    within = WithinFilter(area_field="area")

    class Meta:
        model = PartyOrg
        fields = ["kind", "area", "parent"]


class PartyOrgViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = (
        PartyOrg.objects.select_related("area")
        .annotate(members_count=Count("members"))
        .order_by("area__path", "kind")
    )
    serializer_class = s.PartyOrgSerializer
    filterset_class = PartyOrgFilter
    search_fields = ["name", "secretary"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        org = actions.create_party_org(
            data["area"],
            kind=data["kind"],
            name=data["name"],
            parent=data.get("parent"),
            secretary=data.get("secretary", ""),
            founded_on=data.get("founded_on"),
            actor=request.user,
        )
        org.members_count = 0
        return Response(self.get_serializer(org).data, status=status.HTTP_201_CREATED)


class PartyMemberFilter(django_filters.FilterSet):
    within = WithinFilter(area_field="area")

    class Meta:
        model = PartyMember
        fields = ["kind", "branch", "area", "workplace"]


class PartyMemberViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Party members. POST enrols a local member (`branch`) or records an in-service member
    reporting to a community (`kind=in_service`, `community`); …/contacts/ lists and adds the
    member's contact households (at most ten)."""

    queryset = (
        PartyMember.objects.select_related("area")
        .annotate(contacts_count=Count("contacts"))
        .order_by("area__path", "name", "pk")
    )
    serializer_class = s.PartyMemberSerializer
    filterset_class = PartyMemberFilter
    search_fields = ["name", "workplace_name"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data.get("kind", "local") == "in_service":
            member = actions.report_in_service_member(
                data["community"],
                name=data["name"],
                workplace=data.get("workplace"),
                workplace_name=data.get("workplace_name", ""),
                phone=data.get("phone", ""),
                actor=request.user,
            )
        else:
            member = actions.add_party_member(
                data["branch"],
                name=data["name"],
                phone=data.get("phone", ""),
                resident=data.get("resident"),
                actor=request.user,
            )
        member.contacts_count = 0
        return Response(self.get_serializer(member).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ContactSerializer, responses=s.ContactSerializer(many=True))
    @action(detail=True, methods=["get", "post"])
    def contacts(self, request, pk=None):
        member = self.get_object()
        if request.method == "POST":
            serializer = s.ContactSerializer(data=request.data, context={"request": request})
            serializer.is_valid(raise_exception=True)
            link = actions.link_contact_household(
                member, serializer.validated_data["household"], actor=request.user
            )
            return Response(s.ContactSerializer(link).data, status=status.HTTP_201_CREATED)
        links = ContactHousehold.objects.visible_to(request.user).filter(member=member)
        return Response(s.ContactSerializer(links.order_by("slot"), many=True).data)


class ResidentRevealViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """POST /residents/<id>/reveal/ {field, reason}: the full number, written to the access
    log. Out of scope: 404; a resident or department handler: 403."""

    queryset = Resident.objects.all()
    serializer_class = s.RevealSerializer

    def get_queryset(self):
        return Resident.objects.visible_to(self.request.user)

    @extend_schema(request=s.RevealSerializer, responses=s.RevealSerializer)
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        serializer = s.RevealSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        resident = self.get_object()
        value = privacy.reveal(
            request.user,
            resident,
            serializer.validated_data["field"],
            serializer.validated_data["reason"],
        )
        return Response({"field": serializer.validated_data["field"], "value": value})
