"""Serializers of the time-bank API. Phone and ID numbers never leave through here."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from portal.text import TextSerializerMixin
from volunteers.models import (
    LedgerEntry,
    MicroWish,
    Reward,
    ServiceCategory,
    ServiceOrder,
    Voucher,
    from_cents,
)


class OrderSerializer(TextSerializerMixin, serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = ServiceOrder
        fields = [
            "id",
            "community",
            "category",
            "category_name",
            "description",
            "place",
            "scheduled_at",
            "estimated_hours",
            "latitude",
            "longitude",
            "status",
            "status_label",
            "volunteer",
            "checked_in_at",
            "checked_out_at",
            "hours",
            "rating",
            "settled_at",
            "flagged_at",
        ]
        read_only_fields = [
            "community",
            "status",
            "volunteer",
            "checked_in_at",
            "checked_out_at",
            "hours",
            "rating",
            "settled_at",
            "flagged_at",
        ]


class OrderCreateSerializer(TextSerializerMixin, serializers.Serializer):
    category = serializers.PrimaryKeyRelatedField(queryset=ServiceCategory.objects.all())
    description = serializers.CharField(max_length=500)
    place = serializers.CharField(max_length=120)
    scheduled_at = serializers.DateTimeField()
    estimated_hours = serializers.DecimalField(
        max_digits=4, decimal_places=2, min_value=Decimal("0.25"), max_value=Decimal(24)
    )
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False)
    requester = serializers.IntegerField(
        required=False, help_text="staff ordering for an elderly resident: their user id"
    )


class ScanSerializer(TextSerializerMixin, serializers.Serializer):
    token = serializers.CharField(max_length=80)
    latitude = serializers.FloatField(required=False)
    longitude = serializers.FloatField(required=False)


class RatingSerializer(TextSerializerMixin, serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=200, required=False, allow_blank=True)


class AssignSerializer(TextSerializerMixin, serializers.Serializer):
    volunteer = serializers.IntegerField()


class EntrySerializer(TextSerializerMixin, serializers.ModelSerializer):
    kind = serializers.CharField(source="transaction.kind")
    memo = serializers.CharField(source="transaction.memo")
    occurred_at = serializers.DateTimeField(source="transaction.occurred_at")
    points = serializers.SerializerMethodField()

    class Meta:
        model = LedgerEntry
        fields = ["id", "kind", "memo", "occurred_at", "points"]

    def get_points(self, obj) -> Decimal:
        return from_cents(obj.amount)


class PointsSerializer(TextSerializerMixin, serializers.Serializer):
    balance = serializers.DecimalField(max_digits=12, decimal_places=2)
    history = EntrySerializer(many=True)


class RewardSerializer(TextSerializerMixin, serializers.ModelSerializer):
    points = serializers.SerializerMethodField()

    class Meta:
        model = Reward
        fields = ["id", "community", "name", "kind", "points", "stock"]

    def get_points(self, obj) -> Decimal:
        return from_cents(obj.cost)


class VoucherSerializer(TextSerializerMixin, serializers.ModelSerializer):
    reward_name = serializers.CharField(source="reward.name", read_only=True)

    class Meta:
        model = Voucher
        fields = ["id", "code", "reward", "reward_name", "created_at", "used_at"]


class VoucherScanSerializer(TextSerializerMixin, serializers.Serializer):
    code = serializers.CharField(max_length=16)


class WishSerializer(TextSerializerMixin, serializers.ModelSerializer):
    """The public wall's view of a wish: no beneficiary, no contact."""

    community_name = serializers.CharField(source="community.name", read_only=True)

    class Meta:
        model = MicroWish
        fields = ["id", "title", "community_name", "status", "created_at"]


class GiftSerializer(TextSerializerMixin, serializers.Serializer):
    recipient = serializers.IntegerField(help_text="user id of a relative in your household")
    points = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))


class DonateSerializer(TextSerializerMixin, serializers.Serializer):
    points = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
