"""What people do with our email outside their mail client: a customer closes a request
the acknowledgement's article solved; an agent reads the original."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import Http404

from ponton.connectors.email.models import EmailRecord
from ponton.connectors.email.outbound import conversation_for_solved_token
from ponton.conversations import lifecycle
from ponton.conversations.access import access_conversation
from ponton.conversations.memory import recall
from ponton.conversations.models import Conversation, State


def access_by_solved_token(token: str) -> Conversation | None:
    conversation_id = conversation_for_solved_token(token)
    if conversation_id is None:
        return None
    return Conversation.objects.filter(pk=conversation_id).first()


def can_close(conversation: Conversation) -> bool:
    """Only while nobody answered yet: once a person is on it, the customer tells them."""
    return conversation.state == State.WAITING_HUMAN


def close_as_solved(conversation: Conversation) -> str:
    """ "solved", or why not: "already_closed", "with_person"."""
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if locked.state == State.CLOSED:
            return "already_closed"
        if not can_close(locked):
            return "with_person"
        lifecycle.mark_resolved(
            locked, article=recall(locked).detected_need.get("article"), how="email_link"
        )
    conversation.refresh_from_db()
    return "solved"


def access_original(user: Any, record_id: int) -> EmailRecord:
    """A received email's record if `user` may read its conversation; the same 404 otherwise."""
    record = EmailRecord.objects.select_related("message").filter(pk=record_id).first()
    if record is None or not record.original:
        raise Http404
    access_conversation(user, record.message.conversation_id)
    return record
