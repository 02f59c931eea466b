"""The deliberation API: matters visible to the user (staff: their territory; residents:
where they live; others are 404), and the residents' writes (raise, co-sign, vote, comment,
evaluate) as calls to deliberation.actions. A refusal is a 400 naming the field."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from deliberation import actions
from deliberation.api import serializers as s
from deliberation.models import Matter, MatterKind
from grids.models import Area


class MatterViewSet(viewsets.ReadOnlyModelViewSet):
    """Matters (议题) of the areas the user may see."""

    filterset_fields = ["status", "area", "source"]
    search_fields = ["title"]
    ordering_fields = ["created_at", "updated_at", "title"]

    def get_queryset(self):
        qs = Matter.objects.visible_to(self.request.user).select_related("area", "kind")
        if self.action == "retrieve":
            qs = qs.prefetch_related("meetings__attendance")
        return qs.order_by("-created_at", "-pk")

    def get_serializer_class(self):
        return s.MatterDetailSerializer if self.action == "retrieve" else s.MatterSerializer

    def _out(self, matter, code=status.HTTP_200_OK) -> Response:
        matter = self.get_queryset().get(pk=matter.pk)
        return Response(s.MatterSerializer(matter).data, status=code)

    @extend_schema(request=s.RaiseSerializer, responses={201: s.MatterSerializer})
    def create(self, request):
        data = s.RaiseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        area = Area.objects.filter(pk=v["area"]).first()
        kind = MatterKind.objects.filter(code=v["kind"], is_active=True).first()
        if area is None:
            raise ValidationError({"area": ["No such area."]})
        if kind is None:
            raise ValidationError({"kind": ["No such kind of matter."]})
        matter = actions.raise_matter(
            actor=request.user,
            area=area,
            kind=kind,
            title=v["title"],
            description=v["description"],
            source=v["source"],
        )
        return self._out(matter, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.MatterSerializer})
    @action(detail=True, methods=["post"])
    def cosign(self, request, pk=None):
        return self._out(actions.cosign(self.get_object(), actor=request.user))

    @extend_schema(request=s.VoteSerializer, responses={200: s.MatterSerializer})
    @action(detail=True, methods=["post"])
    def vote(self, request, pk=None):
        data = s.VoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        matter = self.get_object()
        actions.cast_vote(matter, actor=request.user, choice=data.validated_data["choice"])
        return self._out(matter)

    @extend_schema(request=s.CommentSerializer, responses={201: s.CommentSerializer})
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        data = s.CommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        c = actions.add_comment(
            self.get_object(), actor=request.user, body=data.validated_data["body"]
        )
        return Response({"body": c.body}, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.EvaluateSerializer, responses={201: s.EvaluateSerializer})
    @action(detail=True, methods=["post"])
    def evaluate(self, request, pk=None):
        data = s.EvaluateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        e = actions.evaluate(self.get_object(), actor=request.user, **data.validated_data)
        return Response({"score": e.score, "remark": e.remark}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.TallySerializer})
    @action(detail=True, methods=["get"])
    def tally(self, request, pk=None):
        """The published tally next to one recomputed now from the raw ballots (for the vote
        under way: the running count, to staff only)."""
        from grids.scope import may_act_on

        matter = self.get_object()
        staff = may_act_on(request.user, matter.area)
        if not (matter.published_at or staff):
            return Response({"published": None, "recomputed": {}})
        return Response(
            {
                "published": matter.tally if matter.published_at else None,
                "recomputed": actions.compute_tally(matter),
            }
        )
