"""Conversations: every change of state goes through these functions.

A conversation is owned by the assistant or by a person (`state`). Customer
messages are stored idempotently (`client_msg_id`), a handoff freezes the
context packet so the agent never asks again, and every step is written to
the journey log.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton.accounts.models import Availability, Role, User
from ponton.conversations.hours import availability
from ponton.conversations.models import (
    Author,
    Conversation,
    ConversationChannel,
    HandoffReason,
    Message,
    State,
)
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.journeys.services import record_event

CONTEXT_LOOKBACK = timedelta(hours=24)
PRESENCE_TIMEOUT = timedelta(minutes=2)
AVERAGE_HANDLING_MINUTES = 6
MAX_MESSAGE_LENGTH = 5000
# Signals that put a conversation at the front of the queue.
URGENT_REASONS = {
    HandoffReason.FRAUD_SECURITY,
    HandoffReason.CRITICAL_IMPACT,
    HandoffReason.SENSITIVE_SITUATION,
}
HIGH_REASONS = {HandoffReason.LEGAL, HandoffReason.EMOTION, HandoffReason.REPEAT_CONTACT}


def customer_or_none(user: Any) -> User | None:
    if getattr(user, "is_authenticated", False) and user.is_customer:
        return user
    return None


def record_conversation_event(conversation: Conversation, kind: str, **data: Any) -> None:
    """Log a step of a conversation in the customer's journey."""
    record_event(
        kind,
        visitor_id=conversation.visitor_id,
        customer=conversation.customer,
        channel=conversation.channel,
        language=conversation.language,
        data={"conversation": conversation.pk, **data},
    )


# Context packet ------------------------------------------------------------------


def context_packet(
    conversation: Conversation, *, reason: str, signals: list[dict[str, Any]]
) -> dict[str, Any]:
    """What the agent needs so the customer never repeats themselves: who they
    are, what they searched, read and tried, and the whole conversation."""
    since = timezone.now() - CONTEXT_LOOKBACK
    customer = conversation.customer
    if customer is not None:
        events: QuerySet[JourneyEvent] = JourneyEvent.objects.filter(
            customer=customer, occurred_at__gte=since
        )
    elif conversation.visitor_id:
        events = JourneyEvent.objects.filter(
            visitor_id=conversation.visitor_id, occurred_at__gte=since
        )
    else:
        events = JourneyEvent.objects.none()
    searches: list[dict[str, Any]] = []
    viewed: list[dict[str, Any]] = []
    feedback: list[dict[str, Any]] = []
    for event in events.order_by("occurred_at", "id"):
        at = event.occurred_at.isoformat()
        data = event.data
        if event.kind == EventKind.SEARCH:
            searches.append(
                {"query": data.get("query", ""), "results": data.get("results", 0), "at": at}
            )
        elif event.kind == EventKind.ARTICLE_VIEW:
            viewed.append(
                {"article": data.get("article"), "title": data.get("title", ""), "at": at}
            )
        elif event.kind == EventKind.ARTICLE_FEEDBACK:
            feedback.append(
                {"title": data.get("title", ""), "helpful": data.get("helpful"), "at": at}
            )
    transcript = [
        {"author": m.author, "text": m.text, "at": m.created_at.isoformat()}
        for m in conversation.messages.order_by("id")
    ]
    return {
        "reason": reason,
        "signals": signals,
        "transcript": transcript,
        "searches": searches,
        "articles_viewed": viewed,
        "feedback": feedback,
        "detected_need": conversation.detected_need,
        "articles_offered": conversation.offered_articles,
        "failed_attempts": conversation.failed_attempts,
        "customer": _customer_summary(customer, conversation),
    }


def _customer_summary(customer: User | None, conversation: Conversation) -> dict[str, Any]:
    if customer is None:
        return {
            "name": conversation.name,
            "email": conversation.email,
            "language": conversation.language,
        }
    summary: dict[str, Any] = {
        "id": customer.pk,
        "name": customer.get_full_name() or customer.username,
        "email": customer.email,
        "language": customer.language,
    }
    profile = getattr(customer, "profile", None)
    if profile is not None:
        summary.update(
            customer_number=profile.customer_number,
            plan=profile.plan,
            modules=profile.modules,
            segment=profile.segment,
            prefers_person=profile.prefers_person,
            preferred_channel=profile.preferred_channel,
            accessibility_needs=profile.accessibility_needs,
            referent_advisor=(
                profile.referent_advisor.get_full_name() or profile.referent_advisor.username
                if profile.referent_advisor
                else ""
            ),
        )
    return summary


# Staffing ------------------------------------------------------------------------


