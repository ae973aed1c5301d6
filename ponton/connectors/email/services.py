"""What people do with our email outside their mail client: a customer closes a request
the acknowledgement's article solved; an agent reads the original."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import Http404

from ponton.connectors.email.models import EmailRecord
from ponton.connectors.email.outbound import read_solved_token
from ponton.conversations import lifecycle
from ponton.conversations.access import access_conversation
from ponton.conversations.memory import recall
from ponton.conversations.models import Author, Conversation, State


@dataclass(frozen=True)
class SolvedLink:
    conversation: Conversation
    acknowledgement: int  # the message whose email carried the link


def access_by_solved_token(token: str) -> SolvedLink | None:
    read = read_solved_token(token)
    if read is None:
        return None
    conversation = Conversation.objects.filter(pk=read[0]).first()
    return SolvedLink(conversation, read[1]) if conversation is not None else None


def can_close(link: SolvedLink) -> bool:
    """Only the request as the acknowledgement knew it: nobody answered yet, and the customer
    has not written again since (a second need must not be closed with the first)."""
    conversation = link.conversation
    return (
        conversation.state == State.WAITING_HUMAN
        and conversation.first_response_at is None
        and not conversation.messages.filter(
            author=Author.CUSTOMER, pk__gt=link.acknowledgement
        ).exists()
    )


def close_as_solved(link: SolvedLink) -> str:
    """ "solved", or why not: "already_closed", "with_person"."""
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=link.conversation.pk)
        if locked.state == State.CLOSED:
            return "already_closed"
        if not can_close(SolvedLink(locked, link.acknowledgement)):
            return "with_person"
        lifecycle.mark_resolved(
            locked, article=recall(locked).detected_need.get("article"), how="email_link"
        )
    link.conversation.refresh_from_db()
    return "solved"


def access_original(user: Any, record_id: int) -> EmailRecord:
    """A received email's record if `user` may read its conversation; the same 404 otherwise."""
    record = EmailRecord.objects.select_related("message").filter(pk=record_id).first()
    if record is None or not record.original:
        raise Http404
    access_conversation(user, record.message.conversation_id)
    return record
