"""What one journey session did, by the definitions of DESIGN.md ("Measured quantities").

This module is the only place the definitions are written in code; the direct
computation and the rollup both call it.

- A *session* is the log's `session_id` (fixed at write time, 30-minute gap),
  counted when the customer did something in it: the steps staff take on a
  conversation (replies, assignment, status) are logged in the customer's
  journey but make no session of their own. It belongs to the period its
  first event falls in. Its channel is the
  channel of its first event (where the journey entered), its language the
  first language it shows, its customer the signed-in customer if any.
- A *selfcare attempt* is a session with a search, a search click, an article
  read or rated, an assistant turn that offered an answer or choices (in the
  chat or read aloud by the voice menu), or a selfcare action (assistant or
  portal). Only hearing the voice menu's greeting is not one. A first message handed straight to a
  person, with nothing offered, is not one.
- An *escalation* is a handoff or a contact request (a ticket) in the session,
  at or after its first selfcare event.
- A *confirmed resolution* is "yes, solved" in the assistant, a completed
  selfcare action, or "yes" to "did this answer your question?" on an article.
- *Followed by a contact*: the same customer (or visitor, or session) had a
  handoff or contact request within 72 hours of the first selfcare event.
- A *wall handoff* is a handoff that came only after the customer asked for a
  person more than once, or after three or more failed assistant turns,
  counted since the conversation's previous handoff.
"""

from __future__ import annotations

import bisect
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ponton.journeys.models import EventKind

FOLLOW_UP = timedelta(hours=72)
SELFCARE_KINDS = frozenset(
    {
        EventKind.SEARCH,
        EventKind.SEARCH_CLICK,
        EventKind.ARTICLE_VIEW,
        EventKind.ARTICLE_FEEDBACK,
        EventKind.SELFCARE_ACTION,
        EventKind.SELFCARE_RESOLVED,
    }
)
OFFERING_DECISIONS = frozenset({"answer", "clarify"})
ESCALATION_KINDS = frozenset({EventKind.HANDOFF, EventKind.CONTACT_REQUEST})
WALL_PERSON_REQUESTS = 2
WALL_FAILED_ATTEMPTS = 3

# The columns read from the journey log, in this order.
EVENT_FIELDS = (
    "id",
    "session_id",
    "occurred_at",
    "kind",
    "customer_id",
    "visitor_id",
    "channel",
    "language",
    "data",
)
EventRow = tuple[int, uuid.UUID, datetime, str, int | None, str, str, str, dict[str, Any]]
OwnerKey = tuple[str, Any]


STAFF_KINDS = frozenset(
    {EventKind.ASSIGNMENT, EventKind.STATUS_CHANGE, EventKind.HAND_BACK, EventKind.MERGE}
)
STAFF_AUTHORS = frozenset({"agent", "system"})


def is_customer_side(kind: str, data: dict[str, Any]) -> bool:
    if kind in STAFF_KINDS:
        return False
    return not (kind == EventKind.MESSAGE and data.get("author") in STAFF_AUTHORS)


def is_selfcare(kind: str, data: dict[str, Any]) -> bool:
    if kind in SELFCARE_KINDS:
        return True
    return kind == EventKind.ASSISTANT_TURN and data.get("decision") in OFFERING_DECISIONS


def is_resolution(kind: str, data: dict[str, Any]) -> bool:
    if kind in (EventKind.SELFCARE_RESOLVED, EventKind.SELFCARE_ACTION):
        return True
    return kind == EventKind.ARTICLE_FEEDBACK and data.get("helpful") is True


def conversation_of(data: dict[str, Any]) -> int | None:
    value = data.get("conversation")
    return value if isinstance(value, int) else None


@dataclass
class SessionFacts:
    session_id: uuid.UUID
    started_at: datetime
    ended_at: datetime
    channel: str
    language: str
    customer_id: int | None
    visitor_id: str
    events: int = 0
    searched: bool = False
    read_article: bool = False
    used_assistant: bool = False
    used_voice_menu: bool = False
    selfcare_at: datetime | None = None
    escalated_at: datetime | None = None
    handed_off: bool = False
    resolved: bool = False
    followed_by_contact: bool = False
    handoffs: int = 0
    wall_handoffs: int = 0
    conversations: set[int] = field(default_factory=set)

    @property
    def selfcare_attempt(self) -> bool:
        return self.selfcare_at is not None

    @property
    def escalated(self) -> bool:
        return self.escalated_at is not None

    @property
    def microseconds_to_escalation(self) -> int:
        if self.selfcare_at is None or self.escalated_at is None:
            return 0
        delta = self.escalated_at - self.selfcare_at
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds

    def owner(self) -> OwnerKey:
        if self.customer_id is not None:
            return ("customer", self.customer_id)
        if self.visitor_id:
            return ("visitor", self.visitor_id)
        return ("session", self.session_id)


