"""WhatsApp's Cloud API (Meta's Graph API): messages out, media in.

`POST {PONTON_WHATSAPP_API_URL}/{PONTON_WHATSAPP_PHONE_NUMBER_ID}/messages` with the
access token; media are read in two steps (`GET /{media-id}` gives a short-lived URL,
fetched with the same token)."""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings

from ponton.connectors.messaging.media import TooLarge
from ponton.connectors.messaging.outbound import ProviderError

TIMEOUT = 15
MAX_TEXT = 4096  # the Cloud API's limit for a text body


def configured() -> bool:
    return bool(settings.PONTON_WHATSAPP_TOKEN and settings.PONTON_WHATSAPP_PHONE_NUMBER_ID)


def _headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {settings.PONTON_WHATSAPP_TOKEN}"}


def _url(path: str) -> str:
    return f"{settings.PONTON_WHATSAPP_API_URL.rstrip('/')}/{path.lstrip('/')}"


def _refused(response: httpx.Response) -> ProviderError:
    try:
        error = response.json().get("error", {})
    except ValueError:
        error = {}
    detail = error.get("message") if isinstance(error, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    text = f"{response.status_code}: {detail or response.text[:300]}"
    if code:
        text += f" (code {code})"
    # Overloaded or rate-limited: later may work. Any other refusal will not change.
    retry = response.status_code >= 500 or response.status_code in (408, 429)
    return ProviderError(text, final=not retry)


def recipient(number: str) -> str:
    """WhatsApp ids are the E.164 digits without "+"."""
    return number.lstrip("+")


def text_body(*, to: str, text: str) -> dict[str, Any]:
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": recipient(to),
        "type": "text",
        "text": {"preview_url": True, "body": text},
    }


def template_body(*, to: str, name: str, language: str, parameters: list[str]) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": recipient(to),
        "type": "template",
        "template": {
            "name": name,
            "language": {"code": language},
            "components": [
                {
                    "type": "body",
                    "parameters": [{"type": "text", "text": p} for p in parameters],
                }
            ],
        },
    }


def send(body: dict[str, Any]) -> str:
    """Post one message; the id WhatsApp gives it (status callbacks name it)."""
    if not configured():
        raise ProviderError("WhatsApp is not configured (PONTON_WHATSAPP_TOKEN, _PHONE_NUMBER_ID)")
    try:
        response = httpx.post(
            _url(f"{settings.PONTON_WHATSAPP_PHONE_NUMBER_ID}/messages"),
            json=body,
            headers=_headers(),
            timeout=TIMEOUT,
        )
    except httpx.HTTPError as error:
        raise ProviderError(f"{type(error).__name__}: {error}") from error
    if response.status_code >= 400:
        raise _refused(response)
    try:
        return str(response.json()["messages"][0]["id"])
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise ProviderError(f"unexpected answer: {response.text[:300]}") from error


def fetch_media(item: dict[str, Any]) -> tuple[bytes, str]:
    """A media's bytes and type, refusing more than the attachment limit before and while
    downloading."""
    if not configured():
        raise ProviderError("WhatsApp is not configured: media cannot be fetched")
    limit = settings.PONTON_ATTACHMENT_MAX_BYTES
    try:
        info = httpx.get(_url(str(item["ref"])), headers=_headers(), timeout=TIMEOUT)
        if info.status_code >= 400:
            raise _refused(info)
        meta = info.json()
        if int(meta.get("file_size") or 0) > limit:
            raise TooLarge
        data = bytearray()
        with httpx.stream("GET", str(meta["url"]), headers=_headers(), timeout=TIMEOUT) as got:
            if got.status_code >= 400:
                got.read()
                raise _refused(got)
            for chunk in got.iter_bytes():
                data += chunk
                if len(data) > limit:
                    raise TooLarge
    except httpx.HTTPError as error:
        raise ProviderError(f"{type(error).__name__}: {error}") from error
    except (ValueError, KeyError, TypeError) as error:
        raise ProviderError(f"unexpected media answer: {error}") from error
    return bytes(data), str(meta.get("mime_type") or item.get("content_type") or "")
