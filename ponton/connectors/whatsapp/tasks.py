"""WhatsApp's background work: messages out and media in, retried with backoff."""

from __future__ import annotations

from typing import Any

from ponton.connectors.messaging.outbound import MAX_ATTEMPTS
from ponton.connectors.whatsapp import services
from ponton.tasks.services import register


@register("whatsapp.send", attempts=MAX_ATTEMPTS)
def send(message_id: int) -> None:
    services.deliver(message_id)


@register("whatsapp.fetch_media", attempts=8)
def fetch_media(message_id: int, media: list[dict[str, Any]]) -> None:
    services.fetch_media(message_id, media)
