from django.urls import path
from rest_framework.routers import DefaultRouter

from mediation.api import views

router = DefaultRouter()
router.register("disputes", views.DisputeViewSet, basename="mediation-dispute")

urlpatterns = [
    path("figures/", views.FiguresView.as_view(), name="mediation-figures"),
    *router.urls,
]
