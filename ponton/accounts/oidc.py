"""Single sign-on for staff through the company's OpenID Connect provider (optional).

Off unless PONTON_OIDC_CLIENT_ID and the provider's endpoints are set. A person
the provider vouches for signs in to the staff account with the same (verified)
email, and to nothing else: never a customer, never an account the claims would
make an administrator. With PONTON_OIDC_CREATE_AGENTS an unknown email becomes a
new agent (no team, no password), unless a customer already uses it. Staff with
an authenticator still give its code after the provider said yes.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import requests
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from ponton.accounts import twofactor
from ponton.accounts.models import STAFF_ROLES, Role, User

BACKEND = "ponton.accounts.oidc.StaffOIDCBackend"
logger = logging.getLogger(__name__)


def enabled() -> bool:
    return bool(settings.PONTON_OIDC_ENABLED)


def provider_name() -> str:
    return str(settings.PONTON_OIDC_PROVIDER_NAME)


class StaffOIDCBackend(OIDCAuthenticationBackend):
    """Staff accounts matched by email; the token must be for us, from our provider."""

    def authenticate(self, request: Any, **kwargs: Any) -> User | None:
        """None for anything the provider's answer gets wrong (the page says so)."""
        try:
            user: User | None = super().authenticate(request, **kwargs)
        except (SuspiciousOperation, requests.RequestException) as exc:
            logger.warning("Single sign-on refused: %s", exc)
            return None
        return user

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        payload: dict[str, Any] = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise_suspicious("The ID token is for another client.")
        issuer = settings.PONTON_OIDC_ISSUER
        if issuer and payload.get("iss") != issuer:
            raise_suspicious("The ID token comes from another issuer.")
        return payload

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        email = str(claims.get("email") or "")
        return "@" in email and claims.get("email_verified", True) is not False

    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet[User]:
        return User.objects.filter(
            email__iexact=str(claims["email"]), role__in=STAFF_ROLES, is_active=True
        )

    def create_user(self, claims: dict[str, Any]) -> User | None:
        """Only with PONTON_OIDC_CREATE_AGENTS, only agents, only for a new email."""
        email = str(claims["email"]).strip()
        if not settings.PONTON_OIDC_CREATE_AGENTS or User.objects.filter(email__iexact=email):
            return None
        base = re.sub(r"[^\w.@+-]", "", email.split("@", 1)[0])[:100] or "agent"
        username, n = base, 1
        while User.objects.filter(username=username).exists():
            n += 1
            username = f"{base}{n}"
        user = User(
            username=username,
            email=email,
            first_name=str(claims.get("given_name") or "")[:150],
            last_name=str(claims.get("family_name") or "")[:150],
            role=Role.AGENT,
        )
        user.set_unusable_password()
        user.save()
        return user

    def update_user(self, user: User, claims: dict[str, Any]) -> User:
        return user  # rights are Ponton's to give, never the claims'


def raise_suspicious(message: str) -> None:
    raise SuspiciousOperation(message)


class StartView(OIDCAuthenticationRequestView):
    """To the provider (a 404 while single sign-on is off)."""

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if not enabled():
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class CallbackView(OIDCAuthenticationCallbackView):
    """Back from the provider: signed in (or on to the code), or back to the sign-in page."""

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if not enabled():
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    @property
    def success_url(self) -> str:
        wanted = self.request.session.get("oidc_login_next")
        if wanted and wanted.startswith("/") and not wanted.startswith("//"):
            return str(wanted)
        return reverse("inbox:inbox")

    def login_failure(self) -> HttpResponse:
        messages.error(
            self.request,
            _("%(provider)s did not sign you in to a staff account here.")
            % {"provider": provider_name()},
        )
        return HttpResponseRedirect(reverse("accounts:login"))

    def login_success(self) -> HttpResponse:
        user: User = self.user
        if twofactor.has_device(user):
            twofactor.start_sign_in(
                self.request, user, backend=BACKEND, redirect_to=self.success_url
            )
            return redirect("accounts:two_factor_code")
        user.backend = BACKEND  # type: ignore[attr-defined]
        response: HttpResponse = super().login_success()
        return response
