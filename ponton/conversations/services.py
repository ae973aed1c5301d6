"""Conversations: the customer's way to a person and the context that goes with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

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


@dataclass
class ContactRequest:
    text: str
    name: str = ""
    email: str = ""
    language: str = "fr"
    visitor_id: str = ""
    customer: Any = None


def context_packet(
    *, visitor_id: str, customer: Any, reason: str, signals: list[dict[str, Any]]
) -> dict[str, Any]:
    """What the agent needs so the customer never repeats themselves: who they
    are, what they searched, read and tried in the last day."""
    since = timezone.now() - CONTEXT_LOOKBACK
    if customer is not None:
        events = JourneyEvent.objects.filter(customer=customer, occurred_at__gte=since)
    else:
        events = JourneyEvent.objects.filter(visitor_id=visitor_id, occurred_at__gte=since)
    searches: list[dict[str, Any]] = []
    viewed: list[dict[str, Any]] = []
    feedback: list[dict[str, Any]] = []
    for event in events.order_by("occurred_at", "id") if (customer or visitor_id) else []:
        at = event.occurred_at.isoformat()
        if event.kind == EventKind.SEARCH:
            searches.append(
                {
                    "query": event.data.get("query", ""),
                    "results": event.data.get("results", 0),
                    "at": at,
                }
            )
        elif event.kind == EventKind.ARTICLE_VIEW:
            viewed.append(
                {
                    "article": event.data.get("article"),
                    "title": event.data.get("title", ""),
                    "at": at,
                }
            )
        elif event.kind == EventKind.ARTICLE_FEEDBACK:
            feedback.append(
                {
                    "title": event.data.get("title", ""),
                    "helpful": event.data.get("helpful"),
                    "at": at,
                }
            )
    return {
        "reason": reason,
        "signals": signals,
        "transcript": [],
        "searches": searches,
        "articles_viewed": viewed,
        "feedback": feedback,
        "customer": _customer_summary(customer),
    }


def _customer_summary(customer: Any) -> dict[str, Any]:
    if customer is None:
        return {}
    profile = getattr(customer, "profile", None)
    summary: dict[str, Any] = {
        "id": customer.pk,
        "name": customer.get_full_name() or customer.username,
        "email": customer.email,
        "language": customer.language,
    }
    if profile is not None:
        summary.update(
            plan=profile.plan,
            modules=profile.modules,
            segment=profile.segment,
            prefers_person=profile.prefers_person,
            preferred_channel=profile.preferred_channel,
            accessibility_needs=profile.accessibility_needs,
            referent_advisor=(
                profile.referent_advisor.get_full_name() if profile.referent_advisor else ""
            ),
        )
    return summary


@transaction.atomic
def request_contact(request: ContactRequest) -> Conversation:
    """A customer asks for a person through the contact form: queue it with its context."""
    text = request.text.strip()
    errors = {}
    if not text:
        errors["text"] = _("Tell us in a few words what you need.")
    customer = request.customer if getattr(request.customer, "is_authenticated", False) else None
    email = request.email.strip() or (customer.email if customer else "")
    if not email:
        errors["email"] = _("We need an email address to answer you.")
    if errors:
        raise ValidationError(errors)

    conversation = Conversation.objects.create(
        customer=customer,
        visitor_id=request.visitor_id,
        name=request.name.strip() or (customer.get_full_name() if customer else ""),
        email=email,
        channel=ConversationChannel.WEB_FORM,
        state=State.WAITING_HUMAN,
        language=request.language,
        handoff_reason=HandoffReason.CUSTOMER_REQUEST,
        context=context_packet(
            visitor_id=request.visitor_id,
            customer=customer,
            reason=HandoffReason.CUSTOMER_REQUEST,
            signals=[],
        ),
    )
    Message.objects.create(
        conversation=conversation, author=Author.CUSTOMER, author_user=customer, text=text
    )
    record_event(
        EventKind.CONTACT_REQUEST,
        visitor_id=request.visitor_id,
        customer=customer,
        language=request.language,
        data={"conversation": conversation.pk, "channel": ConversationChannel.WEB_FORM},
    )
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
