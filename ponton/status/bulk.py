"""The conversations an incident caused, handled together: one answer for all, and all
solved when it is resolved. Every change goes through the conversation lifecycle; an agent
only touches the conversations their scope shows them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ponton.conversations import access, lifecycle
from ponton.conversations.models import Conversation, State, Status
from ponton.status.models import Incident, IncidentContact

# Still with the assistant: the customer already had the incident's notice from it.
WITH_PEOPLE = (State.WAITING_HUMAN, State.WITH_HUMAN)


def open_contacts(incident: Incident, user: Any) -> QuerySet[Conversation]:
    """The conversations about it waiting for or with a person, that `user` may see."""
    return (
        access.visible_conversations(user)
        .filter(
            pk__in=IncidentContact.objects.filter(incident=incident).values("conversation_id"),
            state__in=WITH_PEOPLE,
            merged_into__isnull=True,
        )
        .select_related("customer", "assignee")
        .order_by("handed_off_at", "pk")
    )


def answer_contacts(incident: Incident, *, agent: Any, text: str) -> int:
    """Send the same answer in each of them (each customer on their own channel)."""
    text = lifecycle.clean_text(text)
    conversations = list(open_contacts(incident, agent))
    if not conversations:
        raise ValidationError({"text": _("No open conversation about this incident.")})
    for conversation in conversations:
        lifecycle.reply_as_agent(conversation, agent=agent, text=text)
    return len(conversations)


def solve_contacts(incident: Incident, *, by: Any) -> int:
    """Mark solved every one of them not solved yet (each customer may rate it, or write
    again to reopen it)."""
    solved = 0
    for conversation in open_contacts(incident, by).exclude(
        status__in=[Status.SOLVED, Status.CLOSED]
    ):
        lifecycle.set_status(conversation, status=Status.SOLVED, by=by)
        solved += 1
    return solved
