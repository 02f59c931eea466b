"""/dashboard/ URLs (see dashboard.views and dashboard.reports_views)."""

from django.urls import path

from dashboard import reports_views, views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("data/", views.data, name="data"),
    path("geo/", views.geojson, name="geo"),
    path("points/", views.points, name="points"),
    path("stream/", views.stream, name="stream"),
    path("reports/", reports_views.reports, name="reports"),
    path("reports/<int:pk>/status/", reports_views.status, name="report-status"),
    path("reports/<int:pk>/download/", reports_views.download, name="report-download"),
]
