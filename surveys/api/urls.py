from django.urls import path
from rest_framework.routers import DefaultRouter

from surveys.api import views

router = DefaultRouter()
router.register("questionnaires", views.QuestionnaireViewSet, basename="questionnaire")
router.register("rounds", views.RoundViewSet, basename="survey-round")

urlpatterns = [
    path("open/", views.OpenSurveysView.as_view(), name="surveys-open"),
    path("rounds/<int:pk>/answer/", views.AnswerView.as_view(), name="surveys-answer"),
    *router.urls,
]
