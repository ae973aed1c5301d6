"""Who is there to answer, so a waiting customer is promised only what is true."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from ponton.accounts.models import STAFF_ROLES, Availability, User
from ponton.conversations.calendars import availability
from ponton.conversations.models import Conversation, State

# An agent marked online but not seen for this long has gone.
PRESENCE_TIMEOUT = timedelta(minutes=2)
AVERAGE_HANDLING_MINUTES = 6


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
    """The one answer to "is someone there?" for routing, the widget, the contact page and
    the phone: advisors online and seen lately count, whatever the calendar says (routing
    gives them conversations, so the customer is told so); the calendar says when the team
    is normally there."""
    now = now or timezone.now()
    hours = availability(now)
    online = User.objects.filter(
        role__in=STAFF_ROLES,
        availability=Availability.ONLINE,
        last_seen_at__gte=now - PRESENCE_TIMEOUT,
    ).count()
    waiting = Conversation.objects.filter(state=State.WAITING_HUMAN).count()
    return Staffing(
        open_now=hours.open_now,
        next_opening=hours.next_opening,
        agents_online=online,
        waiting=waiting,
    )
