"""Meta's signature on each webhook delivery: X-Hub-Signature-256 is "sha256=" and the
HMAC-SHA256 of the raw body with the app secret."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

HEADER = "X-Hub-Signature-256"


def sign(body: bytes, secret: str | None = None) -> str:
    key = (secret if secret is not None else settings.PONTON_WHATSAPP_APP_SECRET).encode()
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def is_signed(body: bytes, header: str) -> bool:
    """True when `header` is the app's signature of these exact bytes. Without a
    configured app secret nothing is signed: every delivery is refused."""
    if not settings.PONTON_WHATSAPP_APP_SECRET or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(sign(body).encode(), header.strip().lower().encode())


def verify_subscription(*, mode: str, token: str) -> bool:
    """Meta's subscription check: our verify token, compared in constant time."""
    expected = settings.PONTON_WHATSAPP_VERIFY_TOKEN
    return bool(
        mode == "subscribe" and expected and hmac.compare_digest(expected.encode(), token.encode())
    )
