from django.urls import path
from rest_framework.routers import DefaultRouter

from services.api import city, views

router = DefaultRouter()
router.register("cases", views.CaseViewSet, basename="case")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("routing-rules", views.RoutingRuleViewSet, basename="routing-rule")

urlpatterns = [
    path("city12345/webhook/", city.webhook, name="services-city-webhook"),
    path("kpis/", views.KpiView.as_view(), name="services-kpis"),
    *router.urls,
]
