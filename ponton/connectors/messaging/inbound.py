"""A text from a phone (WhatsApp, SMS) becomes a customer message on a conversation.

Both channels call `receive` with what their webhook carried. The customer is recognised
by their number; a conversation of theirs on the same channel continues (a closed one
reopens for a week), else a new one opens. The assistant answers as on the chat, and the
way to a person is one word: "0", "CONSEILLER" or "AGENT" hands off at once. A provider
that retries a webhook stores nothing twice (its message id is unique).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import phonenumbers
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ponton import phones
from ponton.assistant import policy
from ponton.connectors.messaging.models import Delivery, Direction, MessagingRecord
from ponton.connectors.voice.numbers import customer_for
from ponton.connectors.webchat import services as chat
from ponton.conversations import lifecycle
from ponton.conversations.models import Conversation, Message, State
from ponton.tasks.services import enqueue

# A closed conversation continues when the customer writes within this delay; after it, a
# new need opens a new request.
CONTINUE_CLOSED_FOR = timedelta(days=7)
# What a customer types on a phone to reach a person (any case, accents and punctuation).
PERSON_WORDS = frozenset({"0", "CONSEILLER", "AGENT", "HUMAIN", "HUMAN"})
_NUMBER_NAMESPACE = uuid.UUID("0b5d3f7e-6a43-4f0e-9a55-2f4c1f0d8e21")
_FRENCH_REGIONS = frozenset(
    {"FR", "BE", "CH", "LU", "MC", "RE", "GP", "MQ", "GF", "YT", "PM", "NC", "PF", "WF", "BL", "MF"}
)
_FRENCH_WORDS = frozenset(
    [
        "bonjour",
        "je",
        "j",
        "ai",
        "vous",
        "mon",
        "ma",
        "mes",
        "est",
        "pas",
        "une",
        "le",
        "la",
        "les",
        "des",
        "merci",
        "comment",
        "pourquoi",
    ]
)
_ENGLISH_WORDS = frozenset(
    [
        "hello",
        "hi",
        "my",
        "is",
        "the",
        "not",
        "a",
        "an",
        "how",
        "why",
        "thanks",
        "please",
        "can",
        "i",
    ]
)


@dataclass(frozen=True)
class Media:
    """A file the provider holds: fetched by the channel's task, then checked and stored."""

    ref: str  # the provider's media id or URL
    name: str = ""
    content_type: str = ""


@dataclass(frozen=True)
class Inbound:
    channel: str
    sender: str  # as the provider sends it
    provider_id: str
    text: str = ""
    name: str = ""  # the profile name WhatsApp gives
    choice: str = ""  # an interactive reply's id (one of our offered choices)
    media: list[Media] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    status: str  # created | appended | duplicate | ignored
    conversation: int | None = None
    message: int | None = None
    reason: str = ""