@dataclass(frozen=True)
class Staffing:
    """What we can honestly promise a customer waiting for a person."""

    open_now: bool
    next_opening: datetime
    agents_online: int
    waiting: int

    @property
    def expected_wait_minutes(self) -> int | None:
        if not self.agents_online:
            return None
        return max(1, math.ceil((self.waiting + 1) / self.agents_online * AVERAGE_HANDLING_MINUTES))


def staffing(now: datetime | None = None) -> Staffing:
    now = now or timezone.now()
    hours = availability(now)
    online = User.objects.filter(
        role__in=[Role.AGENT, Role.SUPERVISOR, Role.ADMIN],
        availability=Availability.ONLINE,
        last_seen_at__gte=now - PRESENCE_TIMEOUT,
    ).count()
    waiting = Conversation.objects.filter(state=State.WAITING_HUMAN).count()
    return Staffing(
        open_now=hours.open_now,
        next_opening=hours.next_opening,
        agents_online=online if hours.open_now else 0,
        waiting=waiting,
    )


def _handoff_notice(conversation: Conversation, now: Staffing) -> str:
    by_email = (
        _(" and by email at %(email)s") % {"email": conversation.email}
        if conversation.email
        else ""
    )
    if now.agents_online:
        return _(
            "I'm passing you to an advisor now (request #%(id)s). %(agents)s available, expected "
            "wait about %(minutes)s min. They see our whole conversation: no need to repeat yourself."
        ) % {
            "id": conversation.pk,
            "agents": _("1 advisor")
            if now.agents_online == 1
            else _("%(n)s advisors") % {"n": now.agents_online},
            "minutes": now.expected_wait_minutes,
        }
    if now.open_now:
        return _(
            "I've passed your request to our advisors (request #%(id)s), with our whole conversation. "
            "Nobody is free this very minute; during opening hours most requests are answered within "
            "two hours. The answer will appear here%(by_email)s."
        ) % {"id": conversation.pk, "by_email": by_email}
    when = formats.date_format(timezone.localtime(now.next_opening), "l j F, H:i")
    return _(
        "Our advisors are away until %(when)s. Your request #%(id)s is saved with our whole "
        "conversation: the first advisor in will answer here%(by_email)s."
    ) % {"when": when, "id": conversation.pk, "by_email": by_email}


# Messages ----------------------------------------------------------------------------


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("The message is empty.")})
    if len(text) > MAX_MESSAGE_LENGTH:
        raise ValidationError(
            {"text": _("Messages are limited to %(n)s characters.") % {"n": MAX_MESSAGE_LENGTH}}
        )
    return text


@transaction.atomic
def start_conversation(
    *,
    channel: str,
    language: str,
    customer: Any = None,
    visitor_id: str = "",
    name: str = "",
    email: str = "",
    state: str = State.ASSISTANT,
) -> Conversation:
    customer = customer_or_none(customer)
    return Conversation.objects.create(
        customer=customer,
        visitor_id=visitor_id,
        name=(name or (customer.get_full_name() if customer else ""))[:150],
        email=email or (customer.email if customer else ""),
        channel=channel,
        state=state,
        language=language if language in ("fr", "en") else "fr",
    )


def add_customer_message(
    conversation: Conversation, *, text: str, client_msg_id: str = ""
) -> tuple[Message, bool]:
    """Store what the customer sent, once: the same `client_msg_id` twice returns
    the first message and False."""
    text = _clean_text(text)
    client_msg_id = (client_msg_id or "")[:64]
    if client_msg_id:
        existing = conversation.messages.filter(client_msg_id=client_msg_id).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation,
                author=Author.CUSTOMER,
                author_user=conversation.customer,
                text=text,
                client_msg_id=client_msg_id,
            )
    except IntegrityError:  # the same id raced in from a retry
        return conversation.messages.get(client_msg_id=client_msg_id), False
    record_conversation_event(
        conversation, EventKind.MESSAGE, message=message.pk, author=Author.CUSTOMER
    )
    return message, True


def add_assistant_message(
    conversation: Conversation,
    *,
    text: str,
    articles: list[dict[str, Any]] | None = None,
    actions: list[dict[str, str]] | None = None,
    author: str = Author.ASSISTANT,
) -> Message:
    return Message.objects.create(
        conversation=conversation,
        author=author,
        text=text,
        articles=articles or [],
        actions=actions or [],
    )


def messages_after(conversation: Conversation, after: int | None) -> QuerySet[Message]:
    messages = conversation.messages.order_by("id")
    return messages.filter(id__gt=after) if after else messages


# Handoff and resolution --------------------------------------------------------------


def priority_for(reason: str) -> int:
    if reason in URGENT_REASONS:
        return 1
    if reason in HIGH_REASONS:
        return 2
    return 3


