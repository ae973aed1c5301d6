"""The quantities of the work done by people, from the conversations.

Over the conversations handed to a person and created in the period (merged
duplicates left out):

- first response time: from the handoff (or the conversation's start) to the
  first reply of a person, over those answered;
- time to resolution: from the start to solved or closed, over those resolved;
- first contact resolution: resolved ones where one reply of a person was
  enough (one reply, and the customer never wrote again after it);
- SLA breach rate: those with a due date that missed it (first response or
  resolution late, or still waiting past it at the end of the period);
- backlog: conversations with a person, created before the end of the period
  and not resolved by then.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet

from ponton.conversations.models import Author, Conversation, Status
from ponton.insights.periods import Filters, Period


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def with_a_person() -> QuerySet[Conversation]:
    return Conversation.objects.filter(merged_into__isnull=True).filter(
        Q(handed_off_at__isnull=False) | Q(first_response_at__isnull=False)
    )


def conversation_quantities(period: Period, filters: Filters | None = None) -> dict[str, Any]:
    filters = filters or Filters()
    people = filters.conversations(with_a_person())
    reply = Q(messages__author=Author.AGENT, messages__internal=False)
    rows = list(
        people.filter(created_at__gte=period.since, created_at__lt=period.until)
        .annotate(
            agent_replies=Count("messages", filter=reply),
            first_reply=Min("messages__created_at", filter=reply),
            last_customer=Max("messages__created_at", filter=Q(messages__author=Author.CUSTOMER)),
        )
        .values(
            "created_at",
            "handed_off_at",
            "first_response_at",
            "first_response_due",
            "resolution_due",
            "sla_breached_at",
            "resolved_at",
            "status",
            "agent_replies",
            "first_reply",
            "last_customer",
        )
    )
    first_response: list[float] = []
    resolution: list[float] = []
    resolved = first_contact = with_due = breached = 0
    for row in rows:
        start = row["handed_off_at"] or row["created_at"]
        answered = row["first_response_at"] or row["first_reply"]
        if (seconds := _seconds(start, answered)) is not None:
            first_response.append(max(0.0, seconds))
        is_resolved = row["status"] in (Status.SOLVED, Status.CLOSED) and row["resolved_at"]
        if is_resolved:
            resolved += 1
            resolution.append(max(0.0, _seconds(row["created_at"], row["resolved_at"]) or 0.0))
            if row["agent_replies"] == 1 and (
                row["last_customer"] is None or row["last_customer"] <= row["first_reply"]
            ):
                first_contact += 1
        first_due, resolution_due = row["first_response_due"], row["resolution_due"]
        if first_due or resolution_due:
            with_due += 1
            late_first = first_due is not None and (answered or period.until) > first_due
            late_resolution = (
                resolution_due is not None
                and ((row["resolved_at"] if is_resolved else None) or period.until) > resolution_due
            )
            breached += bool(row["sla_breached_at"] or late_first or late_resolution)
    backlog = (
        people.filter(created_at__lt=period.until)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=period.until))
        .exclude(status__in=[Status.SOLVED, Status.CLOSED], resolved_at__isnull=True)
        .count()
    )
    return {
        "conversations_with_a_person": len(rows),
        "first_response_seconds": _mean(first_response),
        "resolution_seconds": _mean(resolution),
        "first_contact_resolution_rate": first_contact / resolved if resolved else None,
        "sla_breach_rate": breached / with_due if with_due else None,
        "backlog": backlog,
    }
