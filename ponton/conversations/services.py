"""Conversations: every change of state goes through these functions.

A conversation is owned by the assistant or by a person (`state`). Customer
messages are stored idempotently (`client_msg_id`), a handoff freezes the
context packet so the agent never asks again, and every step is written to
the journey log.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton.accounts.models import STAFF_ROLES, Availability, CustomerProfile, User
from ponton.conversations import realtime, routing, sla, surveys
from ponton.conversations.hours import availability
from ponton.conversations.models import (
    Author,
    Conversation,
    ConversationChannel,
    HandoffReason,
    Message,
    State,
    Status,
)
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.journeys.services import record_event
from ponton.tasks.services import enqueue

CONTEXT_LOOKBACK = timedelta(hours=24)
PRESENCE_TIMEOUT = timedelta(minutes=2)
AVERAGE_HANDLING_MINUTES = 6
MAX_MESSAGE_LENGTH = 5000
# Signals that put a conversation at the front of the queue.
URGENT_REASONS = {
    HandoffReason.FRAUD_SECURITY,
    HandoffReason.CRITICAL_IMPACT,
    HandoffReason.SENSITIVE_SITUATION,
}
HIGH_REASONS = {HandoffReason.LEGAL, HandoffReason.EMOTION, HandoffReason.REPEAT_CONTACT}


def customer_or_none(user: Any) -> User | None:
    if getattr(user, "is_authenticated", False) and user.is_customer:
        return user
    return None


def record_conversation_event(conversation: Conversation, kind: str, **data: Any) -> None:
    """Log a step of a conversation in the customer's journey."""
    record_event(
        kind,
        visitor_id=conversation.visitor_id,
        customer=conversation.customer,
        channel=conversation.channel,
        language=conversation.language,
        data={"conversation": conversation.pk, **data},
    )


# Context packet ------------------------------------------------------------------


def context_packet(
    conversation: Conversation, *, reason: str, signals: list[dict[str, Any]]
) -> dict[str, Any]:
    """What the agent needs so the customer never repeats themselves: who they
    are, what they searched, read and tried, and the whole conversation."""
    since = timezone.now() - CONTEXT_LOOKBACK
    customer = conversation.customer
    if customer is not None:
        events: QuerySet[JourneyEvent] = JourneyEvent.objects.filter(
            customer=customer, occurred_at__gte=since
        )
    elif conversation.visitor_id:
        events = JourneyEvent.objects.filter(
            visitor_id=conversation.visitor_id, occurred_at__gte=since
        )
    else:
        events = JourneyEvent.objects.none()
    searches: list[dict[str, Any]] = []
    viewed: list[dict[str, Any]] = []
    feedback: list[dict[str, Any]] = []
    for event in events.order_by("occurred_at", "id"):
        at = event.occurred_at.isoformat()
        data = event.data
        if event.kind == EventKind.SEARCH:
            searches.append(
                {"query": data.get("query", ""), "results": data.get("results", 0), "at": at}
            )
        elif event.kind == EventKind.ARTICLE_VIEW:
            viewed.append(
                {"article": data.get("article"), "title": data.get("title", ""), "at": at}
            )
        elif event.kind == EventKind.ARTICLE_FEEDBACK:
            feedback.append(
                {"title": data.get("title", ""), "helpful": data.get("helpful"), "at": at}
            )
    transcript = [
        {"author": m.author, "text": m.text, "at": m.created_at.isoformat()}
        for m in conversation.messages.filter(internal=False).order_by("id")
    ]
    return {
        "reason": reason,
        "signals": signals,
        "transcript": transcript,
        "searches": searches,
        "articles_viewed": viewed,
        "feedback": feedback,
        "detected_need": conversation.detected_need,
        "articles_offered": conversation.offered_articles,
        "failed_attempts": conversation.failed_attempts,
        "customer": _customer_summary(customer, conversation),
    }


def _customer_summary(customer: User | None, conversation: Conversation) -> dict[str, Any]:
    if customer is None:
        return {
            "name": conversation.name,
            "email": conversation.email,
            "language": conversation.language,
        }
    summary: dict[str, Any] = {
        "id": customer.pk,
        "name": customer.get_full_name() or customer.username,
        "email": customer.email,
        "language": customer.language,
    }
    profile = getattr(customer, "profile", None)
    if profile is not None:
        summary.update(
            customer_number=profile.customer_number,
            plan=profile.plan,
            modules=profile.modules,
            segment=profile.segment,
            prefers_person=profile.prefers_person,
            preferred_channel=profile.preferred_channel,
            accessibility_needs=profile.accessibility_needs,
            referent_advisor=(
                profile.referent_advisor.get_full_name() or profile.referent_advisor.username
                if profile.referent_advisor
                else ""
            ),
        )
    return summary


