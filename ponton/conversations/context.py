"""The context packet: what an agent reads first so the customer never repeats themselves."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from ponton.accounts.models import User
from ponton.conversations.memory import recall
from ponton.conversations.models import Conversation
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.knowledge.models import Feedback

# How far back the customer's searches and reads are gathered.
CONTEXT_LOOKBACK = timedelta(hours=24)


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
        given: QuerySet[Feedback] = Feedback.objects.filter(
            customer=customer, created_at__gte=since
        )
    elif conversation.visitor_id:
        events = JourneyEvent.objects.filter(
            visitor_id=conversation.visitor_id, occurred_at__gte=since
        )
        given = Feedback.objects.filter(visitor_id=conversation.visitor_id, created_at__gte=since)
    else:
        events = JourneyEvent.objects.none()
        given = Feedback.objects.none()
    searches: list[dict[str, Any]] = []
    viewed: list[dict[str, Any]] = []
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
    # From the answers themselves, not their journey events: "what was missing?" may be
    # written after the vote, and it is in the customer's words.
    feedback = [
        {
            "article": f.translation.article_id,
            "title": f.translation.title,
            "helpful": f.helpful,
            "comment": f.comment,
            "at": f.created_at.isoformat(),
        }
        for f in given.select_related("translation").order_by("created_at", "id")
    ]
    memory = recall(conversation)
    transcript = [
        {"author": m.author, "text": m.text, "at": m.created_at.isoformat()}
        for m in conversation.messages.filter(internal=False).order_by("id")
    ]
    return {
        "reason": reason,
        "signals": signals,
        "transcript": transcript,
        "searches": searches,
        "articles_viewed": viewed,
        "feedback": feedback,
        "detected_need": memory.detected_need,
        "articles_offered": memory.offered_articles,
        "failed_attempts": memory.failed_attempts,
        "customer": _customer_summary(customer, conversation),
        # Where the chat was opened on the company's own site: the page, the product module.
        "page": conversation_page(conversation),
    }


def conversation_page(conversation: Conversation) -> dict[str, Any] | None:
    """The last page of the company's site the chat widget reported for this conversation
    (`url`, `module`, `attributes`), None when it was opened elsewhere."""
    event = (
        JourneyEvent.objects.filter(
            kind=EventKind.PAGE_VIEW,
            occurred_at__gte=conversation.created_at,
            data__page="widget",
            data__conversation=conversation.pk,
        )
        .order_by("-occurred_at", "-id")
        .values_list("data", flat=True)
        .first()
    )
    if event is None:
        return None
    return {
        "url": event.get("url", ""),
        "module": event.get("module", ""),
        "attributes": event.get("attributes", {}),
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
            phone=profile.phone,
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
