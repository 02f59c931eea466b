"""Serializers of the time-bank API. Phone and ID numbers never leave through here."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from portal.text import TextSerializerMixin
from volunteers.models import (
    LedgerEntry,
    MicroWish,
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


class RewardSerializer(TextSerializerMixin, serializers.Serializer):
    """A reward as the member sees it (volunteers.actions.Offer): the price in 福分, the
    community offering it, and why it cannot be redeemed now ("" when it can)."""

    id = serializers.IntegerField(source="reward.pk")
    community = serializers.IntegerField(source="reward.community_id")
    community_name = serializers.CharField(source="reward.community.name")
    name = serializers.CharField(source="reward.name")
    kind = serializers.CharField(source="reward.kind")
    points = serializers.DecimalField(
        source="price", max_digits=12, decimal_places=2, help_text="price in 福分"
    )
    stock = serializers.IntegerField(source="reward.stock")
    partner = serializers.BooleanField(help_text="offered by a partner community (通存通兑)")
    redeemable = serializers.BooleanField()
    reason = serializers.CharField(help_text="why it cannot be redeemed now; empty when it can")


class PassbookLineSerializer(TextSerializerMixin, serializers.Serializer):
    when = serializers.DateTimeField()
    kind = serializers.CharField()
    project = serializers.CharField()
    memo = serializers.CharField()
    deposit = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    withdrawal = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    balance = serializers.DecimalField(max_digits=12, decimal_places=2)


class PassbookSerializer(TextSerializerMixin, serializers.Serializer):
    """爱心存折: one year of 党员积分 (never 福分) and the hours against the yearly target."""

    year = serializers.IntegerField()
    opening = serializers.DecimalField(max_digits=12, decimal_places=2)
    closing = serializers.DecimalField(max_digits=12, decimal_places=2)
    hours = serializers.DecimalField(max_digits=10, decimal_places=2)
    target = serializers.DecimalField(max_digits=8, decimal_places=2)
    met = serializers.BooleanField()
    by_project = serializers.SerializerMethodField()
    lines = PassbookLineSerializer(many=True)

    def get_by_project(self, obj) -> list[dict]:
        return [{"project": name, "points": str(points)} for name, points in obj.by_project]


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
