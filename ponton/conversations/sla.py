"""Service levels: when a handoff must get its first answer and its resolution,
counted in business time, and what happens when it does not.

A policy applies per team and priority; the most specific one wins (team and
priority, then team, then priority, then one for any). Its clocks start when
the conversation is handed to a person and run on the policy's calendar.

Tickets that wait for the customer (status *pending*) keep their due dates:
the clock does not stop, but a pending ticket is never marked as breached
while we wait for the customer. When the customer writes again it is open
again, and a due date already past is a breach at the next check. A
conversation counts as breached when it is still with people (waiting or
with an agent) and its first answer or its resolution is late; a breach is
marked once: the conversation goes to the top priority, an internal note
says what was missed, and supervisors are told (a push and an email).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton.conversations import calendars, realtime
from ponton.conversations.events import record_conversation_event
from ponton.conversations.models import (
    Author,
    Conversation,
    Message,
    SlaPolicy,
    State,
    Status,
)
from ponton.journeys.models import EventKind
from ponton.tasks.services import enqueue

# Most breaches one check marks: the rest wait for the next minute.
CHECK_BATCH = 200


def policy_for(team_id: int | None, priority: int) -> SlaPolicy | None:
    """The most specific policy for a team (None: no team) and a priority."""
    candidates = SlaPolicy.objects.select_related("calendar").filter(
        Q(team__isnull=True) | Q(team_id=team_id) if team_id else Q(team__isnull=True),
        Q(priority__isnull=True) | Q(priority=priority),
    )
    ranked = sorted(candidates, key=lambda p: (p.team_id is None, p.priority is None, p.pk))
    return ranked[0] if ranked else None


def due_dates(
    policy: SlaPolicy, start: datetime, schedule: calendars.CalendarLike = None
) -> tuple[datetime, datetime]:
    """First response and resolution due times of a clock started at `start`."""
    calendar = schedule if schedule is not None else policy.calendar
    return (
        calendars.add_business_minutes(calendar, start, policy.first_response_minutes),
        calendars.add_business_minutes(calendar, start, policy.resolution_minutes),
    )


def apply_sla(conversation: Conversation) -> SlaPolicy | None:
    """Set the due dates of a handed-off conversation from its team and priority
    (cleared when no policy applies), and start with no breach."""
    policy = policy_for(conversation.team_id, conversation.priority)
    if policy is None or conversation.handed_off_at is None:
        conversation.first_response_due = conversation.resolution_due = None
    else:
        conversation.first_response_due, conversation.resolution_due = due_dates(
            policy, conversation.handed_off_at
        )
    conversation.sla_breached_at = None
    if conversation.pk:
        conversation.save(
            update_fields=["first_response_due", "resolution_due", "sla_breached_at", "updated_at"]
        )
    return policy


def late(now: datetime) -> QuerySet[Conversation]:
    """Conversations with people whose first answer or resolution is late, not yet
    marked, and not waiting for the customer."""
    return (
        Conversation.objects.filter(state__in=[State.WAITING_HUMAN, State.WITH_HUMAN])
        .filter(sla_breached_at__isnull=True)
        .exclude(status__in=[Status.PENDING, Status.SOLVED, Status.CLOSED])
        .filter(
            Q(first_response_at__isnull=True, first_response_due__lt=now)
            | Q(first_response_at__gt=F("first_response_due"))
            | Q(resolution_due__lt=now)
        )
    )


def at_risk_horizon(now: datetime, schedule: calendars.CalendarLike = None) -> datetime:
    """Due before this moment: less than the at-risk margin of business time is left."""
    return calendars.add_business_minutes(schedule, now, settings.PONTON_SLA_AT_RISK_MINUTES)


def check_breaches(now: datetime | None = None) -> list[int]:
    """Mark the conversations whose service level was just missed and escalate them;
    returns their ids. Safe to run from several workers at once."""
    now = now or timezone.now()
    breached = [
        pk
        for pk in late(now).order_by("pk").values_list("pk", flat=True)[:CHECK_BATCH]
        if _mark_breach(pk, now)
    ]
    if breached:
        enqueue(
            "conversations.email_sla_breaches",
            conversation_ids=breached,
            dedupe_key=f"sla-breaches:{breached[0]}:{breached[-1]}:{len(breached)}",
        )
    return breached


@transaction.atomic
def _mark_breach(conversation_id: int, now: datetime) -> bool:
    """Holds the conversation's row lock: two workers never mark it twice."""
    conversation = late(now).select_for_update().filter(pk=conversation_id).first()
    if conversation is None:
        return False
    first_response_late = conversation.first_response_due is not None and (
        (conversation.first_response_at is None and conversation.first_response_due < now)
        or (
            conversation.first_response_at is not None
            and conversation.first_response_at > conversation.first_response_due
        )
    )
    missed = "first_response" if first_response_late else "resolution"
    due = conversation.first_response_due if first_response_late else conversation.resolution_due
    conversation.sla_breached_at = now
    conversation.priority = 1
    conversation.save(update_fields=["sla_breached_at", "priority", "updated_at"])
    with override(settings.LANGUAGE_CODE):
        when = formats.date_format(timezone.localtime(due), "DATETIME_FORMAT") if due else ""
        text = (
            _("Service level missed: the first answer was due %(when)s. Moved to urgent.")
            if first_response_late
            else _("Service level missed: the resolution was due %(when)s. Moved to urgent.")
        ) % {"when": when}
    Message.objects.create(
        conversation=conversation, author=Author.SYSTEM, text=text, internal=True
    )
    record_conversation_event(
        conversation, EventKind.SLA_BREACH, missed=missed, due=due.isoformat() if due else None
    )
    realtime.announce(conversation, "sla_breach")
    return True
