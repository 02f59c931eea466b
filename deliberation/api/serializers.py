"""Serializers of the deliberation API. Writes never go through save(): the views call
deliberation.actions. Choice fields are plain strings (drf-spectacular would name enums by
field name and collide with other apps' `status` and `kind`)."""

from __future__ import annotations

from rest_framework import serializers

from deliberation.models import Matter, Meeting
from portal.text import TextSerializerField, TextSerializerMixin


class MeetingSerializer(TextSerializerMixin, serializers.ModelSerializer):
    kind = serializers.CharField(
        read_only=True, help_text="deployment, hearing, consultation or evaluation"
    )
    attended = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id",
            "kind",
            "starts_at",
            "ends_at",
            "place",
            "agenda",
            "minutes",
            "minutes_at",
            "attended",
        ]
        read_only_fields = fields

    def get_attended(self, obj) -> int:
        return len(obj.attendance.all())


class MatterSerializer(TextSerializerMixin, serializers.ModelSerializer):
    area = serializers.IntegerField(source="area_id", read_only=True)
    area_name = serializers.CharField(source="area.name", read_only=True)
    kind = serializers.CharField(source="kind.code", read_only=True)
    status = serializers.CharField(
        read_only=True,
        help_text="cosigning, proposed, deliberating, voting, decided, executing, done or declined",
    )
    source = serializers.CharField(read_only=True)  # type: ignore[assignment]
    vote_unit = serializers.CharField(read_only=True, help_text="household or person")
    outcome = serializers.CharField(
        read_only=True, help_text="passed, rejected, no_quorum or empty"
    )
    quorum = serializers.CharField(
        read_only=True, help_text="none, half, two_thirds or three_quarters of the eligible"
    )
    majority = serializers.CharField(
        read_only=True, help_text="none, half, two_thirds or three_quarters of those voting"
    )
    tally = serializers.SerializerMethodField()

    class Meta:
        model = Matter
        fields = [
            "id",
            "area",
            "area_name",
            "kind",
            "title",
            "description",
            "source",
            "status",
            "vote_unit",
            "quorum",
            "majority",
            "weighted_by_area",
            "secret",
            "cosign_threshold",
            "cosign_count",
            "plan",
            "vote_opens_at",
            "vote_closes_at",
            "eligible_count",
            "outcome",
            "tally",
            "published_at",
            "done_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_tally(self, obj) -> dict | None:
        """The published tally (null until published)."""
        return obj.tally if obj.published_at else None


class MatterDetailSerializer(MatterSerializer):
    meetings = MeetingSerializer(many=True, read_only=True)

    class Meta(MatterSerializer.Meta):
        fields = [*MatterSerializer.Meta.fields, "meetings"]
        read_only_fields = fields


class RaiseSerializer(TextSerializerMixin, serializers.Serializer):
    area = serializers.IntegerField(min_value=1)
    kind = serializers.CharField(max_length=40, help_text="the kind's code")
    title = TextSerializerField(max_length=120)
    description = TextSerializerField(max_length=4000, multiline=True)
    source = serializers.CharField(  # type: ignore[assignment]
        max_length=16,
        required=False,
        default="residents",
        help_text="residents, party_branch, committee or staff (staff only)",
    )


class VoteSerializer(serializers.Serializer):
    choice = serializers.CharField(max_length=8, help_text="yes, no or abstain")


class CommentSerializer(TextSerializerMixin, serializers.Serializer):
    body = TextSerializerField(max_length=1000, multiline=True)


class EvaluateSerializer(TextSerializerMixin, serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    remark = TextSerializerField(max_length=300, required=False, allow_blank=True, default="")


class TallySerializer(serializers.Serializer):
    published = serializers.DictField(allow_null=True)
    recomputed = serializers.DictField()


# --- staff operations (each a call to one deliberation.actions operation) -------------------


class MeetingCallSerializer(TextSerializerMixin, serializers.Serializer):
    kind = serializers.CharField(
        max_length=16, help_text="deployment, hearing, consultation or evaluation"
    )
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    agenda = TextSerializerField(max_length=4000, multiline=True)
    space = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text="a 议事厅 (centres space) id"
    )
    place = TextSerializerField(max_length=120, required=False, allow_blank=True, default="")
    attendees = serializers.IntegerField(min_value=1, max_value=1000, required=False, default=10)


class AttendeeSerializer(TextSerializerMixin, serializers.Serializer):
    name = TextSerializerField(max_length=60)
    attending_as = TextSerializerField(max_length=40, required=False, allow_blank=True, default="")


class MinutesSerializer(TextSerializerMixin, serializers.Serializer):
    meeting = serializers.IntegerField(min_value=1)
    minutes = TextSerializerField(max_length=20000, multiline=True)
    attendees = serializers.ListField(child=AttendeeSerializer(), min_length=1, max_length=1000)


class PlanSerializer(TextSerializerMixin, serializers.Serializer):
    plan = TextSerializerField(max_length=4000, multiline=True)


class OpenVoteSerializer(PlanSerializer):
    closes_at = serializers.DateTimeField()


class ProgressSerializer(TextSerializerMixin, serializers.Serializer):
    note = TextSerializerField(max_length=1000, multiline=True)
    done = serializers.BooleanField(required=False, default=False)
