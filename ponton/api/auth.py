from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

from ponton.accounts.models import ApiToken, TokenScope
from ponton.accounts.services import token_for


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer TOKEN`, with tokens made by `ponton create-api-token`."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer TOKEN'.")
        token = token_for(header[1].decode(errors="replace"))
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        needed = TokenScope.READ if request.method in SAFE_METHODS else TokenScope.WRITE
        if needed not in token.scopes:
            raise exceptions.PermissionDenied(f"This token lacks the '{needed}' scope.")
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "ponton.api.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer"}
