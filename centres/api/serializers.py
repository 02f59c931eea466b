"""Serializers for the centres API. Writes never go through a serializer's save() for
sign-ups, bookings, check-in and appointments: the views call centres.actions."""

from __future__ import annotations

from rest_framework import serializers

from centres.actions.cobuilding import ORDER_NOTE_MAX
from centres.models import (
    Activity,
    AffairChannel,
    AffairItem,
    Appointment,
    Booking,
    Centre,
    Function,
    ListItem,
    Order,
    Service,
    SignUp,
    Space,
)
from portal.text import TextSerializerField, TextSerializerMixin


class FunctionSerializer(TextSerializerMixin, serializers.ModelSerializer):
    class Meta:
        model = Function
        fields = ["id", "code", "name", "description"]


# `kind` fields are plain strings here: as enums they would collide in the OpenAPI schema
# with grids' area `kind` (drf-spectacular names enums by field name).


class CentreSerializer(TextSerializerMixin, serializers.ModelSerializer):
    community: serializers.StringRelatedField = serializers.StringRelatedField()
    kind = serializers.CharField(read_only=True, help_text="concentrated, spread or upgraded")
    functions = FunctionSerializer(many=True, read_only=True)
    open_now = serializers.SerializerMethodField()

    class Meta:
        model = Centre
        fields = [
            "id",
            "name",
            "community",
            "kind",
            "stars",
            "floor_area",
            "address",
            "lat",
            "lng",
            "phone",
            "directions",
            "party_organisation",
            "functions",
            "open_now",
        ]

    def get_open_now(self, obj) -> bool:
        return obj.is_open_at()


class ServiceSerializer(TextSerializerMixin, serializers.ModelSerializer):
    eligibility = serializers.CharField(source="eligibility_text", read_only=True)

    class Meta:
        model = Service
        fields = [
            "id",
            "centre",
            "function",
            "operator",
            "name",
            "description",
            "price_tier",
            "price",
            "price_unit",
            "schedule",
            "min_age",
            "max_age",
            "residents_only",
            "eligibility",
            "how_to_get",
            "is_active",
        ]

    def validate(self, attrs):
        centre = attrs.get("centre", getattr(self.instance, "centre", None))
        function = attrs.get("function", getattr(self.instance, "function", None))
        if centre and function and function.centre_id != centre.pk:
            raise serializers.ValidationError({"function": ["Choose a function of this centre."]})
        tier = attrs.get("price_tier", getattr(self.instance, "price_tier", "free"))
        price = attrs.get("price", getattr(self.instance, "price", 0))
        if tier == "free" and price:
            raise serializers.ValidationError(
                {"price": ["A free public-good service has a price of 0."]}
            )
        return attrs


class ActivitySerializer(TextSerializerMixin, serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="class, lecture, festival, visit, other")
    places_left = serializers.IntegerField(read_only=True)
    eligibility = serializers.CharField(source="eligibility_text", read_only=True)

    class Meta:
        model = Activity
        fields = [
            "id",
            "centre",
            "function",
            "space",
            "title",
            "kind",
            "description",
            "starts_at",
            "ends_at",
            "capacity",
            "reserved_places",
            "confirmed_count",
            "waitlist_count",
            "places_left",
            "signup_opens_at",
            "signup_closes_at",
            "cancel_deadline",
            "eligibility",
            "is_cancelled",
        ]


class SignUpSerializer(TextSerializerMixin, serializers.ModelSerializer):
    class Meta:
        model = SignUp
        fields = [
            "id",
            "activity",
            "name",
            "status",
            "is_priority",
            "code",
            "promoted_at",
            "cancelled_at",
            "checked_in_at",
            "created_at",
        ]


class SignUpCreateSerializer(TextSerializerMixin, serializers.Serializer):
    activity = serializers.IntegerField()
    resident = serializers.IntegerField(
        required=False, help_text="Staff only: sign this resident up on their behalf (代报名)."
    )


