from rest_framework.routers import DefaultRouter

from deliberation.api import views

router = DefaultRouter()
router.register("matters", views.MatterViewSet, basename="matter")

urlpatterns = router.urls
