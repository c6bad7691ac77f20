"""The API's sign-in: a username and password (and the two-step code, when the account has one) give an expiring
token; signing out revokes it. Both go through the same lockout as the web sign-in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle
from rest_framework.views import APIView

from clinic.api_schema import ErrorDetail
from clinic.http import user_of
from clinic.models import User
from clinic.security import mfa, tokens


class TokenRequestSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    code = serializers.CharField(
        max_length=20, required=False, allow_blank=True, help_text="The two-step code, when the account has one."
    )


class TokenSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`; shown only this once.")
    expires_at = serializers.DateTimeField(allow_null=True)


ERROR = inline_serializer("SignInError", {"code": serializers.CharField(), "detail": serializers.CharField()})
# A 400 is either a refused sign-in (`code`, `detail`) or a body without its fields (`{"username": [...]}`).
BAD_REQUEST = inline_serializer(
    "SignInBadRequest",
    {
        # A refusal's code ("invalid_credentials", "two_step_code_invalid"), or the messages about the `code` field.
        "code": serializers.JSONField(required=False),
        "detail": serializers.CharField(required=False),
        "username": serializers.ListField(child=serializers.CharField(), required=False),
        "password": serializers.ListField(child=serializers.CharField(), required=False),
    },
)


class ObtainTokenView(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle, ScopedRateThrottle]
    throttle_scope = "sign_in"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, 400: BAD_REQUEST, 403: ERROR, 429: ERROR},
        summary="Sign in and get an API token",
    )
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        django_request = request._request
        user: User | None = authenticate(
            django_request, username=data.validated_data["username"], password=data.validated_data["password"]
        )
        if user is None:
            return _refused("invalid_credentials", "The username or password is not right.")
        if mfa.required_for(user) and not mfa.is_enrolled(user):
            return _refused(
                "two_step_setup_required",
                "Set up two-step sign-in by signing in on the website first; then ask for a token again.",
                status.HTTP_403_FORBIDDEN,
            )
        if mfa.is_enrolled(user) and mfa.verify(user, data.validated_data.get("code", "")) is None:
            user_login_failed.send(
                sender=__name__,
                credentials={"username": user.get_username(), "step": "two-step code"},
                request=django_request,
            )
            return _refused("two_step_code_invalid", "The two-step code is missing or did not work.")
        new = tokens.create(user, via="api")
        return Response({"token": new.token, "expires_at": new.expires_at})


class RevokeTokenView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            204: None,
            401: OpenApiResponse(ErrorDetail, description="Not signed in: no token, or an expired one."),
            429: OpenApiResponse(ErrorDetail, description="Too many requests; try again later."),
        },
        summary="Revoke the token used for this request",
    )
    def post(self, request: Request) -> Response:
        if request.auth is not None and hasattr(request.auth, "token_key"):
            tokens.revoke(user_of(request), request.auth.token_key)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _refused(code: str, detail: str, http_status: int = status.HTTP_400_BAD_REQUEST) -> Response:
    return Response({"code": code, "detail": detail}, status=http_status)
