"""Messages out to a phone (WhatsApp, SMS), through the durable task queue.

Every message customers read on these channels goes out: the assistant's answers (with
the way to a person, written for a phone), the system's notices and the agents' replies,
whichever service wrote them. Each gets a record when it is written, in the same
transaction; the channel's task sends it once (retried with backoff) and the provider's
status callbacks move it forward: sent, delivered, read, or failed with the reason, which
agents see in the conversation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton.connectors.messaging.inbound import numbered
from ponton.connectors.messaging.models import PROGRESS, Delivery, Direction, MessagingRecord
from ponton.conversations import lifecycle, realtime
from ponton.conversations.models import Author, Conversation, ConversationChannel, Message
from ponton.tasks.services import enqueue

logger = logging.getLogger(__name__)

CHANNELS = (ConversationChannel.WHATSAPP, ConversationChannel.SMS)
# Tries of one message: the task queue's backoff doubles from 10 s (10 s, 20 s, ... 43 min),
# about 85 minutes from the first try to the last.
MAX_ATTEMPTS = 10
DONE = (Delivery.SENT, Delivery.DELIVERED, Delivery.READ, Delivery.FAILED, Delivery.HELD)


class ProviderError(Exception):
    """The provider refused the message or could not be reached. `final`: trying again
    cannot help (a number that does not exist, a message outside the rules)."""

    def __init__(self, message: str, *, final: bool = False) -> None:
        super().__init__(message)
        self.final = final


def _absolute(url: str) -> str:
    return settings.SITE_URL.rstrip("/") + url if url.startswith("/") else url


def person_footer() -> str:
    return _("Reply 0 or AGENT to talk to a person")


def render(message: Message) -> str:
    """The message as a phone shows it: the text, the articles' links, the choices by
    number, and after every assistant turn the way to a person."""
    parts = [message.text]
    if message.author == Author.AGENT and message.author_user is not None:
        who = message.author_user.first_name or message.author_user.get_username()
        parts[0] = f"{who} ({settings.PONTON_SUPPORT_NAME}) : {message.text}"
    for card in message.articles or []:
        parts.append(f"{card.get('title', '')}\n{_absolute(str(card.get('url', '')))}")
    choices = numbered(message.actions or [])
    if choices:
        parts.append(
            "\n".join(f"{n}. {choice['label']}" for n, choice in enumerate(choices, start=1))
        )
    for link in message.actions or []:
        if "url" in link:
            parts.append(f"{link['label']} : {_absolute(str(link['url']))}")
    if message.author == Author.ASSISTANT:
        parts.append(person_footer())
    return "\n\n".join(p for p in parts if p)


def on_message_saved(sender: Any, instance: Message, created: bool, **kwargs: Any) -> None:
    """Give every message the customer should read on a phone channel its record and its
    send task (connected in the app's `ready`)."""
    if not created or instance.internal or instance.author == Author.CUSTOMER:
        return
    if instance.channel not in CHANNELS:
        return
    number = (
        Conversation.objects.filter(pk=instance.conversation_id)
        .values_list("phone", flat=True)
        .first()
    )
    if not number:
        return
    MessagingRecord.objects.create(
        message=instance,
        channel=instance.channel,
        direction=Direction.OUTBOUND,
        number=number,
        delivery=Delivery.QUEUED,
    )
    transaction.on_commit(
        lambda: enqueue(
            f"{instance.channel}.send",
            message_id=instance.pk,
            dedupe_key=f"{instance.channel}-send:{instance.pk}",
        )
    )


def pending(message_id: int) -> MessagingRecord | None:
    """The outbound record still to send, or None (sent already, held, gone)."""
    record = (
        MessagingRecord.objects.select_related("message__conversation", "message__author_user")
        .filter(message_id=message_id, direction=Direction.OUTBOUND)
        .first()
    )
    if record is None or record.delivery in DONE:
        return None
    return record


def tell_agents(conversation: Conversation, text: Callable[[], str]) -> None:
    """A note in the conversation, written in its language."""
    with override(conversation.language), transaction.atomic():
        lifecycle.system_note(conversation, text())
    realtime.announce(conversation, "delivery")


def sent(record: MessagingRecord, *, provider_id: str, now: datetime, template: str = "") -> None:
    MessagingRecord.objects.filter(pk=record.pk).update(
        provider_id=provider_id[:128],
        attempts=record.attempts + 1,
        delivery=Delivery.HELD if template else Delivery.SENT,
        template=template,
        sent_at=now,
        last_error="",
    )
    realtime.announce(record.message.conversation, "delivery")


def failed(record: MessagingRecord, error: ProviderError, *, channel_name: str) -> None:
    """Record a failed try; raise it again for a retry, unless it was the last one (then
    the agents are told, and the task ends)."""
    attempts = record.attempts + 1
    final = error.final or attempts >= MAX_ATTEMPTS
    MessagingRecord.objects.filter(pk=record.pk).update(
        attempts=attempts,
        delivery=Delivery.FAILED if final else Delivery.RETRYING,
        last_error=str(error)[:2000],
    )
    conversation = record.message.conversation
    if not final:
        realtime.announce(conversation, "delivery")
        raise error
    logger.error("%s message %s failed for good: %s", channel_name, record.message_id, error)
    tell_agents(
        conversation,
        lambda: (
            _(
                "The %(channel)s message to %(number)s could not be sent (%(error)s). "
                "Reach the customer another way."
            )
            % {"channel": channel_name, "number": record.number, "error": error}
        ),
    )


# Status callbacks ------------------------------------------------------------------------


def record_status(
    *, channel: str, provider_id: str, status: str, at: datetime | None = None, error: str = ""
) -> bool:
    """A provider says how far a message got; False when it names none of ours. Statuses
    only move forward; a failure after sending is told to the agents."""
    at = at or timezone.now()
    with transaction.atomic():
        record = (
            MessagingRecord.objects.select_for_update()
            .select_related("message__conversation")
            .filter(channel=channel, provider_id=provider_id, direction=Direction.OUTBOUND)
            .first()
        )
        if record is None:
            return False
        if status == Delivery.FAILED:
            if record.delivery == Delivery.FAILED:
                return True
            record.delivery, record.last_error = Delivery.FAILED, error[:2000]
            record.save(update_fields=["delivery", "last_error", "updated_at"])
            tell_agents(
                record.message.conversation,
                lambda: (
                    _(
                        "The customer did not receive this message (%(error)s): “%(text)s”. "
                        "Reach them another way."
                    )
                    % {"error": error or _("no reason given"), "text": record.message.text[:80]}
                ),
            )
            return True
        rank = PROGRESS.get(Delivery(status), 0) if status in Delivery.values else 0
        if not rank:
            return True
        fields: list[str] = []
        if record.delivery == Delivery.HELD:
            # The invitation (template) went out or was read: the message itself still waits.
            return True
        if PROGRESS.get(Delivery(record.delivery), 0) < rank:
            record.delivery = status
            fields.append("delivery")
        stamp = {
            Delivery.SENT: "sent_at",
            Delivery.DELIVERED: "delivered_at",
            Delivery.READ: "read_at",
        }[Delivery(status)]
        if getattr(record, stamp) is None:
            setattr(record, stamp, at)
            fields.append(stamp)
        if fields:
            record.save(update_fields=[*fields, "updated_at"])
    realtime.announce(record.message.conversation, "delivery")
    return True
