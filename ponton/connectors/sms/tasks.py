"""SMS's background work: texts out and pictures in, retried with backoff."""

from __future__ import annotations

from typing import Any

from ponton.connectors.messaging.outbound import MAX_ATTEMPTS
from ponton.connectors.sms import services
from ponton.tasks.services import register


@register("sms.send", attempts=MAX_ATTEMPTS)
def send(message_id: int) -> None:
    services.deliver(message_id)


@register("sms.fetch_media", attempts=8)
def fetch_media(message_id: int, media: list[dict[str, Any]]) -> None:
    services.fetch_media(message_id, media)
