"""The provider's signature on each webhook (X-Twilio-Signature: HMAC-SHA1 with the auth
token over the URL it called and the posted fields).

The URL is rebuilt from SITE_URL and the request's path and query, never from the Host
header: behind a reverse proxy the application sees its own address, while the provider
signed the public one. So SITE_URL must be exactly the scheme and host (and port, if any)
configured at the provider; the menu's own next-step URLs are built from it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from twilio.request_validator import RequestValidator

HEADER = "X-Twilio-Signature"


def public_url(path: str) -> str:
    """The address the provider calls for `path` (with its query string)."""
    return settings.SITE_URL.rstrip("/") + path


def is_signed(*, path: str, params: Mapping[str, Any], signature: str) -> bool:
    """True when `signature` is the provider's for this URL and these fields. Without a
    configured auth token nothing is signed: every request is refused."""
    token = settings.PONTON_VOICE_AUTH_TOKEN
    if not token or not signature:
        return False
    return bool(RequestValidator(token).validate(public_url(path), params, signature))


def require_signed(request: Request) -> None:
    """403 unless the webhook `request` carries the provider's signature (phone and SMS)."""
    if not is_signed(
        path=request.get_full_path(),
        params=request.data,
        signature=request.headers.get(HEADER, ""),
    ):
        raise PermissionDenied("Invalid or missing X-Twilio-Signature.")


def sign(*, url: str, params: Mapping[str, Any]) -> str:
    """The signature a provider would send (for tests and the operator's own checks)."""
    return str(RequestValidator(settings.PONTON_VOICE_AUTH_TOKEN).compute_signature(url, params))