def folded(text: str) -> str:
    """ "Conseiller !" -> "CONSEILLER"."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z0-9]", "", plain.upper())


def wants_person(text: str) -> bool:
    return folded(text) in PERSON_WORDS


def number_visitor_id(channel: str, number: str) -> str:
    """An unknown number's journey is one visitor's, from one request to the next."""
    return str(uuid.uuid5(_NUMBER_NAMESPACE, f"{channel}:{number}"))


def guess_language(text: str, number: str) -> str:
    """French or English: the words when they tell, else where the number is from."""
    words = re.findall(r"[a-zàâçéèêëîïôûùüÿœ]+", text.lower())
    french = sum(word in _FRENCH_WORDS for word in words)
    english = sum(word in _ENGLISH_WORDS for word in words)
    if french != english:
        return "fr" if french > english else "en"
    parsed = phones.parse(number)
    if parsed is not None and phonenumbers.region_code_for_number(parsed) not in _FRENCH_REGIONS:
        return "en"
    return "fr"


def _text(inbound: Inbound) -> str:
    text = inbound.text.strip()
    if not text and inbound.media:
        names = ", ".join(m.name or m.content_type or _("file") for m in inbound.media)
        text = _("Files sent: %(names)s") % {"names": names}
    if len(text) > lifecycle.MAX_MESSAGE_LENGTH:
        text = text[: lifecycle.MAX_MESSAGE_LENGTH - 1] + "…"
    return text


def _ongoing(channel: str, number: str, now: datetime) -> Conversation | None:
    conversation = (
        Conversation.objects.select_for_update()
        .filter(channel=channel, phone=number, merged_into__isnull=True)
        .order_by("-updated_at", "-pk")
        .first()
    )
    if conversation is None:
        return None
    if conversation.state == State.CLOSED and (conversation.updated_at < now - CONTINUE_CLOSED_FOR):
        return None
    return conversation


def receive(inbound: Inbound, *, now: datetime | None = None) -> Outcome:
    """Store one received message, once, and let the assistant (or the person who has it)
    take it from there."""
    now = now or timezone.now()
    number = phones.e164(inbound.sender)
    if not number or not inbound.provider_id:
        return Outcome("ignored", reason="no sender number or no message id")
    if MessagingRecord.objects.filter(
        channel=inbound.channel, provider_id=inbound.provider_id
    ).exists():
        return _duplicate(inbound)
    if not (inbound.text.strip() or inbound.media or inbound.choice):
        return Outcome("ignored", reason="nothing we can read (an unsupported message type)")
    try:
        with transaction.atomic():
            return _store(inbound, number, now)
    except IntegrityError:
        # The same webhook, delivered twice at once: the other copy stored it.
        return _duplicate(inbound)


def _duplicate(inbound: Inbound) -> Outcome:
    record = MessagingRecord.objects.select_related("message").get(
        channel=inbound.channel, provider_id=inbound.provider_id
    )
    return Outcome("duplicate", record.message.conversation_id, record.message_id)


def _store(inbound: Inbound, number: str, now: datetime) -> Outcome:
    text = _text(inbound)
    conversation = _ongoing(inbound.channel, number, now)
    if conversation is None:
        customer = customer_for(number)
        language = (customer.language if customer else "") or guess_language(text, number)
        person = wants_person(text) or inbound.choice == policy.HUMAN
        opened = lifecycle.open_conversation(
            channel=inbound.channel,
            first_message=text,
            language=language,
            customer=customer,
            visitor_id="" if customer else number_visitor_id(inbound.channel, number),
            name=inbound.name,
            phone=number,
            wants_person=person,
        )
        conversation, message, status = opened.conversation, opened.message, "created"
        if not person:
            policy.on_customer_message(conversation, message)
    else:
        message = _continue(conversation, inbound, text)
        status = "appended"
    _keep(message, inbound, number)
    release_held(conversation)
    return Outcome(status, conversation.pk, message.pk)


def _continue(conversation: Conversation, inbound: Inbound, text: str) -> Message:
    # Choices answer the assistant; once a person has it, "1" is just what the customer wrote.
    choice = ""
    if conversation.state == State.ASSISTANT:
        choice = inbound.choice or _numbered_choice(conversation, text)
    if choice == "" and wants_person(text):
        choice = policy.HUMAN
    if choice:
        try:
            return chat.receive_action(conversation, action=choice)
        except chat.ChoiceNotOffered:
            pass  # an old button, or a number that is no choice: read it as words
    return chat.receive_text(conversation, text=text)


def _numbered_choice(conversation: Conversation, text: str) -> str:
    """ "2" picks the second choice the assistant's last message offered (see `outbound`)."""
    word = folded(text)
    if not word.isdigit() or word == "0":
        return ""
    last = (
        conversation.messages.filter(author="assistant")
        .exclude(actions=[])
        .order_by("-id")
        .values_list("actions", flat=True)
        .first()
    )
    choices = numbered(last or [])
    index = int(word) - 1
    return choices[index]["id"] if 0 <= index < len(choices) else ""


def numbered(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The choices a phone customer answers with a number (the person is always 0)."""
    return [a for a in actions if a.get("id") != policy.HUMAN and "url" not in a]


def _keep(message: Message, inbound: Inbound, number: str) -> None:
    MessagingRecord.objects.create(
        message=message,
        channel=inbound.channel,
        direction=Direction.INBOUND,
        provider_id=inbound.provider_id[:128],
        number=number,
        delivery=Delivery.RECEIVED,
    )
    if inbound.media:
        items = [
            {"ref": m.ref, "name": m.name, "content_type": m.content_type} for m in inbound.media
        ]
        transaction.on_commit(
            lambda: enqueue(
                f"{inbound.channel}.fetch_media",
                message_id=message.pk,
                media=items,
                dedupe_key=f"{inbound.channel}-media:{message.pk}",
            )
        )


def release_held(conversation: Conversation) -> None:
    """The customer wrote: what waited for them (outside WhatsApp's window) goes out now."""
    held = list(
        MessagingRecord.objects.filter(
            message__conversation=conversation,
            direction=Direction.OUTBOUND,
            delivery=Delivery.HELD,
        ).values_list("message_id", "channel")
    )
    if not held:
        return
    MessagingRecord.objects.filter(message_id__in=[m for m, _c in held]).update(
        delivery=Delivery.QUEUED
    )
    for message_id, channel in held:
        transaction.on_commit(_send_later(channel, message_id))


def _send_later(channel: str, message_id: int) -> Callable[[], object]:
    return lambda: enqueue(
        f"{channel}.send", message_id=message_id, dedupe_key=f"{channel}-send:{message_id}:released"
    )
