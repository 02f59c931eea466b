"""GET /api/notifications/ (own, newest first, paginated, ?unread=1), the unread count, and
marking one or all read. Everyone sees only their own: anyone else's is a 404, staff and
superusers included. Bad input is a 400 naming the field."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from notifications import actions, bell
from notifications.api import serializers as s
from notifications.models import Notification

_UNREAD = {"1": True, "true": True, "0": False, "false": False, "": None}


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.NotificationSerializer
    lookup_value_regex = r"\d+"
    filter_backends: list = []  # the one filter is ?unread, checked here

    def get_queryset(self):
        qs = Notification.objects.filter(recipient=self.request.user).order_by("-created_at", "-id")
        if self.action == "list":
            raw = self.request.query_params.get("unread", "").strip().lower()
            if raw not in _UNREAD:
                raise ValidationError(
                    {"unread": [_("Use unread=1 for unread only, or 0 for all.")]}
                )
            if _UNREAD[raw]:
                qs = qs.filter(read_at__isnull=True)
        return qs

    @extend_schema(
        parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL, description="unread only")]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=s.UnreadCountSerializer)
    @action(detail=False, url_path="unread-count")
    def unread_count(self, request):
        """The bell's number: from the cache, no query while it is kept."""
        return Response({"unread": bell.unread_count(request.user)})

    @extend_schema(request=None, responses=s.NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        try:
            notification = actions.mark_read(request.user, int(pk))
        except Notification.DoesNotExist:
            raise Http404 from None
        return Response(s.NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=s.ReadAllSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        return Response({"marked": actions.mark_all_read(request.user)})
