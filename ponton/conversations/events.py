"""A conversation's steps in the customer's journey: the one place that writes them."""

from __future__ import annotations

from typing import Any

from ponton.conversations.models import Conversation
from ponton.journeys.services import record_event


def record_conversation_event(conversation: Conversation, kind: str, **data: Any) -> None:
    """Log a step of a conversation in the customer's journey, on its channel."""
    record_event(
        kind,
        visitor_id=conversation.visitor_id,
        customer=conversation.customer,
        channel=conversation.channel,
        language=conversation.language,
        data={"conversation": conversation.pk, **data},
    )
