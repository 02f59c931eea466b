"""The centres API. Public information (centres, activities, the affairs catalogue) for any
logged-in user; sign-ups, bookings and appointments are one's own or, for staff, those of
the centres in their scope (others are 404). Writes call centres.actions; their errors
are 400s naming the field (portal.api.exception_handler)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from centres import actions, figures
from centres.api import serializers as s
from centres.models import (
    Activity,
    AffairItem,
    Appointment,
    AppointmentSlot,
    Booking,
    Centre,
    ListItem,
    Order,
    Service,
    SignUp,
    Space,
)
from grids.api.scoped import ScopedViewSetMixin
from grids.models import Resident
from grids.scope import scope_for


class CentreViewSet(viewsets.ReadOnlyModelViewSet):
    """Centres open to the public, with their functions and whether they are open now."""

    serializer_class = s.CentreSerializer
    queryset = (
        Centre.objects.filter(is_active=True)
        .select_related("community")
        .prefetch_related("functions", "hours", "closures")
        .order_by("pk")
    )
    filterset_fields = ["community", "kind", "stars"]
    search_fields = ["name", "address"]


class ActivityViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.ActivitySerializer
    queryset = Activity.objects.filter(is_published=True, centre__is_active=True).order_by(
        "starts_at"
    )
    filterset_fields = ["centre", "function", "kind"]
    search_fields = ["title"]


class ServiceViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """Services staff keep: an operator's staff see and edit their own centre's only."""

    serializer_class = s.ServiceSerializer
    queryset = Service.objects.select_related("function").order_by("pk")
    filterset_fields = ["centre", "function", "price_tier", "is_active"]
    search_fields = ["name"]


class SpaceViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.SpaceSerializer
    queryset = Space.objects.filter(bookable=True, is_active=True).order_by("pk")
    filterset_fields = ["centre", "kind"]


class AffairItemViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.AffairItemSerializer
    queryset = AffairItem.objects.filter(is_active=True).order_by("name")
    search_fields = ["name", "department"]


class SignUpViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """My sign-ups, or (staff) those of my centres. POST signs up (or, with `resident`,
    signs a resident up on their behalf); POST …/cancel/ cancels."""

    serializer_class = s.SignUpSerializer
    filterset_fields = ["activity", "status"]

    def get_queryset(self):
        return SignUp.objects.visible_to(self.request.user).order_by("-created_at")

    @extend_schema(request=s.SignUpCreateSerializer, responses={201: s.SignUpSerializer})
    def create(self, request):
        data = s.SignUpCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        activity = Activity.objects.filter(
            pk=data.validated_data["activity"], is_published=True
        ).first()
        if activity is None:
            raise ValidationError({"activity": ["No such activity."]})
        resident = None
        if "resident" in data.validated_data:
            resident = (
                Resident.objects.visible_to(request.user)
                .select_related("household__building")
                .filter(pk=data.validated_data["resident"])
                .first()
            )
            if resident is None:
                raise ValidationError({"resident": ["No such resident."]})
        signup = actions.sign_up(activity, actor=request.user, resident=resident)
        return Response(s.SignUpSerializer(signup).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.SignUpSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        signup = actions.cancel_signup(self.get_object(), actor=request.user)
        return Response(s.SignUpSerializer(signup).data)


class BookingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.BookingSerializer
    filterset_fields = ["space", "status"]

    def get_queryset(self):
        return Booking.objects.visible_to(self.request.user).order_by("starts_at")

    @extend_schema(
        request=s.BookingCreateSerializer, responses={201: s.BookingSerializer(many=True)}
    )
    def create(self, request):
        data = s.BookingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        space = Space.objects.filter(pk=v["space"]).first()
        if space is None:
            raise ValidationError({"space": ["No such space."]})
        common = {
            "actor": request.user,
            "starts_at": v["starts_at"],
            "ends_at": v["ends_at"],
            "purpose": v["purpose"],
            "attendees": v["attendees"],
        }
        if v["weeks"] > 1:
            bookings = actions.book_recurring(space, weeks=v["weeks"], **common)
        else:
            bookings = [actions.book_space(space, **common)]
        return Response(
            s.BookingSerializer(bookings, many=True).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses={200: s.BookingSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return Response(
            s.BookingSerializer(actions.cancel_booking(self.get_object(), actor=request.user)).data
        )

    @extend_schema(request=s.DecideSerializer, responses={200: s.BookingSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        data = s.DecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking = actions.decide_booking(
            self.get_object(), actor=request.user, approve=data.validated_data["approve"]
        )
        return Response(s.BookingSerializer(booking).data)


class AppointmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.AppointmentSerializer
    filterset_fields = ["status", "item"]

    def get_queryset(self):
        return Appointment.objects.visible_to(self.request.user).order_by("-created_at")

    @extend_schema(request=s.AppointmentCreateSerializer, responses={201: s.AppointmentSerializer})
    def create(self, request):
        data = s.AppointmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        slot = AppointmentSlot.objects.filter(pk=v["slot"], centre__is_active=True).first()
        if slot is None:
            raise ValidationError({"slot": ["No such slot."]})
        appointment = actions.book_appointment(
            slot, actor=request.user, item=v["item"], channel=v["channel"]
        )
        return Response(s.AppointmentSerializer(appointment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.RecordSerializer, responses={200: s.AppointmentSerializer})
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        data = s.RecordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = actions.record_appointment(
            self.get_object(), actor=request.user, **data.validated_data
        )
        return Response(s.AppointmentSerializer(appointment).data)


class CoBuildingListViewSet(viewsets.ReadOnlyModelViewSet):
    """The three lists (三张清单) of the centres: public, so residents can order."""

    serializer_class = s.CoBuildingListItemSerializer
    queryset = ListItem.objects.filter(is_open=True, centre__is_active=True).order_by("pk")
    filterset_fields = ["centre", "kind", "unit", "function"]


class CoBuildingOrderViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Co-building orders: residents order (居民点单), the centre's staff place them
    (社区下单), the unit accepts within its quota (单位接单), staff complete and rate them."""

    serializer_class = s.CoBuildingOrderSerializer
    filterset_fields = ["status", "item"]

    def get_queryset(self):
        from surveys.actions.service import with_scores

        return with_scores(Order.objects.visible_to(self.request.user)).order_by("-created_at")

    @extend_schema(
        request=s.CoBuildingOrderCreateSerializer, responses={201: s.CoBuildingOrderSerializer}
    )
    def create(self, request):
        data = s.CoBuildingOrderCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = ListItem.objects.filter(pk=data.validated_data["item"]).first()
        if item is None:
            raise ValidationError({"item": ["No such item."]})
        order = actions.request_order(item, actor=request.user, note=data.validated_data["note"])
        return Response(s.CoBuildingOrderSerializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.CoBuildingOrderSerializer})
    @action(detail=True, methods=["post"])
    def place(self, request, pk=None):
        return Response(
            s.CoBuildingOrderSerializer(
                actions.place_order(self.get_object(), actor=request.user)
            ).data
        )

    @extend_schema(request=None, responses={200: s.CoBuildingOrderSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return Response(
            s.CoBuildingOrderSerializer(
                actions.accept_order(self.get_object(), actor=request.user)
            ).data
        )

    @extend_schema(
        request=s.CoBuildingCompleteSerializer, responses={200: s.CoBuildingOrderSerializer}
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        data = s.CoBuildingCompleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = actions.complete_order(self.get_object(), actor=request.user, **data.validated_data)
        return Response(s.CoBuildingOrderSerializer(order).data)


class CheckInView(APIView):
    """Staff check a code in (核销): a sign-up or a booking, once."""

    @extend_schema(request=s.CheckInSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request):
        if not scope_for(request.user).is_staff:
            raise Http404
        data = s.CheckInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = actions.check_in(data.validated_data["code"], actor=request.user)
        if isinstance(done, SignUp):
            return Response({"kind": "signup", **s.SignUpSerializer(done).data})
        return Response({"kind": "booking", **s.BookingSerializer(done).data})


class FiguresView(APIView):
    """Figures per centre and function over a period (default: this month so far), for the
    centres in the user's scope."""

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE),
            OpenApiParameter("end", OpenApiTypes.DATE, description="inclusive"),
            OpenApiParameter("centre", OpenApiTypes.INT),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        if not scope_for(request.user).is_staff:
            raise Http404
        query = s.FiguresQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        p = query.validated_data
        today = timezone.localdate()
        first, last = p.get("start") or today.replace(day=1), p.get("end") or today
        if last < first:
            raise ValidationError({"end": ["The end must be on or after the start."]})
        if p.get("centre"):
            get_object_or_404(Centre.objects.visible_to(request.user), pk=p["centre"])
        start = timezone.make_aware(datetime.combine(first, time.min))
        end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min))
        rows = figures.figures(request.user, start, end, [p["centre"]] if p.get("centre") else None)
        return Response(
            {
                "start": first,
                "end": last,
                "rows": [r.as_dict() for r in rows],
                "totals": figures.totals(rows),
                "units": figures.unit_evaluation(request.user, start, end),
            }
        )
