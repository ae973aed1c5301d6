"""The telephony provider's REST API (Twilio's, which SignalWire and Telnyx also offer):
a text message, and a call placed for an agent. Optional: without an account id, links
are offered by email only and agents call back from their own phone."""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings

from ponton import phones

TIMEOUT = 10


class ProviderError(Exception):
    """The provider refused or could not be reached (the task retries)."""


def configured() -> bool:
    return bool(
        settings.PONTON_VOICE_ACCOUNT_SID
        and settings.PONTON_VOICE_AUTH_TOKEN
        and phones.e164(settings.PONTON_SUPPORT_PHONE)
    )


def sms_configured() -> bool:
    return configured() and settings.PONTON_VOICE_SMS


def _post(resource: str, data: dict[str, str]) -> dict[str, Any]:
    sid = settings.PONTON_VOICE_ACCOUNT_SID
    url = f"{settings.PONTON_VOICE_API_URL.rstrip('/')}/2010-04-01/Accounts/{sid}/{resource}.json"
    try:
        response = httpx.post(
            url, data=data, auth=(sid, settings.PONTON_VOICE_AUTH_TOKEN), timeout=TIMEOUT
        )
    except httpx.HTTPError as error:
        raise ProviderError(f"{type(error).__name__}: {error}") from error
    if response.status_code >= 400:
        raise ProviderError(f"{response.status_code}: {response.text[:300]}")
    body = response.json()
    return body if isinstance(body, dict) else {}


def send_sms(*, to: str, body: str) -> str:
    """Send a text from the support number; the provider's message id."""
    sent = _post(
        "Messages",
        {"From": phones.e164(settings.PONTON_SUPPORT_PHONE), "To": to, "Body": body},
    )
    return str(sent.get("sid", ""))


def place_call(*, to: str, url: str) -> str:
    """Call `to` (an agent's number or SIP address) from the support number; once they
    pick up, the provider reads the TwiML at `url`. The provider's call id."""
    placed = _post(
        "Calls", {"From": phones.e164(settings.PONTON_SUPPORT_PHONE), "To": to, "Url": url}
    )
    return str(placed.get("sid", ""))
