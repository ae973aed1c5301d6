"""The conversation lists of the workspace: the queues, the search, and for each
row what an agent scans for (the last message, unread or not, how long the
customer has waited), in a fixed number of queries whatever the list's length."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from ponton.accounts.models import Role, User
from ponton.conversations import access
from ponton.conversations.models import Author, Conversation, Message, State
from ponton.workspace.models import Mention, ReadMarker

QUEUES = ("waiting", "mine", "team", "mentions", "all")
OPEN_STATES = (State.WAITING_HUMAN, State.WITH_HUMAN)
QUEUE_SIZE = 100
SEARCH_SIZE = 50
PREVIEW_LENGTH = 140


def _queues(user: User) -> dict[str, Q]:
    """Each queue's condition within the open conversations of the agent's scope."""
    return {
        "waiting": Q(state=State.WAITING_HUMAN),
        "mine": Q(assignee=user),
        "team": Q(team__in=user.teams.all()),
        "mentions": Q(
            pk__in=Mention.objects.filter(mentioned=user, seen_at__isnull=True).values(
                "conversation"
            )
        ),
        "all": Q(),
    }


def _open(user: User) -> QuerySet[Conversation]:
    return access.visible_conversations(user).filter(
        state__in=OPEN_STATES, merged_into__isnull=True
    )


def queue(user: User, name: str) -> QuerySet[Conversation]:
    """A queue in the agent's scope, most urgent first: priority, then the nearest
    service-level deadline, then the longest wait."""
    return (
        _open(user)
        .filter(_queues(user)[name])
        .select_related("customer", "team", "assignee")
        .order_by(
            "priority",
            F("first_response_due").asc(nulls_last=True),
            F("handed_off_at").asc(nulls_last=True),
            "id",
        )
    )


def queue_sizes(user: User) -> dict[str, int]:
    """How many conversations each queue holds, in one query."""
    return _open(user).aggregate(
        **{
            name: Count("pk", filter=condition) if condition else Count("pk")
            for name, condition in _queues(user).items()
        }
    )


def _last(author: str | None = None, *, notes: bool = True) -> Subquery:
    messages = Message.objects.filter(conversation=OuterRef("pk"))
    if author is None:  # the preview: what someone said, not the system's notices
        messages = messages.exclude(author=Author.SYSTEM)
    else:
        messages = messages.filter(author=author)
    if not notes:
        messages = messages.filter(internal=False)
    return Subquery(messages.order_by("-id").values("id")[:1], output_field=IntegerField())


@dataclass
class Row:
    """One conversation as a list shows it."""

    conversation: Conversation
    preview: Message | None
    unread: bool
    waiting_since: datetime | None

    @property
    def pk(self) -> int:
        return self.conversation.pk

    @property
    def tags(self) -> list[Any]:
        return list(self.conversation.tags.all())


def rows(user: User, conversations: QuerySet[Conversation], *, limit: int) -> list[Row]:
    """The list rows of `conversations` (already ordered) for `user`: four queries."""
    annotated = conversations.annotate(
        last_id=_last(),
        last_customer_id=_last(Author.CUSTOMER),
        last_agent_id=_last(Author.AGENT, notes=False),
        read_up_to=Coalesce(
            Subquery(
                ReadMarker.objects.filter(user=user, conversation=OuterRef("pk")).values(
                    "last_message_id"
                )[:1],
                output_field=IntegerField(),
            ),
            0,
        ),
    ).prefetch_related("tags")[:limit]
    items = list(annotated)
    wanted = {i.last_id for i in items if i.last_id} | {
        i.last_customer_id for i in items if i.last_customer_id
    }
    messages = {
        m.pk: m
        for m in Message.objects.filter(pk__in=wanted)
        .only("id", "author", "text", "internal", "created_at", "conversation_id")
        .order_by()
    }
    found = []
    for item in items:
        last_customer = messages.get(item.last_customer_id or 0)
        waiting_since = None
        if last_customer is not None and (item.last_agent_id or 0) < last_customer.pk:
            waiting_since = last_customer.created_at
        elif item.state == State.WAITING_HUMAN:
            waiting_since = item.handed_off_at or item.created_at
        if item.state not in OPEN_STATES:
            waiting_since = None
        found.append(
            Row(
                conversation=item,
                preview=messages.get(item.last_id or 0),
                unread=(item.last_customer_id or 0) > item.read_up_to,
                waiting_since=waiting_since,
            )
        )
    return found


# Search ---------------------------------------------------------------------------------------

_NUMBER = re.compile(r"^#?(\d{1,12})$")


@dataclass
class Customer:
    user: User
    conversations: list[Conversation]  # the ones this agent may open, latest first


@dataclass
class Results:
    query: str
    conversations: list[Row]
    customers: list[Customer]


def search(user: User, query: str) -> Results:
    """Conversations and customers matching `query` within the agent's scope: a
    conversation number (#42), a customer's name, email or customer number, the
    name or email a visitor gave, or words of a message."""
    query = " ".join(query.split())[:200]
    if len(query) < 2 and not _NUMBER.match(query):
        return Results(query, [], [])
    visible = access.visible_conversations(user).filter(merged_into__isnull=True)
    number = _NUMBER.match(query)
    condition = Q(name__icontains=query) | Q(email__icontains=query)
    people = _customers_matching(query)
    condition |= Q(customer__in=people)
    if number:
        condition |= Q(pk=int(number.group(1)))
    # Staff read notes too: words of any message count.
    condition |= Q(pk__in=Message.objects.filter(text__icontains=query).values("conversation_id"))
    conversations = (
        visible.filter(condition)
        .select_related("customer", "team", "assignee")
        .order_by("-updated_at", "-id")
    )
    customers = list(
        User.objects.filter(pk__in=people, role=Role.CUSTOMER)
        .filter(pk__in=visible.values("customer"))
        .select_related("profile")
        .order_by("last_name", "first_name")[:10]
    )
    theirs: dict[int, list[Conversation]] = {}
    for conversation in visible.filter(customer__in=customers).order_by("-created_at")[:200]:
        theirs.setdefault(conversation.customer_id or 0, []).append(conversation)
    return Results(
        query,
        rows(user, conversations, limit=SEARCH_SIZE),
        [Customer(c, theirs.get(c.pk, [])[:5]) for c in customers],
    )


def _customers_matching(query: str) -> QuerySet[User, Any]:
    condition = (
        Q(email__icontains=query)
        | Q(username__iexact=query)
        | Q(profile__customer_number=query)
        | Q(profile__phone=query)
    )
    words = query.split()
    if words:
        # "Claire Martin" and "martin claire": every word in the first or last name.
        by_name = Q()
        for word in words:
            by_name &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
        condition |= by_name
    return User.objects.filter(condition, role=Role.CUSTOMER).values("pk")
