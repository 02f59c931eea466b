"""Public phone pages of the time bank under /volunteers/."""

from django.urls import path

from volunteers import party_views, staff_views, teams_views, views, wish_views

app_name = "volunteers"
urlpatterns = [
    path("", views.home, name="home"),
    path("register/", views.register, name="register"),
    path("orders/", views.open_orders, name="orders"),
    path("orders/new/", views.new_order, name="new-order"),
    path("orders/<int:pk>/", views.order_page, name="order"),
    path("orders/<int:pk>/scan/", views.scan, name="scan"),
    path("orders/<int:pk>/<str:action>/", views.order_act, name="order-act"),
    path("points/", views.points, name="points"),
    path("rewards/", views.rewards, name="rewards"),
    path("rewards/<int:pk>/redeem/", views.redeem, name="redeem"),
    path("wishes/", wish_views.wish_wall, name="wishes"),
    path("wishes/new/", wish_views.wish_new, name="wish-new"),
    path("wishes/<int:pk>/claim/", wish_views.wish_claim, name="wish-claim"),
    path("wishes/<int:pk>/fulfil/", wish_views.wish_fulfil, name="wish-fulfil"),
    path("teams/", teams_views.teams, name="teams"),
    path("teams/<int:pk>/join/", teams_views.join, name="team-join"),
    path("posts/<int:pk>/claim/", teams_views.claim, name="post-claim"),
    path("report/", party_views.report, name="report"),
    path("passbook/", party_views.passbook, name="passbook"),
    path("staff/", staff_views.review, name="review"),
    path("staff/wishes/<int:pk>/", staff_views.decide_wish, name="review-wish"),
    path("staff/reports/<int:pk>/", staff_views.decide_report, name="review-report"),
    path("certificates/<str:number>/", views.certificate, name="certificate"),
    path("certificates/<str:number>/pdf/", views.certificate_pdf, name="certificate-pdf"),
]
