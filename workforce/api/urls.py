from rest_framework.routers import DefaultRouter

from workforce.api import views

router = DefaultRouter()
router.register("workers", views.WorkerViewSet, basename="worker")
urlpatterns = router.urls
