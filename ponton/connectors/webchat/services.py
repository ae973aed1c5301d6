"""The web chat channel: a customer message or choice in, the assistant's turn out."""

from __future__ import annotations

import hmac
from typing import Any

from django.db import transaction
from django.http import Http404
from django.utils.translation import override

from ponton.assistant import policy
from ponton.conversations import lifecycle
from ponton.conversations.models import (
    Conversation,
    ConversationChannel,
    Message,
)


def access_chat(conversation_id: int, token: str) -> Conversation:
    """The conversation if the token is its own; the same 404 for a wrong token and a missing one."""
    # The context packet is for agents; the customer's requests never need it.
    try:
        conversation = Conversation.objects.defer("context").get(
            pk=conversation_id, channel=ConversationChannel.CHAT
        )
    except Conversation.DoesNotExist:
        raise Http404 from None
    if not token or not hmac.compare_digest(conversation.token.encode(), token.encode()):
        raise Http404
    return conversation


class ChoiceNotOffered(ValueError):
    pass


def start(
    *,
    text: str,
    language: str,
    user: Any,
    visitor_id: str,
    name: str = "",
    email: str = "",
    client_msg_id: str = "",
) -> Conversation:
    """Open a chat with its first message and the assistant's answer; a retried request
    (same visitor or customer, same `client_msg_id`) returns the conversation it already
    opened."""
    with transaction.atomic():
        opened = lifecycle.open_conversation(
            channel=ConversationChannel.CHAT,
            first_message=text,
            language=language,
            customer=user,
            visitor_id=visitor_id,
            name=name,
            email=email,
            client_msg_id=client_msg_id,
        )
        if opened.created:
            policy.on_customer_message(opened.conversation, opened.message)
    return opened.conversation


def receive_text(conversation: Conversation, *, text: str, client_msg_id: str = "") -> Message:
    """Store a customer message (once) and let the assistant answer if it owns the conversation."""
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        message, created = lifecycle.customer_message(
            locked, text=text, client_msg_id=client_msg_id
        )
        if created:
            policy.on_customer_message(locked, message)
    conversation.state = locked.state
    return message


def _offered(conversation: Conversation, action: str) -> dict[str, str] | None:
    for actions in (
        conversation.messages.exclude(actions=[]).order_by("-id").values_list("actions", flat=True)
    ):
        for offered in actions:
            # A link (the survey) is opened by the customer, never sent back as a choice.
            if offered.get("id") == action and "url" not in offered:
                return offered
    return None


def receive_action(conversation: Conversation, *, action: str, client_msg_id: str = "") -> Message:
    """The customer picked an offered choice; it is kept in the transcript as their words."""
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        offered = _offered(locked, action)
        if offered is None and action != policy.HUMAN:
            raise ChoiceNotOffered(action)
        with override(locked.language):
            words = policy.choice_in_words(action, offered["label"] if offered else "")
        message, created = lifecycle.customer_message(
            locked, text=words, client_msg_id=client_msg_id, choice=action
        )
        if created:
            policy.on_action(locked, action)
    conversation.state = locked.state
    return message
