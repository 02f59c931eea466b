from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal.text import TextSerializerMixin
from surveys.models import Index, Question, Questionnaire, Round


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Question
        fields = ["id", "position", "kind", "text", "required", "options", "scale_min", "scale_max"]


class RoundSerializer(serializers.ModelSerializer):
    state = serializers.SerializerMethodField()

    class Meta:
        model = Round
        fields = ["id", "number", "label", "opens_at", "closes_at", "state"]

    def get_state(self, round: Round) -> str:
        return round.state()


class IndexSerializer(serializers.ModelSerializer):
    weights = serializers.SerializerMethodField()

    class Meta:
        model = Index
        fields = ["id", "name", "weights"]

    def get_weights(self, index: Index) -> dict[str, float]:
        return {str(w.question_id): float(w.weight) for w in index.weights.all()}


class QuestionnaireSerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)
    rounds = RoundSerializer(many=True, read_only=True)
    indices = IndexSerializer(many=True, read_only=True)

    class Meta:
        model = Questionnaire
        fields = [
            "id",
            "title",
            "intro",
            "kind",
            "area",
            "audience",
            "per_household",
            "anonymous",
            "kiosk",
            "questions",
            "rounds",
            "indices",
        ]


class OpenRoundSerializer(serializers.ModelSerializer):
    questionnaire = serializers.SerializerMethodField()
    questions = serializers.SerializerMethodField()

    class Meta:
        model = Round
        fields = ["id", "number", "opens_at", "closes_at", "questionnaire", "questions"]

    def get_questionnaire(self, round: Round) -> dict:
        q = round.questionnaire
        return {"id": q.pk, "title": q.title, "intro": q.intro, "anonymous": q.anonymous}

    @extend_schema_field(QuestionSerializer(many=True))
    def get_questions(self, round: Round):
        return QuestionSerializer(round.questionnaire.questions.all(), many=True).data


class AnswerSerializer(TextSerializerMixin, serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.JSONField(),
        help_text='{"q<question id>": value}: an option index (single), a list of option '
        "indexes (multiple), a score (scale) or text (free text).",
        allow_empty=True,
    )
