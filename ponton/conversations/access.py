"""Who may see which conversation: one rule for pages, the API and websockets.

Anything outside a staff member's scope is the same 404 as a missing
conversation, so an id reveals nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from ponton.accounts.models import CustomerProfile, User
from ponton.conversations.models import Conversation, Message


def customer_or_none(user: Any) -> User | None:
    if getattr(user, "is_authenticated", False) and user.is_customer:
        return user
    return None


def visible_conversations(user: Any) -> QuerySet[Conversation]:
    """What a staff member may see: supervisors everything; an agent their teams'
    conversations, those no team owns yet, those assigned to them and those of
    customers they are the referent advisor of."""
    scope = _scope(user)
    if scope is None:
        return Conversation.objects.none()
    # Every join in the scope is to one row (team, assignee, the customer's profile) and
    # teams are a subquery: no duplicates, so no DISTINCT over the context packet.
    return Conversation.objects.filter(scope)


def _scope(user: Any) -> Q | None:
    """The condition of `visible_conversations`; None for no conversation at all."""
    if not getattr(user, "is_authenticated", False) or not user.is_agent:
        return None
    if user.is_supervisor:
        return Q()
    return (
        Q(team__isnull=True)
        | Q(team__in=user.teams.all())
        | Q(assignee=user)
        | Q(customer__profile__referent_advisor=user)
    )


def access_conversation(user: Any, conversation_id: int) -> Conversation:
    """The conversation a staff member may work on, or 404: the same for a missing
    conversation and one outside their scope (the rule of `visible_conversations`,
    checked on the one row read by key: the cheapest read after each push)."""
    if _scope(user) is None:
        raise Http404
    try:
        conversation = Conversation.objects.get(pk=conversation_id)
    except Conversation.DoesNotExist:
        raise Http404 from None
    if not _in_scope(user, conversation):
        raise Http404
    return conversation


def _in_scope(user: Any, conversation: Conversation) -> bool:
    """`_scope` for one conversation in memory: the two must say the same thing."""
    if user.is_supervisor or conversation.team_id is None:
        return True
    if conversation.assignee_id == user.pk:
        return True
    if user.teams.filter(pk=conversation.team_id).exists():
        return True
    customer_id = conversation.customer_id
    return (
        customer_id is not None
        and CustomerProfile.objects.filter(user_id=customer_id, referent_advisor=user).exists()
    )


def messages_after(
    conversation: Conversation, after: int | None, *, staff: bool = False
) -> QuerySet[Message]:
    """The thread from a last seen id; agents' internal notes only for `staff`."""
    messages = conversation.messages.order_by("id")
    if not staff:
        messages = messages.filter(internal=False)
    return messages.filter(id__gt=after) if after else messages
