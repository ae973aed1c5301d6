"""The conversation lifecycle: every change of a conversation's state, on every channel.

Channels (web chat, contact form, portal, email, phone…) turn what arrives into
calls of these functions; nothing else writes a conversation's `state`,
`status` or assignment. Each transition is allowed by one table
(`TRANSITIONS`), runs in a transaction on the locked row, records its journey
event and announces the change after commit.

    conversation, message = open_conversation(channel="email", customer=…, first_message=…,
                                              wants_person=True, reason=…, signals=…)
    customer_message(conversation, text=…)       # the customer writes again
    hand_off(conversation, reason=…, signals=…)  # a person takes over, with the context packet
    reply_as_agent(conversation, agent=…, text=…)
    set_status(conversation, status="solved", by=…)

`state` says who owns the conversation (the assistant, the queue, a person, or
nobody: closed); `status` says where the work on the request stands, as agents
and the customer see it (open, pending, solved, closed). Closing as solved or
closed always sets both.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton import phones
from ponton.accounts.models import User
from ponton.conversations import realtime, routing, sla, surveys
from ponton.conversations.access import customer_or_none
from ponton.conversations.context import context_packet
from ponton.conversations.events import record_conversation_event
from ponton.conversations.memory import recall, remember
from ponton.conversations.models import (
    Author,
    Conversation,
    ConversationChannel,
    HandoffReason,
    Message,
    State,
    Status,
)
from ponton.conversations.presence import Staffing, staffing
from ponton.conversations.reach import reach_in
from ponton.inputs import DOCUMENT_SPACE
from ponton.journeys.models import EventKind
from ponton.tasks.services import enqueue
from ponton.webhooks import payloads
from ponton.webhooks.services import emit

MAX_MESSAGE_LENGTH = 5000

# A person of the team: whoever answered takes it back, otherwise the queue (resolved when the
# transition runs, from whether a person already answered).
PERSON = "person"
_ALL = tuple(State.values)

# The one table of allowed transitions: (transition, state it starts from) -> the state it
# leaves the conversation in. A pair that is not here is refused (`InvalidTransition`).
TRANSITIONS: dict[tuple[str, str], str] = {
    # The customer asks for a person, a signal says one is needed, or the channel is human.
    **{("hand_off", s): State.WAITING_HUMAN for s in (State.ASSISTANT, State.CLOSED)},
    # An agent or routing gives it to someone (a conversation still with the assistant joins
    # the queue).
    ("assign", State.ASSISTANT): State.WAITING_HUMAN,
    **{("assign", s): s for s in (State.WAITING_HUMAN, State.WITH_HUMAN, State.CLOSED)},
    # A person answers: from then on the assistant stays silent.
    **{("reply", s): State.WITH_HUMAN for s in _ALL},
    # A person picks up the customer's phone call.
    **{("answer_call", s): State.WITH_HUMAN for s in _ALL if s != State.CLOSED},
    # An agent gives it back to the assistant.
    **{("hand_back", s): State.ASSISTANT for s in _ALL if s != State.CLOSED},
    # Waiting for the customer, or work again, without changing who owns it.
    **{("pending", s): s for s in _ALL if s != State.CLOSED},
    ("pending", State.CLOSED): PERSON,
    **{("open", s): s for s in _ALL if s != State.CLOSED},
    ("open", State.CLOSED): PERSON,
    # The work is over, by a person's word or the customer's own (selfcare).
    **{("solve", s): State.CLOSED for s in _ALL},
    **{("close", s): State.CLOSED for s in _ALL},
    # (From the queue: the customer says the article sent with the acknowledgement of their
    # email solved it, before a person answered.)
    **{("resolve_selfcare", s): State.CLOSED for s in (State.ASSISTANT, State.WAITING_HUMAN)},
    # The customer came back after the end: selfcare starts again, or the person takes it.
    ("reopen_selfcare", State.CLOSED): State.ASSISTANT,
    ("reopen_person", State.CLOSED): PERSON,
    # The same need came twice.
    **{("merge", s): State.CLOSED for s in _ALL},
}


class InvalidTransition(ValidationError):
    """A transition the table does not allow from the conversation's current state."""


