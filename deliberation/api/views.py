"""The deliberation API: matters visible to the user (staff: their territory; residents:
where they live; others are 404), the residents' writes (raise, co-sign, vote, comment,
evaluate) and the staff's (take up, call a meeting, minutes, publish the plan, open and close
the vote, publish the result, progress) as calls to deliberation.actions. A refusal is a 400
naming the field; a resident asking for a staff operation on a matter they see is a 403."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from centres.models import Space
from deliberation import actions
from deliberation.api import serializers as s
from deliberation.models import Matter, MatterKind
from grids.models import Area
from grids.scope import may_act_on


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

    # --- staff ---------------------------------------------------------------------------

    def _staff_matter(self) -> Matter:
        """The matter (404 outside what the user sees), for staff covering its area only."""
        matter = self.get_object()
        if not may_act_on(self.request.user, matter.area):
            raise PermissionDenied(_("Only staff covering this area can do this."))
        return matter

    @staticmethod
    def _valid(serializer_class, request) -> dict:
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data

    @extend_schema(request=None, responses={200: s.MatterSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Take the matter up for deliberation (staff)."""
        return self._out(actions.accept_matter(self._staff_matter(), actor=request.user))

    @extend_schema(request=s.MeetingCallSerializer, responses={201: s.MeetingSerializer})
    @action(detail=True, methods=["post"])
    def meeting(self, request, pk=None):
        """Call a meeting: its notice and agenda, booking the 议事厅 through centres (staff)."""
        matter = self._staff_matter()
        v = self._valid(s.MeetingCallSerializer, request)
        space = None
        if v.get("space"):
            space = Space.objects.filter(pk=v["space"]).first()
            if space is None:
                raise ValidationError({"space": [_("No such deliberation hall.")]})
        meeting = actions.schedule_meeting(
            matter,
            actor=request.user,
            kind=v["kind"],
            starts_at=v["starts_at"],
            ends_at=v["ends_at"],
            agenda=v["agenda"],
            space=space,
            place=v["place"],
            attendees=v["attendees"],
        )
        return Response(s.MeetingSerializer(meeting).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.MinutesSerializer, responses={200: s.MeetingSerializer})
    @action(detail=True, methods=["post"])
    def minutes(self, request, pk=None):
        """Record the minutes and attendance of one of the matter's meetings (staff)."""
        matter = self._staff_matter()
        v = self._valid(s.MinutesSerializer, request)
        meeting = matter.meetings.filter(pk=v["meeting"]).first()
        if meeting is None:
            raise ValidationError({"meeting": [_("No such meeting of this matter.")]})
        meeting = actions.record_minutes(
            meeting,
            actor=request.user,
            minutes=v["minutes"],
            attendees=[(a["name"], a["attending_as"]) for a in v["attendees"]],
        )
        return Response(s.MeetingSerializer(meeting).data)

    @extend_schema(request=s.PlanSerializer, responses={200: s.MatterSerializer})
    @action(detail=True, methods=["post"], url_path="publish-plan")
    def publish_plan(self, request, pk=None):
        """Publish the plan before the vote (方案公开, staff)."""
        matter = self._staff_matter()
        v = self._valid(s.PlanSerializer, request)
        return self._out(actions.publish_plan(matter, actor=request.user, plan=v["plan"]))

    @extend_schema(request=s.OpenVoteSerializer, responses={200: s.MatterSerializer})
    @action(detail=True, methods=["post"], url_path="open-vote")
    def open_vote(self, request, pk=None):
        """Put the plan to the vote until `closes_at` (staff); the electorate is frozen now."""
        matter = self._staff_matter()
        v = self._valid(s.OpenVoteSerializer, request)
        matter = actions.open_vote(
            matter, actor=request.user, closes_at=v["closes_at"], plan=v["plan"]
        )
        return self._out(matter)

    @extend_schema(request=None, responses={200: s.MatterSerializer})
    @action(detail=True, methods=["post"], url_path="close-vote")
    def close_vote(self, request, pk=None):
        """Close and count the vote (staff; before its closing time only when everyone
        eligible has voted)."""
        return self._out(actions.close_vote(self._staff_matter(), actor=request.user, early=True))

    @extend_schema(request=None, responses={200: s.MatterSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish the result (公开, staff)."""
        return self._out(actions.publish_result(self._staff_matter(), actor=request.user))

    @extend_schema(request=s.ProgressSerializer, responses={200: s.MatterSerializer})
    @action(detail=True, methods=["post"])
    def progress(self, request, pk=None):
        """Record a step in carrying the decision out; `done` marks it carried out (staff)."""
        matter = self._staff_matter()
        v = self._valid(s.ProgressSerializer, request)
        return self._out(
            actions.record_progress(matter, actor=request.user, note=v["note"], done=v["done"])
        )
