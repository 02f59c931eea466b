from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from workforce.models import Worker
from workforce.privacy import pay_scope


class WorkerSerializer(serializers.ModelSerializer):
    """A worker; `monthly_pay` and `last_result` are null unless the requester is the worker,
    the community's head or the street's staff office (workforce.privacy)."""

    community_name = serializers.CharField(source="community.name", read_only=True)
    sequence_name = serializers.CharField(source="sequence.name", read_only=True)
    monthly_pay = serializers.SerializerMethodField()
    last_result = serializers.SerializerMethodField()

    class Meta:
        model = Worker
        fields = [
            "id",
            "name",
            "community",
            "community_name",
            "position",
            "sequence",
            "sequence_name",
            "grade",
            "grade_since",
            "contract_kind",
            "contract_ends_on",
            "qualification",
            "education",
            "started_on",
            "left_on",
            "monthly_pay",
            "last_result",
        ]
        read_only_fields = fields

    def _sees(self, worker) -> bool:
        request = self.context.get("request")
        return request is not None and pay_scope(request.user).covers(worker)

    @extend_schema_field(serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True))
    def get_monthly_pay(self, worker) -> Decimal | None:
        if not self._sees(worker):
            return None
        return self.context.get("rates", {}).get((worker.sequence_id, worker.grade))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_last_result(self, worker) -> str | None:
        if not self._sees(worker):
            return None
        return self.context.get("results", {}).get(worker.pk)