def _move(conversation: Conversation, transition: str) -> list[str]:
    """Set the state `transition` leads to; the fields changed (none when it stays)."""
    target = TRANSITIONS.get((transition, conversation.state))
    if target is None:
        raise InvalidTransition(
            _("This conversation cannot go from %(state)s through %(transition)s.")
            % {"state": conversation.get_state_display(), "transition": transition}
        )
    if target == PERSON:
        target = State.WITH_HUMAN if conversation.first_response_at else State.WAITING_HUMAN
    if target == conversation.state:
        return []
    conversation.state = target
    return ["state"]


def _locked(conversation: Conversation) -> Conversation:
    """Re-read the row under a lock (callers hold a transaction)."""
    return Conversation.objects.select_for_update().get(pk=conversation.pk)


def _copy_state(source: Conversation, target: Conversation) -> None:
    """Give the caller's copy what the locked row now says."""
    for field in (
        "state",
        "status",
        "assignee_id",
        "assigned_at",
        "team_id",
        "first_response_at",
        "resolved_at",
        "person_requests",
    ):
        setattr(target, field, getattr(source, field))


def clean_text(text: str) -> str:
    """A message's text as stored, or a ValidationError the customer can act on. Trimmed of
    the white space the API document names (`ponton.inputs.DOCUMENT_SPACE`): a text it
    admits as written is not refused here."""
    text = (text or "").strip(DOCUMENT_SPACE)
    if not text:
        raise ValidationError({"text": _("The message is empty.")})
    if len(text) > MAX_MESSAGE_LENGTH:
        raise ValidationError(
            {"text": _("Messages are limited to %(n)s characters.") % {"n": MAX_MESSAGE_LENGTH}}
        )
    return text


# Opening -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    conversation: Conversation
    message: Message
    created: bool  # False: a retry of a request that had already opened it
    # What the customer was told when it went straight to a person (`wants_person`).
    notice: Message | None = None


def opening_key(*, channel: str, sender: str, client_msg_id: str) -> str:
    """What makes two requests the same opening: one sender, one client message id, one channel.
    Without a sender (no visitor cookie, no account) nothing can be matched: no key."""
    if not (sender and client_msg_id):
        return ""
    return hashlib.sha256(f"{channel}\0{sender}\0{client_msg_id}".encode()).hexdigest()


@transaction.atomic
def open_conversation(
    *,
    channel: str,
    first_message: str,
    language: str = "fr",
    customer: Any = None,
    visitor_id: str = "",
    name: str = "",
    email: str = "",
    phone: str = "",
    client_msg_id: str = "",
    message_channel: str = "",
    wants_person: bool = False,
    reason: str = HandoffReason.CUSTOMER_REQUEST,
    signals: list[dict[str, Any]] | None = None,
) -> Opened:
    """The one entry every channel calls when a customer starts a new request.

    The first message is stored with it; `wants_person` (a human channel, a form that asks for
    a person, a callback, a signal read first) hands it off at once with `reason` and
    `signals`. A retried request (same sender, same `client_msg_id`) returns the
    conversation it already opened, even when both arrive at the same instant: the opening
    key is unique in the database."""
    customer = customer_or_none(customer)
    text = clean_text(first_message)
    client_msg_id = (client_msg_id or "")[:64]
    sender = (
        f"customer:{customer.pk}" if customer else (f"visitor:{visitor_id}" if visitor_id else "")
    )
    key = opening_key(channel=channel, sender=sender, client_msg_id=client_msg_id)
    if key:
        existing = Conversation.objects.filter(opening_key=key).first()
        if existing is not None:
            return Opened(existing, _first_message(existing), created=False)
    try:
        with transaction.atomic():  # a savepoint: a concurrent twin's insert wins, we read it
            conversation = Conversation.objects.create(
                customer=customer,
                visitor_id=visitor_id,
                name=(name or (customer.get_full_name() if customer else ""))[:150],
                email=email or (customer.email if customer else ""),
                phone=phones.e164(phone),
                channel=channel,
                state=State.ASSISTANT,
                language=language if language in ("fr", "en") else "fr",
                opening_key=key,
            )
    except IntegrityError:
        existing = Conversation.objects.get(opening_key=key)
        return Opened(existing, _first_message(existing), created=False)
    emit("conversation.created", payloads.conversation(conversation))
    message, _created = customer_message(
        conversation, text=text, client_msg_id=client_msg_id, channel=message_channel or channel
    )
    notice = None
    if wants_person and reason == HandoffReason.CUSTOMER_REQUEST:
        notice = request_person(conversation, signals=signals)
    elif wants_person:
        notice = hand_off(conversation, reason=reason, signals=signals, by="customer")
    return Opened(conversation, message, created=True, notice=notice)


