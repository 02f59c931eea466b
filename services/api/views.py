"""The case API: cases (list, detail, create through submit_case), transitions, categories,
routing rules and KPIs. Out-of-scope objects are 404; bad input is a 400 naming the field."""

from __future__ import annotations

from datetime import date, datetime, time

from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.response import Response
from rest_framework.views import APIView

from grids.api.scoped import ScopedViewSetMixin
from grids.models import Area, Department
from grids.scope import scope_for
from portal.idempotency import run_once
from services import actions, kpis, transitions
from services.actions import Intake
from services.api import serializers as s
from services.calendar import TZ
from services.models import Case, CaseEvent, Category, RoutingRule
from services.models.catalogue import check_rule_area
from services.search import as_case_number


class CatalogueViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    """A catalogue through the area scope (services.models.catalogue): the role decides the
    verb (403), the model's queryset the rows (out of scope: 404)."""

    def _check_in_scope(self, instance):
        # Scope.covers knows areas, not city-wide rows: ask the catalogue's own queryset.
        rows = type(instance).objects.changeable_by(self.request.user)
        if not rows.filter(pk=instance.pk).exists():
            raise exceptions.ValidationError(
                {"non_field_errors": [_("The object would fall outside your area.")]}
            )


class CategoryViewSet(CatalogueViewSet):
    queryset = Category.objects.select_related("parent").order_by("sort", "name")
    serializer_class = s.CategorySerializer
    filterset_fields = ["parent", "is_active"]
    search_fields = ["name", "code"]


