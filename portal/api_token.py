"""POST /api/auth/token/ {"username", "password"} answers {"token", "expires"}; clients send
it as `Authorization: Token <key>`. A new login after expiry issues a new token; DELETE revokes
the caller's token; staff revoke any in the admin. The password goes through django-axes'
lockout (portal.api_auth.check_password) and every login is in the login log."""

from __future__ import annotations

from django.contrib.auth.models import update_last_login
from django.db import transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import security
from portal.api_auth import ExpiringTokenAuthentication, _expires, check_password
from portal.text import TextSerializerField, TextSerializerMixin


class TokenLoginSerializer(TextSerializerMixin, serializers.Serializer):
    username = TextSerializerField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False)


class TokenView(APIView):
    """Log in for the API: a token for a username and password (locked out like the login
    pages after repeated failures); DELETE revokes the caller's token."""

    authentication_classes = [ExpiringTokenAuthentication]
    throttle_scope = "login"

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    @extend_schema(
        request=TokenLoginSerializer,
        responses={
            200: inline_serializer(
                "TokenAnswer",
                {"token": serializers.CharField(), "expires": serializers.DateTimeField()},
            ),
            400: OpenApiTypes.OBJECT,
            401: OpenApiTypes.OBJECT,
            429: OpenApiTypes.OBJECT,
        },
    )
    def post(self, request):
        form = TokenLoginSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = check_password(
            request, form.validated_data["username"], form.validated_data["password"]
        )
        with transaction.atomic():
            # The account's row, locked, serialises two logins of one account: locking the
            # token row alone locks nothing when there is none yet, and both would create one
            # (the second a unique violation, a 409 to a client that did nothing wrong).
            type(user).objects.select_for_update().filter(pk=user.pk).exists()
            token = Token.objects.select_for_update().filter(user=user).first()
            expires = _expires(token) if token is not None else None
            if token is not None and expires is not None and expires <= timezone.now():
                token.delete()
                token = None
            if token is None:
                token = Token.objects.create(user=user)
        update_last_login(None, user)
        security.record(request, "success", user=user)
        return Response({"token": token.key, "expires": _expires(token)})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        Token.objects.filter(user=request.user).delete()
        security.record(request, "logout", user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