def _first_message(conversation: Conversation) -> Message:
    return conversation.messages.filter(author=Author.CUSTOMER).order_by("id")[0]


# Messages -------------------------------------------------------------------------------------


def customer_message(
    conversation: Conversation,
    *,
    text: str,
    client_msg_id: str = "",
    channel: str = "",
    choice: str = "",
) -> tuple[Message, bool]:
    """Store what the customer sent, once: the same `client_msg_id` twice returns the first
    message and False. A pending or solved request needs work again: it is open.

    Callers hold the conversation's row lock (or created it in this transaction), so the
    check below cannot race with a retry; the unique constraint stays as the last guard."""
    text = clean_text(text)
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
        choice=choice[:64],
        client_msg_id=client_msg_id,
        channel=channel or conversation.channel,
    )
    record_conversation_event(
        conversation, EventKind.MESSAGE, message=message.pk, author=Author.CUSTOMER
    )
    emit("message.created", payloads.message(message))
    if conversation.status in (Status.PENDING, Status.SOLVED):
        Conversation.objects.filter(pk=conversation.pk).update(status=Status.OPEN)
        conversation.status = Status.OPEN
    if conversation.state != State.ASSISTANT:
        if _unreachable(conversation) and not choice:
            _note_reach(conversation, text)
        # While the assistant owns it, the customer's own request gets the answer and no
        # agent's page lists it: a push would only make every inbox re-read for nothing.
        realtime.announce(conversation, "message")
    return message, True


def assistant_message(
    conversation: Conversation,
    *,
    text: str,
    articles: list[dict[str, Any]] | None = None,
    actions: list[dict[str, str]] | None = None,
    author: str = Author.ASSISTANT,
) -> Message:
    """The assistant's turn, or a notice from the system (`author`): no change of state."""
    message = Message.objects.create(
        conversation=conversation,
        author=author,
        text=text,
        articles=articles or [],
        actions=actions or [],
        channel=conversation.channel,
    )
    if author == Author.ASSISTANT:
        emit("message.created", payloads.message(message))
    return message


def system_note(conversation: Conversation, text: str, *, by: Any = None) -> Message:
    """A note for agents only (what happened, what to check): no change of state."""
    return Message.objects.create(
        conversation=conversation,
        author=Author.SYSTEM,
        author_user=by,
        text=text,
        internal=True,
        channel=conversation.channel,
    )


# Handoff and selfcare -----------------------------------------------------------------------


@transaction.atomic
def hand_off(
    conversation: Conversation,
    *,
    reason: str,
    signals: list[dict[str, Any]] | None = None,
    by: str = "assistant",
) -> Message:
    """Give the conversation to a person: queue it with its context packet, route it, and
    tell the customer honestly what happens next."""
    if reason not in HandoffReason.values:
        raise ValueError(f"Unknown handoff reason {reason!r}")
    signals = signals or []
    now = staffing()  # before this conversation joins the queue: nobody waits for themselves
    _move(conversation, "hand_off")
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
        failed_attempts=recall(conversation).failed_attempts,
    )
    routing.dispatch(conversation, routing.route(conversation))
    sla.apply_sla(conversation)
    routing.schedule_reroute(conversation)
    realtime.announce(conversation, "handoff")
    emit("conversation.handed_off", payloads.conversation(conversation, by=by))
    with override(conversation.language):
        notice = _handoff_notice(conversation, now)
        if _unreachable(conversation):
            notice += " " + _(
                "If you may close this page, you can leave an email address or a phone number "
                "here (it is optional) and we will answer you there. Otherwise, simply keep this "
                "page open."
            )
    return assistant_message(conversation, text=notice, author=Author.SYSTEM)


def _unreachable(conversation: Conversation) -> bool:
    """An anonymous chat: once its page is closed, an answer would reach nobody."""
    return (
        conversation.channel == ConversationChannel.CHAT
        and conversation.customer_id is None
        and not conversation.email
        and not conversation.phone
    )


def _note_reach(conversation: Conversation, text: str) -> None:
    """An anonymous customer waiting for a person wrote how to reach them: keep it, and say
    so, so that the answer finds them even after they close the page."""
    found = reach_in(text)
    if not found:
        return
    conversation.email, conversation.phone = found.email, found.phone
    Conversation.objects.filter(pk=conversation.pk).update(email=found.email, phone=found.phone)
    where = [found.email] if found.email else []
    if found.phone:
        where.append(phones.display(found.phone))
    with override(conversation.language):
        text = _("Thank you: we will answer you at %(where)s too.") % {
            "where": _(" and ").join(where)
        }
    Message.objects.create(
        conversation=conversation, author=Author.SYSTEM, text=text, channel=conversation.channel
    )


