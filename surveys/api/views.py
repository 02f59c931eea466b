"""The surveys API. Staff read the questionnaires of their scope with their results and the
index trend (others are 404); residents list the surveys open to them and answer one. Errors
are 400s naming the field or question (portal.api.exception_handler): a second answer, a
closed round, an answer outside the target group, an empty or oversized answer."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from grids.api.scoped import ScopedViewSetMixin
from surveys import actions, results
from surveys.api import serializers as s
from surveys.models import Index, Kind, Question, Questionnaire, Round


class QuestionnaireViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Questionnaires of the user's scope with questions, rounds and indices."""

    serializer_class = s.QuestionnaireSerializer
    queryset = Questionnaire.objects.prefetch_related(
        Prefetch("questions", queryset=Question.objects.order_by("position")),
        Prefetch("rounds", queryset=Round.objects.order_by("number")),
        Prefetch("indices", queryset=Index.objects.prefetch_related("weights")),
    ).order_by("-created_at", "-pk")
    filterset_fields = ["kind", "area", "audience"]
    search_fields = ["title"]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def trend(self, request, pk=None):
        """Each index in each round, overall and per area one level down."""
        return Response(results.trend(self.get_object()))


class RoundViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Rounds of the user's scope; `results` gives the counts per question and per area."""

    serializer_class = s.RoundSerializer
    queryset = Round.objects.select_related("questionnaire__area").order_by("pk")
    filterset_fields = ["questionnaire"]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        round = self.get_object()
        rows, questions = results.by_area(round)
        return Response(
            {
                **results.summary(round),
                "areas": [
                    {
                        "area": r.area.pk,
                        "name": r.area.name,
                        "responses": r.responses,
                        "indices": r.indices,
                        "scores": {str(k): v for k, v in r.scores.items()},
                    }
                    for r in rows
                ],
            }
        )


class OpenSurveysView(APIView):
    """The surveys open where the resident lives (the group is checked on answering)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: s.OpenRoundSerializer(many=True)})
    def get(self, request):
        rounds = actions.open_rounds_for(request.user).prefetch_related(
            Prefetch("questionnaire__questions", queryset=Question.objects.order_by("position"))
        )
        return Response(s.OpenRoundSerializer(rounds, many=True).data)


class AnswerView(APIView):
    """Answer one round on the phone: once per person (or household), counted once."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=s.AnswerSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, pk: int):
        round = get_object_or_404(
            Round.objects.select_related("questionnaire__area").exclude(
                questionnaire__kind=Kind.ORDER
            ),
            pk=pk,
        )
        data = s.AnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not isinstance(data.validated_data["answers"], dict):
            raise Http404
        response = actions.submit_phone(round, request.user, data.validated_data["answers"])
        return Response(
            {"id": response.pk, "round": round.pk, "anonymous": round.questionnaire.anonymous},
            status=status.HTTP_201_CREATED,
        )
