"""Texts out through the provider's Twilio-compatible REST API (Twilio's, SignalWire's,
Telnyx's): `POST {PONTON_SMS_API_URL}/2010-04-01/Accounts/{sid}/Messages.json` with basic
auth, asking for status callbacks at our signed endpoint."""

from __future__ import annotations

import httpx
from django.conf import settings
from django.urls import reverse

from ponton import phones
from ponton.connectors.messaging.media import TooLarge
from ponton.connectors.messaging.outbound import ProviderError
from ponton.connectors.voice.signature import public_url

TIMEOUT = 15
MAX_TEXT = 1600  # what providers join from parts into one text


def from_number() -> str:
    return phones.e164(settings.PONTON_SMS_NUMBER or settings.PONTON_SUPPORT_PHONE)


def configured() -> bool:
    return bool(
        settings.PONTON_VOICE_ACCOUNT_SID and settings.PONTON_VOICE_AUTH_TOKEN and from_number()
    )


def _auth() -> tuple[str, str]:
    return (settings.PONTON_VOICE_ACCOUNT_SID, settings.PONTON_VOICE_AUTH_TOKEN)


def message_form(*, to: str, text: str) -> dict[str, str]:
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    return {
        "From": from_number(),
        "To": to,
        "Body": text,
        "StatusCallback": public_url(reverse("api:sms-status")),
    }


def send(form: dict[str, str]) -> str:
    """Send one text; the provider's message id (its status callbacks name it)."""
    if not configured():
        raise ProviderError("SMS is not configured (PONTON_VOICE_ACCOUNT_SID, _AUTH_TOKEN)")
    sid = settings.PONTON_VOICE_ACCOUNT_SID
    url = f"{settings.PONTON_SMS_API_URL.rstrip('/')}/2010-04-01/Accounts/{sid}/Messages.json"
    try:
        response = httpx.post(url, data=form, auth=_auth(), timeout=TIMEOUT)
    except httpx.HTTPError as error:
        raise ProviderError(f"{type(error).__name__}: {error}") from error
    if response.status_code >= 400:
        retry = response.status_code >= 500 or response.status_code in (408, 429)
        raise ProviderError(f"{response.status_code}: {response.text[:300]}", final=not retry)
    try:
        return str(response.json()["sid"])
    except (ValueError, KeyError, TypeError) as error:
        raise ProviderError(f"unexpected answer: {response.text[:300]}") from error


def fetch_media(item: dict[str, str]) -> tuple[bytes, str]:
    """A picture sent by MMS (MediaUrlN), with the account's credentials, within the limit."""
    limit = settings.PONTON_ATTACHMENT_MAX_BYTES
    data = bytearray()
    try:
        with httpx.stream(
            "GET", item["ref"], auth=_auth(), timeout=TIMEOUT, follow_redirects=True
        ) as got:
            if got.status_code >= 400:
                raise ProviderError(f"{got.status_code} fetching media")
            for chunk in got.iter_bytes():
                data += chunk
                if len(data) > limit:
                    raise TooLarge
            content_type = got.headers.get("content-type", "")
    except httpx.HTTPError as error:
        raise ProviderError(f"{type(error).__name__}: {error}") from error
    return bytes(data), content_type or item.get("content_type", "")