@transaction.atomic
def request_person(
    conversation: Conversation,
    *,
    signals: list[dict[str, Any]] | None = None,
    by: str = "customer",
) -> Message:
    """The customer asks for a person, with the button or a form (`by` the customer), or in
    words the assistant recognised (`by` the assistant): honoured the first time."""
    conversation.person_requests += 1  # saved by the handoff
    return hand_off(conversation, reason=HandoffReason.CUSTOMER_REQUEST, signals=signals, by=by)


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


@transaction.atomic
def mark_resolved(conversation: Conversation, *, article: int | None, how: str) -> None:
    """The customer says selfcare solved it (`how`: "confirmed", "email_link" or an action's
    name): an autonomous resolution."""
    _move(conversation, "resolve_selfcare")
    conversation.resolved_at = timezone.now()
    conversation.status = Status.SOLVED
    conversation.save(update_fields=["resolved_at", "state", "status", "updated_at"])
    record_conversation_event(conversation, EventKind.SELFCARE_RESOLVED, article=article, how=how)
    realtime.announce(conversation, "status")
    emit("conversation.solved", payloads.conversation(conversation, resolved_by="selfcare"))


@transaction.atomic
def reopen(conversation: Conversation, *, to_person: bool | None = None) -> None:
    """The customer came back to a closed conversation. A request a person handled (or one on
    a human channel: `to_person`) goes back to that person, or to the queue when nobody had
    answered yet, and the customer is told so; otherwise selfcare starts again."""
    if to_person is None:
        to_person = conversation.handed_off_at is not None
    _move(conversation, "reopen_person" if to_person else "reopen_selfcare")
    conversation.resolved_at = None
    fields = ["state", "resolved_at", "updated_at"]
    if to_person and conversation.status in (Status.SOLVED, Status.CLOSED):
        conversation.status = Status.OPEN
        fields.append("status")
    conversation.save(update_fields=fields)
    record_conversation_event(conversation, EventKind.STATUS_CHANGE, status="reopened", by=None)
    if to_person:
        person = conversation.assignee if conversation.state == State.WITH_HUMAN else None
        with override(conversation.language):
            if person is not None:
                text = _("Your request is open again: %(name)s will answer you here.") % {
                    "name": person.get_short_name() or person.get_username()
                }
            else:
                text = _("Your request is open again: an advisor will answer you here.")
        Message.objects.create(
            conversation=conversation,
            author=Author.SYSTEM,
            text=text,
            channel=conversation.channel,
        )
    realtime.announce(conversation, "status")


# Agents --------------------------------------------------------------------------------------


@transaction.atomic
def reply_as_agent(
    conversation: Conversation, *, agent: Any, text: str, internal: bool = False
) -> Message:
    """A person answers (or, `internal`, leaves a note for colleagues). A reply makes
    the conversation theirs: the assistant stays silent from then on."""
    text = clean_text(text)
    locked = _locked(conversation)
    now = timezone.now()
    assigned = False
    if not internal:
        changed = _move(locked, "reply")
        if locked.assignee_id is None:
            assigned = True
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
        conversation=locked,
        author=Author.AGENT,
        author_user=agent,
        text=text,
        internal=internal,
        channel=locked.channel,
    )
    if not internal:
        record_conversation_event(
            locked, EventKind.MESSAGE, message=message.pk, author=Author.AGENT
        )
        _schedule_reply_email(locked, message)
        if assigned:
            emit("conversation.assigned", payloads.conversation(locked))
        emit("message.created", payloads.message(message))
    realtime.announce(locked, "note" if internal else "message")
    _copy_state(locked, conversation)
    return message