@transaction.atomic
def hand_off(
    conversation: Conversation,
    *,
    reason: str,
    signals: list[dict[str, Any]] | None = None,
    by: str = "assistant",
) -> Message:
    """Give the conversation to a person: queue it with its context packet and tell
    the customer honestly what happens next."""
    if reason not in HandoffReason.values:
        raise ValueError(f"Unknown handoff reason {reason!r}")
    signals = signals or []
    now = staffing()  # before this conversation joins the queue: nobody waits for themselves
    conversation.state = State.WAITING_HUMAN
    conversation.handoff_reason = reason
    conversation.priority = priority_for(reason)
    conversation.handed_off_at = timezone.now()
    conversation.context = context_packet(conversation, reason=reason, signals=signals)
    conversation.save()
    record_conversation_event(
        conversation,
        EventKind.HANDOFF,
        reason=reason,
        by=by,
        signals=[s.get("kind") for s in signals],
        person_requests=conversation.person_requests,
        failed_attempts=conversation.failed_attempts,
    )
    with override(conversation.language):
        notice = _handoff_notice(conversation, now)
    return add_assistant_message(conversation, text=notice, author=Author.SYSTEM)


@transaction.atomic
def mark_resolved(conversation: Conversation, *, article: int | None, how: str) -> None:
    """The customer says selfcare solved it (`how`: "confirmed" or an action's name)."""
    conversation.resolved_at = timezone.now()
    conversation.state = State.CLOSED
    conversation.save(update_fields=["resolved_at", "state", "updated_at"])
    record_conversation_event(conversation, EventKind.SELFCARE_RESOLVED, article=article, how=how)


# Contact form ------------------------------------------------------------------------


@dataclass
class ContactRequest:
    text: str
    name: str = ""
    email: str = ""
    language: str = "fr"
    visitor_id: str = ""
    customer: Any = None


@transaction.atomic
def request_contact(request: ContactRequest) -> Conversation:
    """A customer asks for a person through the contact form: queue it with its context."""
    errors = {}
    text = request.text.strip()
    if not text:
        errors["text"] = _("Tell us in a few words what you need.")
    customer = customer_or_none(request.customer)
    email = request.email.strip() or (customer.email if customer else "")
    if not email:
        errors["email"] = _("We need an email address to answer you.")
    if errors:
        raise ValidationError(errors)

    conversation = start_conversation(
        channel=ConversationChannel.WEB_FORM,
        language=request.language,
        customer=customer,
        visitor_id=request.visitor_id,
        name=request.name.strip(),
        email=email,
        state=State.WAITING_HUMAN,
    )
    add_customer_message(conversation, text=text)
    conversation.person_requests = 1
    record_event(
        EventKind.CONTACT_REQUEST,
        visitor_id=request.visitor_id,
        customer=customer,
        language=request.language,
        data={"conversation": conversation.pk, "channel": ConversationChannel.WEB_FORM},
    )
    hand_off(conversation, reason=HandoffReason.CUSTOMER_REQUEST, by="customer")
    transaction.on_commit(lambda: _acknowledge(conversation, text))
    return conversation


def _acknowledge(conversation: Conversation, text: str) -> None:
    with override(conversation.language):
        send_mail(
            subject=_("We received your request #%(id)s") % {"id": conversation.pk},
            message=_(
                "Hello,\n\nAn advisor has your request and everything you already read on the help "
                "center. You will get the answer at this address.\n\nYour request:\n%(text)s\n"
            )
            % {"text": text},
            from_email=None,
            recipient_list=[conversation.email],
            fail_silently=True,
        )


# Agents -------------------------------------------------------------------------------


def access_conversation(user: Any, conversation_id: int) -> Conversation:
    """The conversation an agent may work on, or 404 (the same for missing and out of scope)."""
    if not getattr(user, "is_authenticated", False) or not user.is_agent:
        raise Http404
    conversation = (
        Conversation.objects.select_related("customer").filter(pk=conversation_id).first()
    )
    if conversation is None:
        raise Http404
    return conversation


@transaction.atomic
def reply_as_agent(conversation: Conversation, *, agent: Any, text: str) -> Message:
    """A person answers: the conversation is theirs from now on, and the assistant stays silent."""
    text = _clean_text(text)
    locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if locked.state != State.WITH_HUMAN:
        locked.state = State.WITH_HUMAN
        locked.save(update_fields=["state", "updated_at"])
    message = Message.objects.create(
        conversation=locked, author=Author.AGENT, author_user=agent, text=text
    )
    record_conversation_event(locked, EventKind.MESSAGE, message=message.pk, author=Author.AGENT)
    conversation.state = locked.state
    return message