class SpaceSerializer(TextSerializerMixin, serializers.ModelSerializer):
    kind = serializers.CharField(
        read_only=True, help_text="room, hall, daycare_bed, deliberation, other"
    )

    class Meta:
        model = Space
        fields = ["id", "centre", "name", "kind", "capacity", "needs_approval", "opens", "closes"]


class BookingSerializer(TextSerializerMixin, serializers.ModelSerializer):
    class Meta:
        model = Booking
        fields = [
            "id",
            "space",
            "starts_at",
            "ends_at",
            "status",
            "purpose",
            "attendees",
            "series",
            "code",
            "checked_in_at",
        ]


class BookingCreateSerializer(TextSerializerMixin, serializers.Serializer):
    space = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    purpose = serializers.CharField(max_length=200)
    attendees = serializers.IntegerField(min_value=1, default=1)
    weeks = serializers.IntegerField(min_value=1, max_value=26, default=1)


class DecideSerializer(TextSerializerMixin, serializers.Serializer):
    approve = serializers.BooleanField()


class CheckInSerializer(TextSerializerMixin, serializers.Serializer):
    code = serializers.CharField(max_length=20)


class AffairItemSerializer(TextSerializerMixin, serializers.ModelSerializer):
    channels = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = AffairItem
        fields = [
            "id",
            "name",
            "department",
            "materials",
            "time_limit_days",
            "channels",
            "online_url",
        ]


class AppointmentSerializer(TextSerializerMixin, serializers.ModelSerializer):
    channel = serializers.CharField(read_only=True)

    class Meta:
        model = Appointment
        fields = [
            "id",
            "slot",
            "item",
            "channel",
            "name",
            "status",
            "code",
            "outcome",
            "handled_at",
            "acting_for",
            "consent",
        ]


class AppointmentCreateSerializer(TextSerializerMixin, serializers.Serializer):
    slot = serializers.IntegerField()
    item = serializers.PrimaryKeyRelatedField(queryset=AffairItem.objects.filter(is_active=True))
    # A plain string (checked by book_appointment against the item's channels): an enum here
    # would collide in the OpenAPI schema with the 12345 intake's `channel`.
    channel = serializers.CharField(
        default=AffairChannel.AT_CENTRE, help_text="at_centre, proxy or home_visit"
    )


class RecordSerializer(TextSerializerMixin, serializers.Serializer):
    status = serializers.ChoiceField(choices=["done", "referred", "no_show"])
    # The model's limits, as the admin's record form has them (portal.text's rule on each).
    outcome = TextSerializerField(multiline=True, required=False, allow_blank=True, default="")
    acting_for = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)
    consent = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class FiguresQuerySerializer(TextSerializerMixin, serializers.Serializer):
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False, help_text="inclusive")
    centre = serializers.IntegerField(required=False)


class CoBuildingListItemSerializer(TextSerializerMixin, serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="need, resource or service")

    class Meta:
        model = ListItem
        fields = [
            "id",
            "kind",
            "centre",
            "unit",
            "function",
            "title",
            "description",
            "quota",
            "claimed",
            "is_open",
        ]


class CoBuildingOrderSerializer(TextSerializerMixin, serializers.ModelSerializer):
    class Meta:
        model = Order
        fields = [
            "id",
            "item",
            "status",
            "note",
            "placed_at",
            "accepted_at",
            "completed_at",
            "promise_kept",
            "satisfaction",
        ]

    satisfaction = serializers.SerializerMethodField(
        help_text="The community's 1-5 rating, kept in the surveys engine."
    )

    def get_satisfaction(self, order) -> int | None:
        if hasattr(order, "satisfaction"):
            return order.satisfaction
        from surveys.actions import order_scores

        return order_scores([order.pk]).get(order.pk)


class CoBuildingOrderCreateSerializer(TextSerializerMixin, serializers.Serializer):
    item = serializers.IntegerField()
    note = TextSerializerField(multiline=True, max_length=ORDER_NOTE_MAX)


class CoBuildingCompleteSerializer(TextSerializerMixin, serializers.Serializer):
    promise_kept = serializers.BooleanField()
    satisfaction = serializers.IntegerField(min_value=1, max_value=5, required=False)
