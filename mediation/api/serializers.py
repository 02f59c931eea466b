"""Mediation API serializers: a dispute as everyone in scope sees it (masked), and the inputs
of the operations."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from mediation.choices import (
    DisputeKind,
    FollowUpResult,
    MediatorKind,
    PartyKind,
    ReferredTo,
    Side,
    SignMethod,
)
from mediation.models import Dispute
from mediation.privacy import masked_parties


class MaskedPartySerializer(serializers.Serializer):
    pk = serializers.IntegerField()
    side = serializers.CharField()
    kind = serializers.CharField()
    name = serializers.CharField()
    phone = serializers.CharField()
    address = serializers.CharField()
    signed_at = serializers.DateTimeField(allow_null=True)


class DisputeSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    place_name = serializers.CharField(source="place.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    case_number = serializers.SerializerMethodField()
    parties = serializers.SerializerMethodField()
    mediators = serializers.SerializerMethodField()

    class Meta:
        model = Dispute
        fields = [
            "id",
            "number",
            "community",
            "community_name",
            "place",
            "place_name",
            "kind",
            "source",
            "summary",
            "status",
            "status_label",
            "case_number",
            "created_at",
            "agreed_at",
            "settled_at",
            "referred_to",
            "closed_at",
            "parties",
            "mediators",
        ]
        read_only_fields = fields

    def get_case_number(self, obj) -> str:
        return obj.case.number if obj.case_id else ""

    def get_parties(self, obj) -> list[dict]:
        return list(MaskedPartySerializer(masked_parties(obj), many=True).data)

    def get_mediators(self, obj) -> list[dict]:
        return [
            {"name": m.name, "kind": m.kind, "unit": m.unit.name if m.unit_id else ""}
            for m in obj.mediators.all()
        ]


class PartyInSerializer(serializers.Serializer):
    side = serializers.ChoiceField(choices=Side.choices)
    kind = serializers.ChoiceField(choices=PartyKind.choices, default=PartyKind.RESIDENT)
    name = serializers.CharField(max_length=100)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class DisputeCreateSerializer(serializers.Serializer):
    place = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    kind = serializers.ChoiceField(choices=DisputeKind.choices)
    summary = serializers.CharField(max_length=120)
    facts = serializers.CharField(max_length=4000)
    parties = PartyInSerializer(many=True)

    def validate_parties(self, value: list) -> list:
        if not 2 <= len(value) <= 20:
            raise serializers.ValidationError(_("Give between 2 and 20 parties."))
        return value


class ConvertSerializer(serializers.Serializer):
    case = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    respondent = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class DisputeRevealSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class RevealedPartySerializer(MaskedPartySerializer):
    pass


class RevealedSerializer(serializers.Serializer):
    parties = RevealedPartySerializer(many=True)
    facts = serializers.CharField()
    terms = serializers.CharField()


class MediatorAssignSerializer(serializers.Serializer):
    user = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    kind = serializers.ChoiceField(choices=MediatorKind.choices)
    unit = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, allow_null=True, default=None
    )


class SessionSerializer(serializers.Serializer):
    space = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    attendees = serializers.IntegerField(min_value=1, max_value=200, default=4)


class TermsSerializer(serializers.Serializer):
    terms = serializers.CharField(max_length=4000)


class SignSerializer(serializers.Serializer):
    party = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    method = serializers.ChoiceField(choices=SignMethod.choices, default=SignMethod.IN_PERSON)


class ReferSerializer(serializers.Serializer):
    referred_to = serializers.ChoiceField(choices=ReferredTo.choices)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class FollowUpSerializer(serializers.Serializer):
    visited_on = serializers.DateField()
    result = serializers.ChoiceField(choices=FollowUpResult.choices)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class FigureRowSerializer(serializers.Serializer):
    community = serializers.IntegerField()
    name = serializers.CharField()
    disputes = serializers.IntegerField()
    settled = serializers.IntegerField()
    referred = serializers.IntegerField()
    open = serializers.IntegerField()
    settled_share = serializers.FloatField(allow_null=True)
    days_to_settle = serializers.FloatField(allow_null=True)
