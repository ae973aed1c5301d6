"""Meta's webhook payloads, read into what Ponton keeps: messages in, statuses out.

    {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages",
      "value": {"contacts": [...], "messages": [...], "statuses": [...]}}]}]}

Anything else in a payload (other fields, message types we do not read) is skipped, never
an error: Meta would retry a refused delivery for days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ponton.connectors.messaging.inbound import Inbound, Media
from ponton.conversations.models import ConversationChannel

MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")


@dataclass(frozen=True)
class Status:
    provider_id: str
    status: str  # sent | delivered | read | failed
    at: datetime | None
    error: str = ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _values(payload: Any) -> list[dict[str, Any]]:
    payload = _dict(payload)
    if payload.get("object") != "whatsapp_business_account":
        return []
    return [
        _dict(change.get("value"))
        for entry in _list(payload.get("entry"))
        for change in _list(_dict(entry).get("changes"))
        if _dict(change).get("field") == "messages"
    ]


def _when(timestamp: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(timestamp), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _message(raw: dict[str, Any], names: dict[str, str]) -> Inbound | None:
    sender, kind = str(raw.get("from") or ""), str(raw.get("type") or "")
    if not sender or not raw.get("id"):
        return None
    text, choice, media = "", "", []
    if kind == "text":
        text = str(_dict(raw.get("text")).get("body") or "")
    elif kind == "interactive":
        interactive = _dict(raw.get("interactive"))
        reply = _dict(interactive.get("button_reply") or interactive.get("list_reply"))
        text, choice = str(reply.get("title") or ""), str(reply.get("id") or "")
    elif kind == "button":  # a template's quick-reply button
        button = _dict(raw.get("button"))
        text = str(button.get("text") or button.get("payload") or "")
    elif kind in MEDIA_TYPES:
        item = _dict(raw.get(kind))
        if item.get("id"):
            media.append(
                Media(
                    ref=str(item["id"]),
                    name=str(item.get("filename") or "")[:200],
                    content_type=str(item.get("mime_type") or ""),
                )
            )
        text = str(item.get("caption") or "")
    elif kind == "location":
        place = _dict(raw.get("location"))
        text = " ".join(
            str(place.get(k) or "") for k in ("name", "address", "latitude", "longitude")
        ).strip()
    return Inbound(
        channel=ConversationChannel.WHATSAPP,
        sender="+" + sender.lstrip("+"),
        provider_id=str(raw["id"]),
        text=text,
        name=names.get(sender, ""),
        choice=choice,
        media=media,
    )


def messages(payload: Any) -> list[Inbound]:
    found = []
    for value in _values(payload):
        names = {
            str(c.get("wa_id")): str(_dict(c.get("profile")).get("name") or "")[:150]
            for c in map(_dict, _list(value.get("contacts")))
        }
        for raw in map(_dict, _list(value.get("messages"))):
            inbound = _message(raw, names)
            if inbound is not None:
                found.append(inbound)
    return found


def statuses(payload: Any) -> list[Status]:
    found = []
    for value in _values(payload):
        for raw in map(_dict, _list(value.get("statuses"))):
            if not raw.get("id") or not raw.get("status"):
                continue
            errors = [_dict(e) for e in _list(raw.get("errors"))]
            error = "; ".join(
                f"{e.get('code', '')} {e.get('title') or e.get('message') or ''}".strip()
                for e in errors
            )
            found.append(
                Status(
                    provider_id=str(raw["id"]),
                    status=str(raw["status"]),
                    at=_when(raw.get("timestamp")),
                    error=error[:500],
                )
            )
    return found