# Staffing ------------------------------------------------------------------------


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
        agents_online=online if hours.open_now else 0,
        waiting=waiting,
    )


def _handoff_notice(conversation: Conversation, now: Staffing) -> str:
    by_email = (
        _(" and by email at %(email)s") % {"email": conversation.email}
        if conversation.email
        else ""
    )
    if now.agents_online:
        return _(
            "I'm passing you to an advisor now (request #%(id)s). %(agents)s available, expected "
            "wait about %(minutes)s min. They see our whole conversation: no need to repeat yourself."
        ) % {
            "id": conversation.pk,
            "agents": _("1 advisor")
            if now.agents_online == 1
            else _("%(n)s advisors") % {"n": now.agents_online},
            "minutes": now.expected_wait_minutes,
        }
    if now.open_now:
        return _(
            "I've passed your request to our advisors (request #%(id)s), with our whole conversation. "
            "Nobody is free this very minute; during opening hours most requests are answered within "
            "two hours. The answer will appear here%(by_email)s."
        ) % {"id": conversation.pk, "by_email": by_email}
    when = formats.date_format(timezone.localtime(now.next_opening), "l j F, H:i")
    return _(
        "Our advisors are away until %(when)s. Your request #%(id)s is saved with our whole "
        "conversation: the first advisor in will answer here%(by_email)s."
    ) % {"when": when, "id": conversation.pk, "by_email": by_email}


# Messages ----------------------------------------------------------------------------


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("The message is empty.")})
    if len(text) > MAX_MESSAGE_LENGTH:
        raise ValidationError(
            {"text": _("Messages are limited to %(n)s characters.") % {"n": MAX_MESSAGE_LENGTH}}
        )
    return text


@transaction.atomic
def start_conversation(
    *,
    channel: str,
    language: str,
    customer: Any = None,
    visitor_id: str = "",
    name: str = "",
    email: str = "",
    state: str = State.ASSISTANT,
) -> Conversation:
    customer = customer_or_none(customer)
    return Conversation.objects.create(
        customer=customer,
        visitor_id=visitor_id,
        name=(name or (customer.get_full_name() if customer else ""))[:150],
        email=email or (customer.email if customer else ""),
        channel=channel,
        state=state,
        language=language if language in ("fr", "en") else "fr",
    )


def add_customer_message(
    conversation: Conversation, *, text: str, client_msg_id: str = ""
) -> tuple[Message, bool]:
    """Store what the customer sent, once: the same `client_msg_id` twice returns
    the first message and False.

    Callers hold the conversation's row lock (or created it in this transaction),
    so the check below cannot race with a retry; the unique constraint stays as
    the last guard."""
    text = _clean_text(text)
    client_msg_id = (client_msg_id or "")[:64]
    if client_msg_id:
        existing = conversation.messages.filter(client_msg_id=client_msg_id).first()
        if existing is not None:
            return existing, False
    message = Message.objects.create(
        conversation=conversation,
        author=Author.CUSTOMER,
        author_user=conversation.customer,
        text=text,
        client_msg_id=client_msg_id,
    )
    record_conversation_event(
        conversation, EventKind.MESSAGE, message=message.pk, author=Author.CUSTOMER
    )
    if conversation.status in (Status.PENDING, Status.SOLVED):
        # The customer wrote again: the request needs work again.
        Conversation.objects.filter(pk=conversation.pk).update(status=Status.OPEN)
        conversation.status = Status.OPEN
    if conversation.state != State.ASSISTANT:
        # While the assistant owns it, the customer's own request gets the answer and no
        # agent's page lists it: a push would only make every inbox re-read for nothing.
        realtime.announce(conversation, "message")
    return message, True


def add_assistant_message(
    conversation: Conversation,
    *,
    text: str,
    articles: list[dict[str, Any]] | None = None,
    actions: list[dict[str, str]] | None = None,
    author: str = Author.ASSISTANT,
) -> Message:
    return Message.objects.create(
        conversation=conversation,
        author=author,
        text=text,
        articles=articles or [],
        actions=actions or [],
    )


