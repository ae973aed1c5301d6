"""The WhatsApp channel: Meta's webhook in, replies out within the rules of WhatsApp.

The 24-hour customer-service window: a business may write freely to a customer for 24
hours after the customer's last message; after that, only an approved template. A reply
written after the window closed is held, the customer is sent the configured template
(PONTON_WHATSAPP_TEMPLATE, inviting them to write), and what was held goes out as soon as
they do. Without a template such a reply is not sent, and the agents are told so."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton.connectors.messaging import inbound, media, outbound
from ponton.connectors.messaging.models import Delivery, Direction, MessagingRecord
from ponton.connectors.whatsapp import graph, payloads
from ponton.conversations.models import Author, Conversation, ConversationChannel, Message

WINDOW = timedelta(hours=24)


def receive_payload(payload: Any, *, now: datetime | None = None) -> list[inbound.Outcome]:
    """Store every message of one webhook delivery and record every status it carries."""
    outcomes = [inbound.receive(m, now=now) for m in payloads.messages(payload)]
    for status in payloads.statuses(payload):
        outbound.record_status(
            channel=ConversationChannel.WHATSAPP,
            provider_id=status.provider_id,
            status=status.status,
            at=status.at,
            error=status.error,
        )
    return outcomes


def window_closes_at(conversation: Conversation) -> datetime | None:
    """When the customer-service window closes (None: the customer never wrote here)."""
    last = (
        Message.objects.filter(
            conversation=conversation,
            author=Author.CUSTOMER,
            channel=ConversationChannel.WHATSAPP,
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return last + WINDOW if last else None


def window_open(conversation: Conversation, *, at: datetime) -> bool:
    closes = window_closes_at(conversation)
    return closes is not None and at < closes


def deliver(message_id: int, *, now: datetime | None = None) -> None:
    """Send one message to the customer's WhatsApp, once; a failure is recorded and raised
    for a retry until the last try."""
    record = outbound.pending(message_id)
    if record is None:
        return
    now = now or timezone.now()
    message = record.message
    conversation = message.conversation
    if not window_open(conversation, at=now):
        _outside_window(record, conversation, now)
        return
    with override(conversation.language):
        body = graph.text_body(to=record.number, text=outbound.render(message))
    try:
        provider_id = graph.send(body)
    except outbound.ProviderError as error:
        outbound.failed(record, error, channel_name="WhatsApp")
        return
    outbound.sent(record, provider_id=provider_id, now=now)


def _invited(conversation: Conversation) -> bool:
    """The template already went out since the customer last wrote (held messages are
    released when they do)."""
    return (
        MessagingRecord.objects.filter(
            message__conversation=conversation,
            direction=Direction.OUTBOUND,
            delivery=Delivery.HELD,
        )
        .exclude(template="")
        .exists()
    )


def _outside_window(record: MessagingRecord, conversation: Conversation, now: datetime) -> None:
    template = settings.PONTON_WHATSAPP_TEMPLATE
    if not template:
        MessagingRecord.objects.filter(pk=record.pk).update(
            delivery=Delivery.FAILED,
            last_error="outside the 24-hour window and no approved template configured",
        )
        outbound.tell_agents(
            conversation,
            lambda: _(
                "Not sent by WhatsApp: the customer last wrote more than 24 hours ago, and "
                "WhatsApp then only allows an approved template (none is configured). "
                "Reach the customer another way."
            ),
        )
        return
    if _invited(conversation):
        MessagingRecord.objects.filter(pk=record.pk).update(delivery=Delivery.HELD)
        return
    body = graph.template_body(
        to=record.number,
        name=template,
        language=conversation.language,
        parameters=[str(conversation.pk)],
    )
    try:
        provider_id = graph.send(body)
    except outbound.ProviderError as error:
        outbound.failed(record, error, channel_name="WhatsApp")
        return
    outbound.sent(record, provider_id=provider_id, now=now, template=template)
    outbound.tell_agents(
        conversation,
        lambda: (
            _(
                "The customer last wrote more than 24 hours ago: WhatsApp only allows an approved "
                "template now. They were sent “%(template)s”, inviting them to write; your message "
                "goes out as soon as they do."
            )
            % {"template": template}
        ),
    )


def fetch_media(message_id: int, items: list[dict[str, Any]]) -> None:
    media.store_fetched(message_id, items, graph.fetch_media)


def window_notice(conversation: Conversation, *, at: datetime) -> dict[str, Any] | None:
    """What the agent sees above the reply box of a WhatsApp conversation."""
    if conversation.channel != ConversationChannel.WHATSAPP:
        return None
    closes = window_closes_at(conversation)
    return {
        "open": closes is not None and at < closes,
        "closes_at": closes,
        "template": settings.PONTON_WHATSAPP_TEMPLATE,
    }
