"""The API side of the area scope: viewsets of scoped models inherit `ScopedViewSetMixin`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import transaction
from rest_framework import exceptions, permissions

from grids.scope import may, scope_for

if TYPE_CHECKING:
    from rest_framework.permissions import _PermissionClass  # the stubs' name for it

_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


class ScopedPermission(permissions.BasePermission):
    """Role decides whether the user may use the endpoint at all; the queryset decides which
    objects exist for them (out of scope → 404)."""

    def has_permission(self, request, view):
        model = view.get_queryset().model
        return bool(request.user and request.user.is_authenticated) and may(
            request.user, _ACTIONS.get(request.method, "view"), model
        )


class ScopedViewSetMixin:
    permission_classes: Sequence[_PermissionClass] = [ScopedPermission]

    def get_queryset(self):
        qs = super().get_queryset()
        action = "view" if self.request.method in permissions.SAFE_METHODS else "change"
        if action == "view":
            return qs.visible_to(self.request.user)
        return qs.changeable_by(self.request.user)

    def _check_in_scope(self, instance):
        if not scope_for(self.request.user).covers(instance, "change"):
            # Rolls back the surrounding transaction: nothing lands outside the scope.
            raise exceptions.ValidationError(
                {"non_field_errors": ["The object would fall outside your area."]}
            )

    def perform_create(self, serializer):
        with transaction.atomic():
            instance = serializer.save()
            self._check_in_scope(instance)

    def perform_update(self, serializer):
        with transaction.atomic():
            instance = serializer.save()
            self._check_in_scope(instance)


def scoped_related_queryset(serializer_field_queryset, request):
    """Narrow a serializer's related-field queryset to the requesting user's scope."""
    if request is None or not hasattr(serializer_field_queryset, "visible_to"):
        return serializer_field_queryset
    return serializer_field_queryset.visible_to(request.user)