def messages_after(
    conversation: Conversation, after: int | None, *, staff: bool = False
) -> QuerySet[Message]:
    """The thread from a last seen id; agents' internal notes only for `staff`."""
    messages = conversation.messages.order_by("id")
    if not staff:
        messages = messages.filter(internal=False)
    return messages.filter(id__gt=after) if after else messages


# Handoff and resolution --------------------------------------------------------------


def priority_for(reason: str) -> int:
    if reason in URGENT_REASONS:
        return 1
    if reason in HIGH_REASONS:
        return 2
    return 3


@transaction.atomic
def hand_off(
    conversation: Conversation,
    *,
    reason: str,
    signals: list[dict[str, Any]] | None = None,
    by: str = "assistant",
) -> Message:
    """Give the conversation to a person: queue it with its context packet and tell
    the customer honestly what happens next."""
    if reason not in HandoffReason.values:
        raise ValueError(f"Unknown handoff reason {reason!r}")
    signals = signals or []
    now = staffing()  # before this conversation joins the queue: nobody waits for themselves
    conversation.state = State.WAITING_HUMAN
    conversation.handoff_reason = reason
    conversation.priority = routing.handoff_priority(conversation, reason, signals)
    conversation.handed_off_at = timezone.now()
    conversation.context = context_packet(conversation, reason=reason, signals=signals)
    conversation.status = Status.OPEN
    conversation.save()
    record_conversation_event(
        conversation,
        EventKind.HANDOFF,
        reason=reason,
        by=by,
        signals=[s.get("kind") for s in signals],
        person_requests=conversation.person_requests,
        failed_attempts=conversation.failed_attempts,
    )
    _route_handoff(conversation)
    realtime.announce(conversation, "handoff")
    with override(conversation.language):
        notice = _handoff_notice(conversation, now)
    return add_assistant_message(conversation, text=notice, author=Author.SYSTEM)


@transaction.atomic
def mark_resolved(conversation: Conversation, *, article: int | None, how: str) -> None:
    """The customer says selfcare solved it (`how`: "confirmed" or an action's name)."""
    conversation.resolved_at = timezone.now()
    conversation.state = State.CLOSED
    conversation.save(update_fields=["resolved_at", "state", "updated_at"])
    record_conversation_event(conversation, EventKind.SELFCARE_RESOLVED, article=article, how=how)


# Contact form ------------------------------------------------------------------------


@dataclass
class ContactRequest:
    text: str
    name: str = ""
    email: str = ""
    language: str = "fr"
    visitor_id: str = ""
    customer: Any = None


@transaction.atomic
def request_contact(request: ContactRequest) -> Conversation:
    """A customer asks for a person through the contact form: queue it with its context."""
    errors = {}
    text = request.text.strip()
    if not text:
        errors["text"] = _("Tell us in a few words what you need.")
    customer = customer_or_none(request.customer)
    email = request.email.strip() or (customer.email if customer else "")
    if not email:
        errors["email"] = _("We need an email address to answer you.")
    if errors:
        raise ValidationError(errors)

    conversation = start_conversation(
        channel=ConversationChannel.WEB_FORM,
        language=request.language,
        customer=customer,
        visitor_id=request.visitor_id,
        name=request.name.strip(),
        email=email,
        state=State.WAITING_HUMAN,
    )
    add_customer_message(conversation, text=text)
    conversation.person_requests = 1
    record_event(
        EventKind.CONTACT_REQUEST,
        visitor_id=request.visitor_id,
        customer=customer,
        language=request.language,
        data={"conversation": conversation.pk, "channel": ConversationChannel.WEB_FORM},
    )
    hand_off(conversation, reason=HandoffReason.CUSTOMER_REQUEST, by="customer")
    transaction.on_commit(lambda: _acknowledge(conversation, text))
    return conversation


def _acknowledge(conversation: Conversation, text: str) -> None:
    with override(conversation.language):
        send_mail(
            subject=_("We received your request #%(id)s") % {"id": conversation.pk},
            message=_(
                "Hello,\n\nAn advisor has your request and everything you already read on the help "
                "center. You will get the answer at this address.\n\nYour request:\n%(text)s\n"
            )
            % {"text": text},
            from_email=None,
            recipient_list=[conversation.email],
            fail_silently=True,
        )