def event_owners(row: EventRow) -> list[OwnerKey]:
    owners: list[OwnerKey] = [("session", row[1])]
    if row[4] is not None:
        owners.append(("customer", row[4]))
    if row[5]:
        owners.append(("visitor", row[5]))
    return owners


def wall_handoff_ids(handoffs: Iterable[EventRow]) -> set[int]:
    """The handoff events that came only after a wall, from all the handoffs of the
    conversations concerned (oldest first): the assistant's counters are per
    conversation, so each handoff is judged on what happened since the previous one."""
    last: dict[int, tuple[int, int]] = {}
    walls: set[int] = set()
    for row in handoffs:
        data = row[8]
        requests = int(data.get("person_requests") or 0)
        failed = int(data.get("failed_attempts") or 0)
        conversation = conversation_of(data)
        before_requests, before_failed = (
            last.get(conversation, (0, 0)) if conversation is not None else (0, 0)
        )
        if (
            requests - before_requests >= WALL_PERSON_REQUESTS
            or failed - before_failed >= WALL_FAILED_ATTEMPTS
        ):
            walls.add(row[0])
        if conversation is not None:
            last[conversation] = (requests, failed)
    return walls


def facts_of_session(rows: list[EventRow], walls: set[int]) -> SessionFacts:
    """The facts of one session from its events, oldest first."""
    first = rows[0]
    facts = SessionFacts(
        session_id=first[1],
        started_at=first[2],
        ended_at=rows[-1][2],
        channel=first[6],
        language=next((r[7] for r in rows if r[7]), ""),
        customer_id=next((r[4] for r in rows if r[4] is not None), None),
        visitor_id=next((r[5] for r in rows if r[5]), ""),
        events=len(rows),
    )
    for row in rows:
        kind, at, data = row[3], row[2], row[8]
        conversation = conversation_of(data)
        if conversation is not None:
            facts.conversations.add(conversation)
        if kind == EventKind.SEARCH:
            facts.searched = True
        elif kind == EventKind.ARTICLE_VIEW:
            facts.read_article = True
        elif kind == EventKind.ASSISTANT_TURN:
            facts.used_assistant = True
        elif kind == EventKind.VOICE_MENU:
            facts.used_voice_menu = True
        if facts.selfcare_at is None and is_selfcare(kind, data):
            facts.selfcare_at = at
        if is_resolution(kind, data):
            facts.resolved = True
        if kind in ESCALATION_KINDS:
            facts.handed_off = True
            if facts.selfcare_at is not None and facts.escalated_at is None:
                facts.escalated_at = at
        if kind == EventKind.HANDOFF:
            facts.handoffs += 1
            if row[0] in walls:
                facts.wall_handoffs += 1
    return facts


class ContactTimes:
    """When each customer, visitor and session contacted a person (handoffs and
    contact requests), to tell whether a selfcare attempt was followed by one."""

    def __init__(self, rows: Iterable[EventRow]) -> None:
        times: dict[OwnerKey, list[datetime]] = defaultdict(list)
        for row in rows:
            for owner in event_owners(row):
                times[owner].append(row[2])
        self.times = {owner: sorted(values) for owner, values in times.items()}

    def followed(self, facts: SessionFacts) -> bool:
        if facts.selfcare_at is None:
            return False
        times = self.times.get(facts.owner(), [])
        i = bisect.bisect_left(times, facts.selfcare_at)
        return i < len(times) and times[i] <= facts.selfcare_at + FOLLOW_UP


def build_facts(
    rows: Iterable[EventRow], *, walls: set[int], contacts: ContactTimes
) -> list[SessionFacts]:
    """Facts of every session in `rows` (all the events of each session)."""
    by_session: dict[uuid.UUID, list[EventRow]] = defaultdict(list)
    for row in rows:
        by_session[row[1]].append(row)
    facts = []
    for session_rows in by_session.values():
        if not any(is_customer_side(r[3], r[8]) for r in session_rows):
            continue
        session_rows.sort(key=lambda r: (r[2], r[0]))
        item = facts_of_session(session_rows, walls)
        item.followed_by_contact = contacts.followed(item)
        facts.append(item)
    return facts
