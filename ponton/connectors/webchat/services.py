"""The web chat channel: a customer message or choice in, the assistant's turn out."""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils.translation import override

from ponton.accounts.models import Role, User
from ponton.assistant import policy
from ponton.conversations import lifecycle
from ponton.conversations.context import conversation_page
from ponton.conversations.models import (
    Conversation,
    ConversationChannel,
    Message,
)
from ponton.journeys.models import EventKind
from ponton.journeys.services import record_event

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Page:
    """Where the widget was opened on the host's site: shown to the agent in the context
    packet, kept in the journey, and the module's articles offered first."""

    url: str = ""
    module: str = ""
    attributes: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.url or self.module or self.attributes)


def identity_digest(customer_id: str, secret: str) -> str:
    """What the host site computes on its server: hex HMAC-SHA256 of the customer's id."""
    return hmac.new(secret.encode(), customer_id.encode(), hashlib.sha256).hexdigest()


def identified_customer(customer_id: str, digest: str) -> User | None:
    """The customer whose number the host site signed, when the signature is right.

    Without a configured secret, with a wrong digest, or when the number matches no single
    active customer, the chat stays anonymous: nothing of anyone's record is joined to it."""
    secret = str(settings.PONTON_WIDGET_IDENTITY_SECRET)
    if not secret or not customer_id or not digest:
        return None
    expected = identity_digest(customer_id, secret)
    if not hmac.compare_digest(expected.encode(), digest.strip().lower().encode()):
        logger.warning("Widget identity refused: the hash does not match the customer id")
        return None
    found = list(
        User.objects.select_related("profile").filter(
            role=Role.CUSTOMER, is_active=True, profile__customer_number=customer_id
        )[:2]
    )
    return found[0] if len(found) == 1 else None


def note_page(conversation: Conversation, page: Page) -> None:
    """Keep where the customer is in the journey, once per change of page."""
    if not page:
        return
    seen = conversation_page(conversation)
    if seen is not None and seen == asdict(page):
        return
    record_event(
        EventKind.PAGE_VIEW,
        visitor_id=conversation.visitor_id,
        customer=conversation.customer,
        language=conversation.language,
        data={"page": "widget", "conversation": conversation.pk, **asdict(page)},
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
    page: Page | None = None,
) -> Conversation:
    """Open a chat with its first message and the assistant's answer; a retried request
    (same visitor or customer, same `client_msg_id`) returns the conversation it already
    opened. The page it was opened from is noted before the assistant reads the message."""
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
            note_page(opened.conversation, page or Page())
            policy.on_customer_message(opened.conversation, opened.message)
    return opened.conversation


def receive_text(
    conversation: Conversation, *, text: str, client_msg_id: str = "", page: Page | None = None
) -> Message:
    """Store a customer message (once) and let the assistant answer if it owns the conversation."""
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        message, created = lifecycle.customer_message(
            locked, text=text, client_msg_id=client_msg_id
        )
        if created:
            note_page(locked, page or Page())
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


def receive_action(
    conversation: Conversation, *, action: str, client_msg_id: str = "", page: Page | None = None
) -> Message:
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
            note_page(locked, page or Page())
            policy.on_action(locked, action)
    conversation.state = locked.state
    return message