# Agents -------------------------------------------------------------------------------


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


def _locked(conversation: Conversation) -> Conversation:
    """Re-read the row under a lock (callers hold a transaction)."""
    return Conversation.objects.select_for_update().get(pk=conversation.pk)


def _system_note(conversation: Conversation, text: str, *, by: Any = None) -> Message:
    return Message.objects.create(
        conversation=conversation, author=Author.SYSTEM, author_user=by, text=text, internal=True
    )


@transaction.atomic
def reply_as_agent(
    conversation: Conversation, *, agent: Any, text: str, internal: bool = False
) -> Message:
    """A person answers (or, `internal`, leaves a note for colleagues). A reply makes
    the conversation theirs: the assistant stays silent from then on."""
    text = _clean_text(text)
    locked = _locked(conversation)
    now = timezone.now()
    if not internal:
        changed = []
        if locked.state != State.WITH_HUMAN:
            locked.state = State.WITH_HUMAN
            changed.append("state")
        if locked.assignee_id is None:
            locked.assignee, locked.assigned_at = agent, now
            changed += ["assignee", "assigned_at"]
        if locked.first_response_at is None:
            locked.first_response_at = now
            changed.append("first_response_at")
        if locked.status in (Status.SOLVED, Status.CLOSED):
            # Writing again on a finished request reopens it: it is not resolved any more.
            locked.status, locked.resolved_at = Status.OPEN, None
            changed += ["status", "resolved_at"]
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
    message = Message.objects.create(
        conversation=locked, author=Author.AGENT, author_user=agent, text=text, internal=internal
    )
    if not internal:
        record_conversation_event(
            locked, EventKind.MESSAGE, message=message.pk, author=Author.AGENT
        )
        _schedule_reply_email(locked, message)
    realtime.announce(locked, "note" if internal else "message")
    _copy_state(locked, conversation)
    return message


def _copy_state(source: Conversation, target: Conversation) -> None:
    for field in (
        "state",
        "status",
        "assignee_id",
        "assigned_at",
        "team_id",
        "first_response_at",
        "resolved_at",
    ):
        setattr(target, field, getattr(source, field))


def _schedule_reply_email(conversation: Conversation, message: Message) -> None:
    if conversation.email:
        transaction.on_commit(
            lambda: enqueue(
                "conversations.email_reply",
                message_id=message.pk,
                dedupe_key=f"email-reply:{message.pk}",
            )
        )


@transaction.atomic
def assign(
    conversation: Conversation, *, to: User | None, team: Any = None, by: Any, note: str = ""
) -> Conversation:
    """Give the conversation to an agent and/or a team (a transfer), with an optional
    note for the next person; `to=None` with no team puts it back in its team's queue."""
    locked = _locked(conversation)
    before = realtime.groups_of(locked)
    if to is not None and not to.is_agent:
        raise ValidationError({"to": _("Conversations can only be assigned to staff.")})
    if team is not None:
        locked.team = team
    locked.assignee = to
    locked.assigned_at = timezone.now() if to is not None else None
    if locked.state == State.ASSISTANT:
        locked.state = State.WAITING_HUMAN
    locked.save(update_fields=["team", "assignee", "assigned_at", "state", "updated_at"])
    if to is not None:
        User.objects.filter(pk=to.pk).update(last_assigned_at=locked.assigned_at)
    target = ", ".join(
        str(x) for x in (to.get_full_name() or to.username if to else None, locked.team) if x
    )
    with override(_staff_language(by)):
        text = _("Assigned to %(target)s by %(by)s.") % {
            "target": target or _("the queue"),
            "by": _name(by),
        }
    if note.strip():
        text += "\n" + note.strip()[:MAX_MESSAGE_LENGTH]
    _system_note(locked, text, by=by if getattr(by, "pk", None) else None)
    record_conversation_event(
        locked,
        EventKind.ASSIGNMENT,
        assignee=locked.assignee_id,
        team=locked.team_id,
        by=getattr(by, "pk", None),
    )
    realtime.announce(locked, "assignment", previous_groups=before)
    _copy_state(locked, conversation)
    return conversation


def _name(user: Any) -> str:
    if not getattr(user, "pk", None):
        return _("routing")
    return str(user.get_full_name() or user.username)


