"""The mediation API: disputes in the user's scope (masked), intake, conversion of a 12345
case, the reveal of the parties (mediators and the community's head, logged), the steps of a
mediation, and the figures per community. Every write is a mediation.actions call; a refusal
is a 400 naming the field; a dispute out of scope is a 404."""

from __future__ import annotations

from datetime import date, datetime, time

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from grids.models import Area, CoBuildingUnit
from grids.scope import scope_for
from mediation import actions, figures, privacy
from mediation.api import serializers as s
from mediation.models import Dispute, Mediator
from services.models import Case


def _desk_user(user) -> bool:
    scope = scope_for(user)
    return (scope.is_staff and scope.is_territorial) or Mediator.objects.filter(
        user_id=user.pk
    ).exists()


class DeskPermission(permissions.BasePermission):
    """Staff with a territory, and mediators; residents use the phone pages."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated) and _desk_user(request.user)


class DisputeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.DisputeSerializer
    permission_classes = [DeskPermission]
    filterset_fields = ["status", "kind", "community", "source"]
    search_fields = ["number", "summary"]
    ordering_fields = ["created_at", "number", "status"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Dispute.objects.none()
        return (
            Dispute.objects.visible_to(self.request.user)
            .select_related("community", "place", "case")
            .prefetch_related(
                "parties", Prefetch("mediators", queryset=Mediator.objects.select_related("unit"))
            )
            .order_by("-created_at", "-pk")
        )

    def _done(self, dispute, code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=dispute.pk)
        return Response(s.DisputeSerializer(fresh).data, status=code)

    @extend_schema(request=s.DisputeCreateSerializer, responses={201: s.DisputeSerializer})
    def create(self, request):
        data = s.DisputeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        place = Area.objects.visible_to(request.user).filter(pk=d["place"]).first()
        if place is None:
            raise exceptions.ValidationError({"place": [_("No such place in your area.")]})
        dispute = actions.open_dispute(
            actor=request.user,
            place=place,
            kind=d["kind"],
            summary=d["summary"],
            facts=d["facts"],
            parties=[actions.PartyIn(**p) for p in d["parties"]],
        )
        return self._done(dispute, status.HTTP_201_CREATED)

    @extend_schema(request=s.ConvertSerializer, responses={201: s.DisputeSerializer})
    @action(detail=False, methods=["post"])
    def convert(self, request):
        data = s.ConvertSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = Case.objects.visible_to(request.user).filter(pk=data.validated_data["case"]).first()
        if case is None:
            raise exceptions.ValidationError({"case": [_("No such case.")]})
        dispute = actions.convert_case(
            case, actor=request.user, respondent=data.validated_data["respondent"]
        )
        return self._done(dispute, status.HTTP_201_CREATED)

    @extend_schema(request=s.DisputeRevealSerializer, responses={200: s.RevealedSerializer})
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        dispute = self.get_object()
        data = s.DisputeRevealSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shown = privacy.reveal(request.user, dispute, data.validated_data["reason"])
        return Response({"parties": shown, "facts": dispute.facts, "terms": dispute.terms})

    @extend_schema(request=s.MediatorAssignSerializer, responses={200: s.DisputeSerializer})
    @action(detail=True, methods=["post"])
    def mediators(self, request, pk=None):
        dispute = self.get_object()
        data = s.MediatorAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        user = get_user_model().objects.filter(pk=d["user"], is_active=True).first()
        if user is None:
            raise exceptions.ValidationError({"user": [_("No such account.")]})
        unit = None
        if d["unit"]:
            unit = CoBuildingUnit.objects.filter(pk=d["unit"]).first()
            if unit is None:
                raise exceptions.ValidationError({"unit": [_("No such unit.")]})
        actions.assign_mediator(dispute, actor=request.user, user=user, kind=d["kind"], unit=unit)
        return self._done(dispute)

    @extend_schema(request=s.SessionSerializer, responses={200: s.DisputeSerializer})
    @action(detail=True, methods=["post"])
    def sessions(self, request, pk=None):
        dispute = self.get_object()
        data = s.SessionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actions.book_session(dispute, actor=request.user, **data.validated_data)
        return self._done(dispute)

    @extend_schema(request=s.TermsSerializer, responses={200: s.DisputeSerializer})
    @action(detail=True, methods=["post"])
    def agreement(self, request, pk=None):
        dispute = self.get_object()
        data = s.TermsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actions.record_agreement(dispute, actor=request.user, terms=data.validated_data["terms"])
        return self._done(dispute)

    @extend_schema(request=s.SignSerializer, responses={200: s.DisputeSerializer})
    @action(detail=True, methods=["post"])
    def signatures(self, request, pk=None):
        dispute = self.get_object()
        data = s.SignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actions.record_signature(dispute, actor=request.user, **data.validated_data)
        return self._done(dispute)

    @extend_schema(request=s.ReferSerializer, responses={200: s.DisputeSerializer})
    @action(detail=True, methods=["post"])
    def referral(self, request, pk=None):
        dispute = self.get_object()
        data = s.ReferSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        actions.refer(dispute, actor=request.user, to=d["referred_to"], note=d["note"])
        return self._done(dispute)

    @extend_schema(request=s.FollowUpSerializer, responses={200: s.DisputeSerializer})
    @action(detail=True, methods=["post"], url_path="follow-ups")
    def follow_ups(self, request, pk=None):
        dispute = self.get_object()
        data = s.FollowUpSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actions.record_follow_up(dispute, actor=request.user, **data.validated_data)
        return self._done(dispute)


class FiguresView(APIView):
    """Disputes, settled share and days to settle per community in scope, this year so far
    (or `from`/`to`, dates inclusive)."""

    permission_classes = [DeskPermission]

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, description="YYYY-MM-DD"),
            OpenApiParameter("to", str, description="YYYY-MM-DD"),
        ],
        responses={200: s.FigureRowSerializer(many=True)},
    )
    def get(self, request):
        today = timezone.localdate()
        try:
            start_day = date.fromisoformat(
                request.query_params.get("from") or f"{today.year}-01-01"
            )
            end_day = date.fromisoformat(request.query_params.get("to") or today.isoformat())
        except ValueError:
            raise exceptions.ValidationError({"from": [_("Give dates as YYYY-MM-DD.")]}) from None
        if end_day < start_day:
            raise exceptions.ValidationError({"to": [_("The end is before the start.")]})
        start = timezone.make_aware(datetime.combine(start_day, time.min))
        end = timezone.make_aware(datetime.combine(end_day, time.max))
        rows = figures.per_community(request.user, None, start, end)
        return Response(s.FigureRowSerializer(rows, many=True).data)