class RoutingRuleViewSet(CatalogueViewSet):
    """Routing rules of the user's subtree (and, to read, those above it and for everywhere)."""

    queryset = RoutingRule.objects.select_related("category", "area", "department").order_by("pk")
    serializer_class = s.RoutingRuleSerializer
    filterset_fields = ["category", "level", "department", "is_active"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        check_rule_area(self.request.user, data.get("area"), data.get("department"))
        super().perform_create(serializer)

    def perform_update(self, serializer):
        data, rule = serializer.validated_data, serializer.instance
        area = data.get("area", rule.area)
        check_rule_area(self.request.user, area, data.get("department", rule.department))
        super().perform_update(serializer)


class CaseSearch(SearchFilter):
    """?search= as the inbox has it: a case number through its unique index alone."""

    def filter_queryset(self, request, queryset, view):
        number = as_case_number(request.query_params.get(self.search_param, ""))
        if number is not None:
            return queryset.filter(number=number)
        return super().filter_queryset(request, queryset, view)


class CaseViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Cases the user may see. POST creates one through services.actions.submit_case
    (multipart with `photos` files, or JSON without)."""

    queryset = Case.objects.select_related(
        "category", "place", "handling_area", "handling_department"
    ).order_by("-created_at")
    filterset_fields = ["state", "case_type", "category", "channel", "level", "card_level", "grid"]
    search_fields = ["=number", "description"]
    ordering_fields = ["created_at", "resolve_due", "number"]
    filter_backends = [DjangoFilterBackend, CaseSearch, OrderingFilter]

    @property
    def throttle_scope(self) -> str:
        return "intake" if getattr(self, "action", None) == "create" else "write"

    def get_queryset(self):
        # Reading and acting both start from what the user may SEE; each action then checks
        # that the user may do that step (a resident answers a callback on their own case).
        if self.action == "create":
            # The permission check only needs the model, and submit_case checks the place
            # against the scope itself: building the visibility filter here is wasted work.
            return self.queryset
        qs = self.queryset.visible_to(self.request.user)
        if self.action == "retrieve":
            qs = qs.prefetch_related(
                Prefetch("events", queryset=CaseEvent.objects.select_related("actor")),
                "joint_units__department",
                "joint_units__area",
                "photos",
            )
        return qs

    def get_serializer_class(self):
        if self.action == "create":
            return s.IntakeSerializer
        if self.action == "retrieve":
            return s.CaseDetailSerializer
        if self.action == "transitions":
            return s.TransitionSerializer
        return s.CaseSerializer

    @extend_schema(
        request=s.IntakeSerializer,
        responses={201: s.CaseReceiptSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="16-64 characters [A-Za-z0-9_-]: a retry with the same key (same "
                "account, same URL) files nothing new and gets the first answer again.",
            )
        ],
    )
    def create(self, request, *args, **kwargs):
        # A client that retries a lost answer must not file the case twice: the key is
        # accepted once per account and URL, and its answer replayed (portal.idempotency).
        return run_once(request, "services.api.cases.create", lambda: self._create(request))

    def _create(self, request):
        serializer = s.IntakeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = actions.submit_case(
            Intake(**serializer.validated_data, photos=request.FILES.getlist("photos")),
            actor=request.user,
        )
        # A receipt, not the whole case: intake must stay cheap; Location leads to the rest.
        body = s.CaseReceiptSerializer(case).data
        headers = {"Location": f"{request.path}{case.pk}/"}
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)

    @extend_schema(request=s.TransitionSerializer, responses={200: s.CaseDetailSerializer})
    @action(detail=True, methods=["post"])
    def transitions(self, request, pk=None):
        """Run one transition: {"action": "sign_for", "expected_version": 3, …}."""
        case = self.get_object()
        head = s.TransitionSerializer(data=request.data)
        head.is_valid(raise_exception=True)
        data = {k: request.data.get(k) for k in request.data}
        case = transitions.perform(
            case, head.validated_data["action"], request.user, data, request.FILES.getlist("photos")
        )
        # Re-read with the detail prefetches (a merged case may have left the user's view).
        case = self.get_queryset().filter(pk=case.pk).first() or case
        return Response(s.CaseDetailSerializer(case, context={"request": request}).data)


def _moment(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=TZ)


class KpiView(APIView):
    """The KPIs (三率 and friends) of an area subtree or a department for a period (default:
    the current month), optionally broken down by the area's children."""

    @extend_schema(
        parameters=[
            OpenApiParameter("area", OpenApiTypes.INT),
            OpenApiParameter("department", OpenApiTypes.INT),
            OpenApiParameter("start", OpenApiTypes.DATE),
            OpenApiParameter("end", OpenApiTypes.DATE, description="exclusive"),
            OpenApiParameter("breakdown", OpenApiTypes.BOOL),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        query = s.KpiQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        scope = scope_for(request.user)
        if not scope.is_staff:
            raise Http404
        today = timezone.localdate()
        start = params.get("start") or today.replace(day=1)
        end = params.get("end") or (start.replace(day=28) + timezone.timedelta(days=4)).replace(
            day=1
        )
        if end <= start:
            raise exceptions.ValidationError({"end": [_("The end must come after the start.")]})
        user = request.user
        area = department = None
        if params.get("area"):
            area = Area.objects.visible_to(user).filter(pk=params["area"]).first()
            if area is None:
                raise Http404
        elif params.get("department"):
            # A department's report: staff whose territory holds it, or its own handlers.
            departments = Department.objects.visible_to(user) | Department.objects.filter(
                pk__in=scope.department_ids
            )
            department = departments.filter(pk=params["department"]).first()
            if department is None:
                raise Http404
        elif not scope.is_superuser:
            # Without a choice: the user's own (first) territory, else their department.
            if scope.area_paths:
                area = Area.objects.visible_to(user).filter(path=scope.area_paths[0]).first()
            elif scope.department_ids:
                department = Department.objects.filter(pk=scope.department_ids[0]).first()
            if area is None and department is None:
                raise Http404
        # Every count reads only cases the user may see, whatever the area or department.
        cases = Case.objects.visible_to(user)
        start_at, end_at = _moment(start), _moment(end)
        body = {
            "start": start,
            "end": end,
            "area": getattr(area, "pk", None),
            "department": getattr(department, "pk", None),
            "kpis": kpis.kpis(
                start=start_at, end=end_at, area=area, department=department, base=cases
            ).as_dict(),
            "labels": {key: str(label) for key, label in kpis.LABELS.items()},
        }
        if params.get("breakdown") and area is not None:
            body["breakdown"] = [
                {"area": child.pk, "name": child.name, "kpis": k.as_dict()}
                for child, k in kpis.breakdown(area=area, start=start_at, end=end_at, base=cases)
            ]
        return Response(body)
