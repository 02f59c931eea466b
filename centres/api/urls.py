from django.urls import path
from rest_framework.routers import DefaultRouter

from centres.api import views

router = DefaultRouter()
router.register("centres", views.CentreViewSet, basename="centre")
router.register("activities", views.ActivityViewSet, basename="activity")
router.register("services", views.ServiceViewSet, basename="service")
router.register("spaces", views.SpaceViewSet, basename="space")
router.register("affairs", views.AffairItemViewSet, basename="affair")
router.register("signups", views.SignUpViewSet, basename="signup")
router.register("bookings", views.BookingViewSet, basename="booking")
router.register("appointments", views.AppointmentViewSet, basename="appointment")
router.register("lists", views.CoBuildingListViewSet, basename="list-item")
router.register("orders", views.CoBuildingOrderViewSet, basename="order")

urlpatterns = [
    path("check-in/", views.CheckInView.as_view(), name="centres-check-in"),
    path("figures/", views.FiguresView.as_view(), name="centres-figures"),
    *router.urls,
]
