"""Public phone pages of the time bank under /volunteers/."""

from django.urls import path

from volunteers import teams_views, views

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
    path("wishes/", views.wish_wall, name="wishes"),
    path("teams/", teams_views.teams, name="teams"),
    path("teams/<int:pk>/join/", teams_views.join, name="team-join"),
    path("posts/<int:pk>/claim/", teams_views.claim, name="post-claim"),
    path("wishes/<int:pk>/claim/", views.wish_claim, name="wish-claim"),
    path("wishes/<int:pk>/fulfil/", views.wish_fulfil, name="wish-fulfil"),
    path("certificates/<str:number>/", views.certificate, name="certificate"),
    path("certificates/<str:number>/pdf/", views.certificate_pdf, name="certificate-pdf"),
]