def _staff_language(user: Any) -> str:
    return getattr(user, "language", None) or "fr"


@transaction.atomic
def set_status(conversation: Conversation, *, status: str, by: Any) -> Conversation:
    """Open, pending (waiting for the customer), solved (the customer is asked to
    rate it) or closed."""
    if status not in Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    locked = _locked(conversation)
    if locked.status == status:
        return conversation
    locked.status = status
    fields = ["status", "updated_at"]
    if status in (Status.SOLVED, Status.CLOSED):
        locked.state = State.CLOSED
        locked.resolved_at = locked.resolved_at or timezone.now()
        fields += ["state", "resolved_at"]
    elif locked.state == State.CLOSED:
        locked.state = State.WITH_HUMAN if locked.first_response_at else State.WAITING_HUMAN
        locked.resolved_at = None
        fields += ["state", "resolved_at"]
    locked.save(update_fields=fields)
    record_conversation_event(
        locked, EventKind.STATUS_CHANGE, status=status, by=getattr(by, "pk", None)
    )
    if status == Status.SOLVED:
        _offer_rating(locked)
        transaction.on_commit(
            lambda: enqueue(
                "conversations.send_survey",
                conversation_id=locked.pk,
                dedupe_key=f"survey:{locked.pk}",
            )
        )
    realtime.announce(locked, "status")
    _copy_state(locked, conversation)
    conversation.resolved_at = locked.resolved_at
    return conversation


def _offer_rating(conversation: Conversation) -> None:
    """Tell the customer, where they talk with us, that it is solved, with the way to rate it
    (the same survey as the email's link)."""
    survey = surveys.csat_for(conversation)
    with override(conversation.language):
        add_assistant_message(
            conversation,
            text=_(
                "Your advisor marked this request as solved. If it is not, just write here: "
                "it reopens. How did it go?"
            ),
            actions=[
                {
                    "id": "rate",
                    "label": _("Rate this conversation"),
                    "url": surveys.survey_path(survey),
                }
            ],
            author=Author.SYSTEM,
        )


@transaction.atomic
def hand_back(conversation: Conversation, *, by: Any) -> Conversation:
    """An agent gives the conversation back to the assistant (the customer's next
    message is answered by it again, with the way to a person still there)."""
    locked = _locked(conversation)
    locked.state = State.ASSISTANT
    locked.assignee = None
    locked.failed_attempts = 0
    locked.save(update_fields=["state", "assignee", "failed_attempts", "updated_at"])
    with override(locked.language):
        add_assistant_message(
            locked,
            text=_(
                "I'm the automated assistant again. Ask me anything; an advisor is one click away."
            ),
            actions=[{"id": "human", "label": _("Talk to a person")}],
        )
    realtime.announce(locked, "handback")
    _copy_state(locked, conversation)
    return conversation


@transaction.atomic
def merge(duplicate: Conversation, *, into: Conversation, by: Any) -> Conversation:
    """The same need came twice: the duplicate's messages join the original, which
    keeps its history; the duplicate is closed and points to it."""
    if duplicate.pk == into.pk:
        raise ValidationError({"into": _("A conversation cannot be merged into itself.")})
    if (duplicate.customer_id or into.customer_id) and duplicate.customer_id != into.customer_id:
        raise ValidationError({"into": _("Only conversations of the same customer can be merged.")})
    first, second = sorted([duplicate.pk, into.pk])  # lock in a fixed order
    Conversation.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk").count()
    duplicate.messages.update(conversation=into)
    duplicate.merged_into = into
    duplicate.state = State.CLOSED
    duplicate.status = Status.CLOSED
    duplicate.save(update_fields=["merged_into", "state", "status", "updated_at"])
    with override(_staff_language(by)):
        _system_note(
            into,
            _("Conversation #%(id)s merged into this one by %(by)s.")
            % {"id": duplicate.pk, "by": _name(by)},
            by=by,
        )
    realtime.announce(duplicate, "merged")
    realtime.announce(into, "message")
    return into


def _route_handoff(conversation: Conversation) -> None:
    """Give a new handoff its team and agent (routing explains why in one internal
    note), its service-level due dates, and a re-route if the agent does not take it.
    The caller holds the transaction."""
    routing.dispatch(conversation, routing.route(conversation))
    sla.apply_sla(conversation)
    routing.schedule_reroute(conversation)
