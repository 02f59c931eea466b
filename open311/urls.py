"""GeoReport v2: every resource with a .json or .xml suffix (the view checks which)."""

from django.urls import re_path

from open311 import views

app_name = "open311"

FMT = r"\.(?P<fmt>[A-Za-z0-9]+)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.services, name="services"),
    re_path(r"^services/(?P<code>[-\w]+)" + FMT, views.service_definition, name="service"),
    re_path(r"^requests" + FMT, views.requests_view, name="requests"),
    re_path(r"^requests/(?P<number>[-\w]+)" + FMT, views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[-\w]+)" + FMT, views.token_detail, name="token"),
    re_path(r"^servicerequestupdates" + FMT, views.updates_view, name="updates"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
