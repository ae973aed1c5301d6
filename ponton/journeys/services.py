"""Writing to and reading from the journey log."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from ponton.journeys.models import EventKind, JourneyEvent

SESSION_GAP = timedelta(minutes=30)


def record_event(
    kind: EventKind | str,
    *,
    visitor_id: str = "",
    customer: Any = None,
    channel: str = "web",
    language: str = "",
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> JourneyEvent:
    """Append one event, continuing the visitor's session or starting a new one."""
    if customer is not None and not getattr(customer, "is_authenticated", False):
        customer = None
    if customer is not None and not customer.is_customer:
        customer = None  # staff browsing the help center are not customers
    occurred_at = occurred_at or timezone.now()
    return JourneyEvent.objects.create(
        occurred_at=occurred_at,
        kind=str(kind),
        session_id=_session_for(
            visitor_id, customer, occurred_at, (data or {}).get("conversation")
        ),
        visitor_id=visitor_id,
        customer=customer,
        channel=channel,
        language=language,
        data=data or {},
    )


def record_request_event(
    request: HttpRequest, kind: EventKind | str, data: dict[str, Any] | None = None
) -> JourneyEvent:
    """Record an event for the visitor behind a web request."""
    return record_event(
        kind,
        visitor_id=getattr(request, "visitor_id", ""),
        customer=request.user,
        language=getattr(request, "LANGUAGE_CODE", ""),
        data=data,
    )


def _session_for(
    visitor_id: str, customer: Any, at: datetime, conversation: Any = None
) -> uuid.UUID:
    if customer is not None:
        owner = Q(customer=customer)
    elif visitor_id:
        owner = Q(visitor_id=visitor_id)
    elif isinstance(conversation, int):
        # A chat opened by a client without our cookie (an app, the API): its own
        # steps are still one journey, not one session each.
        owner = Q(customer__isnull=True, visitor_id="", data__conversation=conversation)
    else:
        return uuid.uuid4()
    previous = (
        JourneyEvent.objects.filter(owner, occurred_at__lte=at, occurred_at__gt=at - SESSION_GAP)
        .order_by("-occurred_at", "-id")
        .values_list("session_id", flat=True)
        .first()
    )
    return previous or uuid.uuid4()


def claim_visitor_events(*, visitor_id: str, customer: Any) -> int:
    """On sign-in, the visitor's anonymous events become the customer's, so the
    journey before and after signing in is one."""
    if not visitor_id or not customer.is_customer:
        return 0
    return JourneyEvent.objects.filter(visitor_id=visitor_id, customer__isnull=True).update(
        customer=customer
    )


def timeline(customer: Any, *, since: datetime | None = None) -> QuerySet[JourneyEvent]:
    """Everything the customer did, oldest first, on every channel."""
    events = JourneyEvent.objects.filter(customer=customer)
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    return events.order_by("occurred_at", "id")
