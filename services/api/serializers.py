"""Serializers for the case API. Writes never go through a serializer's save(): the views
call services.actions, so the same rules hold for the API, the admin and the phone pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from grids.privacy import shown_phone
from portal.text import PhoneSerializerField, TextSerializerField, TextSerializerMixin
from services.choices import CaseType, Channel, Urgency
from services.followers import REPORTER_FIELDS, sees_reporter
from services.limits import ADDRESS_MAX, DESCRIPTION_MAX, NAME_MAX, RESULT_MAX
from services.models import Case, CaseEvent, Category, JointUnit, RoutingRule


class CategorySerializer(TextSerializerMixin, serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "parent", "name", "code", "is_active", "sort"]


class RoutingRuleSerializer(TextSerializerMixin, serializers.ModelSerializer):
    class Meta:
        model = RoutingRule
        fields = ["id", "category", "area", "level", "department", "priority", "is_active"]

    def validate(self, attrs):
        level = attrs.get("level", getattr(self.instance, "level", None))
        department = attrs.get("department", getattr(self.instance, "department", None))
        if (level == "department") != (department is not None):
            raise serializers.ValidationError(
                {"department": _("Department-level rules name a department; other levels none.")}
            )
        return attrs


class EventSerializer(TextSerializerMixin, serializers.ModelSerializer):
    actor: serializers.StringRelatedField = serializers.StringRelatedField()
    action_label = serializers.CharField(read_only=True)

    class Meta:
        model = CaseEvent
        fields = [
            "at",
            "action",
            "action_label",
            "from_state",
            "to_state",
            "actor",
            "note",
            "payload",
        ]


class JointUnitSerializer(TextSerializerMixin, serializers.ModelSerializer):
    unit = serializers.SerializerMethodField()

    class Meta:
        model = JointUnit
        fields = ["id", "role", "unit", "department", "area", "reported_in_at", "report"]

    def get_unit(self, obj) -> str:
        return str(obj.department or obj.area)


class CaseSerializer(TextSerializerMixin, serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True)
    place_name = serializers.CharField(source="place.name", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    unit = serializers.CharField(source="unit_label", read_only=True)
    reporter_phone = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "state",
            "state_label",
            "case_type",
            "channel",
            "category",
            "category_name",
            "description",
            "place",
            "place_name",
            "lat",
            "lng",
            "address",
            "urgency",
            "raised_before_complaint",
            "handled_on_spot",
            "level",
            "unit",
            "handling_area",
            "handling_department",
            "assignee",
            "reporter_name",
            "reporter_phone",
            "sign_due",
            "contact_due",
            "resolve_due",
            "card_level",
            "escalation_level",
            "redo_count",
            "result",
            "rating",
            "callback_solved",
            "master",
            "version",
            "created_at",
            "dispatched_at",
            "resolved_at",
        ]
        read_only_fields = fields

    def get_reporter_phone(self, obj) -> str:
        request = self.context.get("request")
        # Staff whose area covers the place see the number; everybody else a masked one.
        return shown_phone(getattr(request, "user", None), obj.reporter_phone, obj.place)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if not sees_reporter(getattr(request, "user", None), instance):
            # A follower learns how the problem is handled, nothing about who reported it.
            for name in REPORTER_FIELDS:
                if name in data:
                    data[name] = None if name in ("lat", "lng") else ""
            for event in data.get("events") or ():
                event.update(actor="", note="", payload={})
            if "photos" in data:
                data["photos"] = []
            for unit in data.get("joint_units") or ():
                unit["report"] = ""
        return data


class CaseReceiptSerializer(TextSerializerMixin, serializers.ModelSerializer):
    """What a POST answers with: enough to show the resident their number and to follow the
    `Location` header to the whole case (intake must stay cheap)."""

    state_label = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "state",
            "state_label",
            "case_type",
            "channel",
            "category",
            "place",
            "urgency",
            "version",
            "created_at",
        ]
        read_only_fields = fields


class CaseDetailSerializer(CaseSerializer):
    events = EventSerializer(many=True, read_only=True)
    joint_units = JointUnitSerializer(many=True, read_only=True)
    photos = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "events", "joint_units", "photos", "allowed_actions"]
        read_only_fields = fields

    def get_photos(self, obj) -> list[dict]:
        return [{"kind": p.kind, "url": p.image.url} for p in obj.photos.all()]

    def get_allowed_actions(self, obj) -> list[str]:
        from services.actions import allowed_actions

        return allowed_actions(obj)


class IntakeSerializer(TextSerializerMixin, serializers.Serializer):
    """A new case. Files go in the multipart field `photos` (up to 9).

    `channel`, `urgency`, `case_type` "emergency", `raised_before_complaint` and
    `handled_on_spot` are checked against what the caller's role may set
    (services.actions.intake_rights): a value they may not set is a 400 naming the field,
    never silently replaced. Without `channel` the caller's own is used."""

    case_type = serializers.ChoiceField(choices=CaseType.choices)
    category = serializers.IntegerField()
    description = TextSerializerField(multiline=True, max_length=DESCRIPTION_MAX)
    place = serializers.IntegerField(help_text="A grid, estate or building (grids area id).")
    channel = serializers.ChoiceField(
        choices=Channel.choices,
        required=False,
        default="",
        help_text="How the case came in; default: the caller's own (residents: resident_web).",
    )
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lng = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    address = serializers.CharField(
        required=False, allow_blank=True, max_length=ADDRESS_MAX, default=""
    )
    reporter_name = serializers.CharField(
        required=False, allow_blank=True, max_length=NAME_MAX, default=""
    )
    reporter_phone = PhoneSerializerField(required=False, allow_blank=True, default="")
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    raised_before_complaint = serializers.BooleanField(default=False)
    handled_on_spot = serializers.BooleanField(default=False)
    result = TextSerializerField(
        multiline=True, required=False, allow_blank=True, max_length=RESULT_MAX, default=""
    )


class TransitionSerializer(TextSerializerMixin, serializers.Serializer):
    """One transition. Other fields depend on the action (see services.transitions.FIELDS):
    note, reason, result, working_days, approve, uphold, level, department, master, solved,
    rating, comment, method, role, unit, report."""

    action = serializers.CharField()
    expected_version = serializers.IntegerField(
        help_text="The version you saw; a stale one is refused (someone else acted first)."
    )


class KpiQuerySerializer(TextSerializerMixin, serializers.Serializer):
    area = serializers.IntegerField(required=False)
    department = serializers.IntegerField(required=False)
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False, help_text="Exclusive.")
    breakdown = serializers.BooleanField(required=False, default=False)
