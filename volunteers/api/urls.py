from django.urls import path
from rest_framework.routers import DefaultRouter

from volunteers.api import views

router = DefaultRouter()
router.register("orders", views.OrderViewSet, basename="volunteer-order")
router.register("rewards", views.RewardViewSet, basename="volunteer-reward")
router.register("vouchers", views.VoucherViewSet, basename="volunteer-voucher")
router.register("wishes", views.WishWallViewSet, basename="volunteer-wish")

urlpatterns = [
    path("me/points/", views.MyPointsView.as_view(), name="volunteers-my-points"),
    path("me/passbook/", views.PassbookView.as_view(), name="volunteers-passbook"),
    path("me/gift/", views.GiftView.as_view(), name="volunteers-gift"),
    path("me/donate/", views.DonateView.as_view(), name="volunteers-donate"),
    *router.urls,
]