@transaction.atomic
def answer_call(conversation: Conversation, *, agent: Any) -> Conversation:
    """A person picked up the customer's phone call: the conversation is theirs, and their
    voice is its first response (the assistant stays silent from then on)."""
    locked = _locked(conversation)
    before = realtime.groups_of(locked)
    now = timezone.now()
    changed = _move(locked, "answer_call")
    assigned = locked.assignee_id != agent.pk
    if assigned:
        locked.assignee, locked.assigned_at = agent, now
        changed += ["assignee", "assigned_at"]
    if locked.first_response_at is None:
        locked.first_response_at = now
        changed.append("first_response_at")
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
    record_conversation_event(
        locked,
        EventKind.ASSIGNMENT,
        assignee=agent.pk,
        team=locked.team_id,
        by=agent.pk,
        how="call",
    )
    if assigned:
        emit("conversation.assigned", payloads.conversation(locked))
    realtime.announce(locked, "assignment", previous_groups=before)
    _copy_state(locked, conversation)
    return conversation


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
    _move(locked, "assign")
    if team is not None:
        locked.team = team
    locked.assignee = to
    locked.assigned_at = timezone.now() if to is not None else None
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
    system_note(locked, text, by=by if getattr(by, "pk", None) else None)
    record_conversation_event(
        locked,
        EventKind.ASSIGNMENT,
        assignee=locked.assignee_id,
        team=locked.team_id,
        by=getattr(by, "pk", None),
    )
    emit("conversation.assigned", payloads.conversation(locked))
    realtime.announce(locked, "assignment", previous_groups=before)
    _copy_state(locked, conversation)
    return conversation


def _name(user: Any) -> str:
    if not getattr(user, "pk", None):
        return _("routing")
    return str(user.get_full_name() or user.username)


def _staff_language(user: Any) -> str:
    return getattr(user, "language", None) or "fr"


# Status: the transition each status is reached by.
_STATUS_TRANSITION = {
    Status.OPEN: "open",
    Status.PENDING: "pending",
    Status.SOLVED: "solve",
    Status.CLOSED: "close",
}


@transaction.atomic
def set_status(conversation: Conversation, *, status: str, by: Any) -> Conversation:
    """Open, pending (waiting for the customer), solved (the customer is asked to
    rate it) or closed."""
    if status not in Status.values:
        raise ValidationError({"status": _("Unknown status.")})
    locked = _locked(conversation)
    if locked.status == status:
        return conversation
    was_closed = locked.state == State.CLOSED
    fields = ["status", "updated_at", *_move(locked, _STATUS_TRANSITION[Status(status)])]
    locked.status = status
    if status in (Status.SOLVED, Status.CLOSED):
        locked.resolved_at = locked.resolved_at or timezone.now()
        fields.append("resolved_at")
    elif was_closed:
        locked.resolved_at = None
        fields.append("resolved_at")
    locked.save(update_fields=fields)
    record_conversation_event(
        locked, EventKind.STATUS_CHANGE, status=status, by=getattr(by, "pk", None)
    )
    if status == Status.SOLVED:
        emit("conversation.solved", payloads.conversation(locked, resolved_by="person"))
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
    return conversation


def _offer_rating(conversation: Conversation) -> None:
    """Tell the customer, where they talk with us, that it is solved, with the way to rate it
    (the same survey as the email's link)."""
    survey = surveys.csat_for(conversation)
    with override(conversation.language):
        assistant_message(
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
    fields = _move(locked, "hand_back")
    locked.assignee = None
    locked.save(update_fields=[*fields, "assignee", "updated_at"])
    remember(locked, failed_attempts=0)  # a fresh start: two more tries before a person
    record_conversation_event(locked, EventKind.HAND_BACK, by=getattr(by, "pk", None))
    with override(locked.language):
        assistant_message(
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
    if into.merged_into_id is not None or duplicate.merged_into_id is not None:
        raise ValidationError({"into": _("This conversation was already merged.")})
    if (duplicate.customer_id or into.customer_id) and duplicate.customer_id != into.customer_id:
        raise ValidationError({"into": _("Only conversations of the same customer can be merged.")})
    first, second = sorted([duplicate.pk, into.pk])  # lock in a fixed order
    Conversation.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk").count()
    duplicate.refresh_from_db(fields=["state", "status"])
    duplicate.messages.update(conversation=into)
    fields = _move(duplicate, "merge")
    duplicate.merged_into = into
    duplicate.status = Status.CLOSED
    duplicate.save(update_fields=[*fields, "merged_into", "status", "updated_at"])
    record_conversation_event(duplicate, EventKind.MERGE, into=into.pk, by=getattr(by, "pk", None))
    with override(_staff_language(by)):
        system_note(
            into,
            _("Conversation #%(id)s merged into this one by %(by)s.")
            % {"id": duplicate.pk, "by": _name(by)},
            by=by,
        )
    realtime.announce(duplicate, "merged")
    realtime.announce(into, "message")
    return into
