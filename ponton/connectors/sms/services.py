"""The SMS channel: texts in from the provider's webhook (TwiML-compatible form fields),
texts out through its REST API, delivery from its status callbacks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import override

from ponton.connectors.messaging import inbound, media, outbound
from ponton.connectors.messaging.models import Delivery
from ponton.connectors.sms import provider
from ponton.conversations.models import ConversationChannel

MAX_MEDIA = 10
# The provider's message statuses, as Ponton records them (others change nothing).
STATUSES = {
    "sent": Delivery.SENT,
    "delivered": Delivery.DELIVERED,
    "read": Delivery.READ,
    "undelivered": Delivery.FAILED,
    "failed": Delivery.FAILED,
}


def _field(data: Mapping[str, Any], name: str, limit: int = 200) -> str:
    return str(data.get(name, "") or "").strip()[:limit]


def read_inbound(data: Mapping[str, Any]) -> inbound.Inbound:
    """The provider's form fields: From, Body, MessageSid, NumMedia, MediaUrlN…"""
    try:
        count = min(int(_field(data, "NumMedia", 4) or 0), MAX_MEDIA)
    except ValueError:
        count = 0
    items = []
    for n in range(max(count, 0)):
        url = _field(data, f"MediaUrl{n}", 1000)
        if url.startswith(("https://", "http://")):
            items.append(
                inbound.Media(ref=url, content_type=_field(data, f"MediaContentType{n}", 100))
            )
    return inbound.Inbound(
        channel=ConversationChannel.SMS,
        sender=_field(data, "From", 60),
        provider_id=_field(data, "MessageSid", 64) or _field(data, "SmsSid", 64),
        text=_field(data, "Body", 5000),
        media=items,
    )


def receive(data: Mapping[str, Any], *, now: datetime | None = None) -> inbound.Outcome:
    return inbound.receive(read_inbound(data), now=now)


def record_status(data: Mapping[str, Any]) -> bool:
    status = STATUSES.get(_field(data, "MessageStatus", 20).lower())
    if status is None:
        return False
    code = _field(data, "ErrorCode", 20)
    return outbound.record_status(
        channel=ConversationChannel.SMS,
        provider_id=_field(data, "MessageSid", 64),
        status=status,
        error=f"error {code}" if code else "",
    )


def deliver(message_id: int, *, now: datetime | None = None) -> None:
    """Send one text, once; a failure is recorded and raised for a retry."""
    record = outbound.pending(message_id)
    if record is None:
        return
    conversation = record.message.conversation
    with override(conversation.language):
        form = provider.message_form(to=record.number, text=outbound.render(record.message))
    try:
        provider_id = provider.send(form)
    except outbound.ProviderError as error:
        outbound.failed(record, error, channel_name="SMS")
        return
    outbound.sent(record, provider_id=provider_id, now=now or timezone.now())


def fetch_media(message_id: int, items: list[dict[str, Any]]) -> None:
    media.store_fetched(message_id, items, provider.fetch_media)
