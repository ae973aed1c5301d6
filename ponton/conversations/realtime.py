"""Realtime pushes: they only say *what changed*; pages re-read from their last
seen id, so a dropped connection or a lost push loses nothing.

Groups follow the scope of `visible_conversations`: a push about a team's
conversation only reaches that team's agents, supervisors, its assignee and
the customer's referent advisor.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from ponton.accounts.models import CustomerProfile
from ponton.conversations import outbox
from ponton.conversations.models import Conversation

logger = logging.getLogger(__name__)

SUPERVISORS = "supervisors"
UNROUTED = "unrouted"  # conversations no team owns yet: every agent may take them


def team_group(team_id: int) -> str:
    return f"team-{team_id}"


def agent_group(user_id: int) -> str:
    return f"agent-{user_id}"


def chat_group(conversation_id: int) -> str:
    return f"chat-{conversation_id}"


def watch_group(conversation_id: int) -> str:
    """The staff who have one conversation open: who is viewing it, who is typing."""
    return f"watch-{conversation_id}"


def staff_groups(user: Any) -> list[str]:
    """The groups whose pushes this staff member may receive."""
    groups = [agent_group(user.pk)]
    if user.is_supervisor:
        groups.append(SUPERVISORS)
    else:
        groups.append(UNROUTED)
        groups.extend(team_group(pk) for pk in user.teams.values_list("pk", flat=True))
    return groups


def groups_of(conversation: Conversation) -> set[str]:
    """The groups whose sockets may hear of `conversation`: its scope."""
    groups = {SUPERVISORS}
    groups.add(team_group(conversation.team_id) if conversation.team_id else UNROUTED)
    if conversation.assignee_id:
        groups.add(agent_group(conversation.assignee_id))
    referent = _referent_id(conversation)
    if referent:
        groups.add(agent_group(referent))
    return groups


def _referent_id(conversation: Conversation) -> int | None:
    """The customer's referent advisor, from memory when loaded, else in one query."""
    if not conversation.customer_id:
        return None
    if Conversation.customer.is_cached(conversation):
        profile = getattr(conversation.customer, "profile", None)
        return profile.referent_advisor_id if profile is not None else None
    return (
        CustomerProfile.objects.filter(user_id=conversation.customer_id)
        .values_list("referent_advisor_id", flat=True)
        .first()
    )


def announce(
    conversation: Conversation, what: str, *, previous_groups: set[str] | None = None
) -> None:
    """After commit (through the outbox), tell the staff in scope (and the customer's open chat) that
    `conversation` changed. `previous_groups`: who saw it before a transfer, so
    their pages drop it."""
    event = {
        "type": "conversation.changed",
        # One id per change: a socket in several of the groups forwards it once.
        "id": uuid.uuid4().hex,
        "conversation": conversation.pk,
        "what": what,
        "state": conversation.state,
    }
    sends = [(group, event) for group in groups_of(conversation) | (previous_groups or set())]
    sends.append((chat_group(conversation.pk), {**event, "type": "chat.changed"}))
    outbox.push(sends)


def announce_to(user_ids: list[int], conversation: Conversation, what: str) -> None:
    """After commit (through the outbox), tell these staff members only (a colleague named in a note) that
    `conversation` concerns them; the same push as `announce`, so every page already
    knows it."""
    event = {
        "type": "conversation.changed",
        "id": uuid.uuid4().hex,
        "conversation": conversation.pk,
        "what": what,
        "state": conversation.state,
    }
    sends = [(agent_group(pk), event) for pk in sorted(set(user_ids))]
    if sends:
        outbox.push(sends)


def announce_call(agent_id: int, call_id: int) -> None:
    """After commit (through the outbox), tell one agent's pages that a phone call concerns them (it rings for
    them, they answered it, it ended): their screen-pop re-reads."""
    event = {"type": "call.changed", "id": uuid.uuid4().hex, "call": call_id}
    outbox.push([(agent_group(agent_id), event)])


def announce_presence(user: Any) -> None:
    """After commit (through the outbox), tell supervisors and the agent's teams that their availability
    changed (the supervision page and inboxes re-read)."""
    groups = {SUPERVISORS, agent_group(user.pk)}
    groups.update(team_group(pk) for pk in user.teams.values_list("pk", flat=True))
    event = {
        "type": "presence.changed",
        "id": uuid.uuid4().hex,
        "agent": user.pk,
        "availability": user.availability,
    }
    outbox.push([(group, event) for group in sorted(groups)])
