"""The workforce API: workers, read-only and scoped (out of scope is a 404 and absent from
lists); pay and the last assessment result only where workforce.privacy allows. Writes go
through the staff pages and the admin (workforce.actions)."""

from __future__ import annotations

import django_filters
from django.utils import timezone
from rest_framework import viewsets

from grids.api.scoped import ScopedViewSetMixin
from workforce.api.serializers import WorkerSerializer
from workforce.ladder import pay_rates_on
from workforce.models import Assessment, Ladder, Position, Worker


class WorkerFilter(django_filters.FilterSet):
    community = django_filters.NumberFilter(field_name="community_id")
    position = django_filters.ChoiceFilter(choices=Position.choices)
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Worker
        fields = ["community", "position", "q"]


class WorkerViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Worker.objects.select_related("community", "sequence").order_by("pk")
    serializer_class = WorkerSerializer
    filterset_class = WorkerFilter

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False):
            return context
        today = timezone.localdate()
        rates: dict = {}
        for ladder in Ladder.objects.filter(city__isnull=False):
            rates.update(pay_rates_on(ladder, today))
        context["rates"] = rates
        # The latest year's result per worker (years ascending: the last one wins).
        context["results"] = dict(
            Assessment.objects.filter(worker__in=self.filter_queryset(self.get_queryset()))
            .order_by("worker_id", "year")
            .values_list("worker_id", "result")
        )
        return context
