"""Call records for any phone system: ringing (a screen-pop for the agent it rings),
answered (the conversation is theirs), ended (a record in the conversation and the
journey: duration, agent, outcome). The voice menu's calls end here too."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton import phones
from ponton.accounts.models import STAFF_ROLES, User
from ponton.connectors.voice import numbers
from ponton.connectors.voice.models import AgentLine, Call, CallSource, CallStatus, Outcome
from ponton.conversations import lifecycle, realtime
from ponton.conversations.access import access_conversation
from ponton.conversations.models import ConversationChannel, HandoffReason, State, Status
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.journeys.services import record_event, timeline

# A call still "ringing" or "in progress" this long after it started lost its end event.
STALE_CALL = timedelta(hours=4)
POP_JOURNEY = 12
POP_TRANSCRIPT = 8
_CALLER_NAMESPACE = uuid.UUID("5b0c8c59-8a5e-4f37-9d0b-2f0c6a4e7c1d")

# No call lasts a week; a larger duration is an error, and would not fit the column.
MAX_CALL_SECONDS = 7 * 24 * 3600


class Event:
    RINGING = "ringing"
    ANSWERED = "answered"
    ENDED = "ended"
    ALL = (RINGING, ANSWERED, ENDED)


def caller_visitor_id(call: Call) -> str:
    """An unknown caller's journey is one visitor: every step of the call in one session."""
    if call.customer_id:
        return ""
    return str(uuid.uuid5(_CALLER_NAMESPACE, call.sid))


def record_step(call: Call, kind: str, **data: Any) -> JourneyEvent:
    """A step of the call in the caller's journey, on the phone channel."""
    return record_event(
        kind,
        customer=call.customer,
        visitor_id=caller_visitor_id(call),
        channel=ConversationChannel.PHONE,
        language=call.language,
        data={
            **({"conversation": call.conversation_id} if call.conversation_id else {}),
            "call": call.pk,
            **data,
        },
    )


def clean_recording_url(url: str) -> str:
    """A recording is kept as a link (http or https), never fetched."""
    url = (url or "").strip()
    if not url:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError(
            {"recording_url": _("The recording URL must be an http(s) link.")}
        ) from None
    if len(url) > 500:
        raise ValidationError({"recording_url": _("The recording URL is too long.")})
    return url


def agent_named(ref: str) -> User | None:
    """The staff member a phone system names: a username, else an extension."""
    ref = (ref or "").strip()
    if not ref:
        return None
    user = User.objects.filter(username=ref, role__in=STAFF_ROLES, is_active=True).first()
    if user is not None:
        return user
    line = AgentLine.objects.select_related("user").filter(extension=ref).first()
    return line.user if line is not None and line.user.is_active else None


def _agent_name(user: User | None) -> str:
    return str(user.get_full_name() or user.username) if user else ""


def duration_text(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    minutes, rest = divmod(int(seconds), 60)
    return (
        _("%(m)s min %(s)02d s") % {"m": minutes, "s": rest}
        if minutes
        else _("%(s)s s") % {"s": rest}
    )


# Phone-system events --------------------------------------------------------------------


@dataclass(frozen=True)
class PhoneEvent:
    event: str
    call_id: str
    from_number: str = ""
    to_number: str = ""
    agent: str = ""
    duration: int | None = None
    recording_url: str = ""
    inbound: bool = True


@transaction.atomic
def phone_event(event: PhoneEvent) -> Call:
    """One event from a phone system; the same event twice changes nothing more."""
    if event.event not in Event.ALL:
        raise ValidationError({"event": _("Unknown event: ringing, answered or ended.")})
    agent = agent_named(event.agent)
    if event.agent and agent is None:
        raise ValidationError({"agent": _("No agent has this username or extension.")})
    recording_url = clean_recording_url(event.recording_url)
    call = Call.objects.select_for_update().filter(sid=event.call_id).first()
    if call is None:
        caller = event.from_number if event.inbound else event.to_number
        call = Call.objects.create(
            sid=event.call_id,
            source=CallSource.PHONE_SYSTEM,
            inbound=event.inbound,
            from_number=phones.e164(event.from_number) or event.from_number[:40],
            to_number=phones.e164(event.to_number) or event.to_number[:40],
            customer=numbers.customer_for(caller),
            status=CallStatus.RINGING,
        )
        if call.customer is not None:
            call.language = call.customer.language
    if agent is not None:
        call.agent = agent
        call.agent_ref = event.agent[:150]
    if event.event == Event.RINGING:
        if call.status in (CallStatus.IN_MENU, CallStatus.RINGING):
            call.status = CallStatus.RINGING
            call.ringing_at = call.ringing_at or timezone.now()
        call.save()
    elif event.event == Event.ANSWERED:
        answer(call, agent=agent)
    else:
        end_call(call, duration=event.duration, recording_url=recording_url)
    if call.agent_id:
        realtime.announce_call(call.agent_id, call.pk)
    return call


def answer(call: Call, *, agent: User | None) -> None:
    """A person took the call: the conversation (opened now for a call that did not come
    through the voice menu) is theirs."""
    if call.status == CallStatus.ENDED:
        return
    call.status = CallStatus.ANSWERED
    call.answered_at = call.answered_at or timezone.now()
    if agent is not None:
        if call.conversation is None:
            call.conversation = _open_for(call)
        if call.conversation.state != State.CLOSED:
            lifecycle.answer_call(call.conversation, agent=agent)
    call.save()


def _open_for(call: Call) -> Any:
    """A phone call that reached a person without the voice menu: a human channel."""
    with override(call.language):
        if call.inbound:
            text = _("Phone call from %(number)s.") % {
                "number": phones.display(call.from_number) or _("a hidden number")
            }
        else:
            text = _("Phone call to %(number)s.") % {"number": phones.display(call.to_number)}
    return lifecycle.open_conversation(
        channel=ConversationChannel.PHONE,
        first_message=text,
        language=call.language,
        customer=call.customer,
        visitor_id=caller_visitor_id(call),
        name="" if call.customer else phones.display(call.from_number),
        phone=call.from_number,
        wants_person=True,
        reason=HandoffReason.HUMAN_CHANNEL,
    ).conversation


def end_call(
    call: Call,
    *,
    duration: int | None = None,
    recording_url: str = "",
    outcome: str = "",
    at: datetime | None = None,
) -> None:
    """The call is over: its record in the conversation and the journey, once."""
    if recording_url and not call.recording_purged_at:
        call.recording_url = recording_url
    if call.status == CallStatus.ENDED:
        call.save()
        return
    now = at or timezone.now()
    call.ended_at = now
    if duration is None and call.answered_at is not None:
        duration = int((now - call.answered_at).total_seconds())
    elif duration is None:
        duration = int((now - call.started_at).total_seconds())
    call.duration_seconds = min(max(0, int(duration)), MAX_CALL_SECONDS)
    if outcome:
        call.outcome = outcome
    elif call.answered_at is not None and call.source != CallSource.MENU:
        call.outcome = Outcome.ANSWERED
    elif not call.outcome:
        call.outcome = Outcome.ABANDONED if call.source == CallSource.MENU else Outcome.MISSED
    call.status = CallStatus.ENDED
    call.save()
    record_step(
        call,
        EventKind.CALL,
        source=call.source,
        inbound=call.inbound,
        duration=call.duration_seconds,
        agent=call.agent_id,
        agent_name=_agent_name(call.agent),
        outcome=call.outcome,
    )
    conversation = call.conversation
    if conversation is not None:
        with override(conversation.language):
            lifecycle.system_note(conversation, call_summary(call))
        realtime.announce(conversation, "call")


def call_summary(call: Call) -> str:
    """ "Phone call in, 4 min 12 s, Karim Benali: answered." in the active language."""
    return _("Phone call %(way)s, %(duration)s%(agent)s: %(outcome)s.") % {
        "way": _("in") if call.inbound else _("out"),
        "duration": duration_text(call.duration_seconds),
        "agent": f", {_agent_name(call.agent)}" if call.agent_id else "",
        "outcome": Outcome(call.outcome).label if call.outcome else "",
    }


# The agent's side ---------------------------------------------------------------------------


@dataclass
class ScreenPop:
    """What the agent reads before picking up: who calls, why, and what they did."""

    call: Call
    caller: str
    number: str
    customer: dict[str, Any]
    packet: dict[str, Any]
    transcript: list[dict[str, Any]]
    journey: list[JourneyEvent]


def live_calls(agent: User, *, now: datetime | None = None) -> QuerySet[Call]:
    """The calls ringing for this agent or under way with them."""
    since = (now or timezone.now()) - STALE_CALL
    return (
        Call.objects.filter(
            agent=agent,
            status__in=[CallStatus.RINGING, CallStatus.ANSWERED],
            started_at__gte=since,
        )
        .select_related("customer__profile", "conversation")
        .order_by("-started_at")
    )


def screen_pop(call: Call) -> ScreenPop:
    conversation = call.conversation
    packet = (conversation.context or {}) if conversation is not None else {}
    customer = dict(packet.get("customer") or {})
    if call.customer is not None and not customer:
        profile = getattr(call.customer, "profile", None)
        customer = {
            "name": call.customer.get_full_name() or call.customer.username,
            "email": call.customer.email,
            "customer_number": getattr(profile, "customer_number", ""),
            "plan": getattr(profile, "plan", ""),
            "segment": getattr(profile, "segment", ""),
            "accessibility_needs": getattr(profile, "accessibility_needs", ""),
        }
    transcript = list(packet.get("transcript") or [])
    if not transcript and conversation is not None:
        transcript = [
            {"author": m.author, "text": m.text}
            for m in conversation.messages.filter(internal=False).order_by("-id")[:POP_TRANSCRIPT]
        ][::-1]
    journey: list[JourneyEvent] = []
    if call.customer is not None:
        journey = list(
            timeline(call.customer, since=timezone.now() - timedelta(hours=24)).reverse()[
                :POP_JOURNEY
            ]
        )
    return ScreenPop(
        call=call,
        caller=customer.get("name") or phones.display(call.from_number) or _("Hidden number"),
        number=phones.display(call.from_number if call.inbound else call.to_number),
        customer=customer,
        packet=packet,
        transcript=transcript[-POP_TRANSCRIPT:],
        journey=journey,
    )


def access_call(user: Any, call_id: int) -> Call:
    """A call whose conversation `user` may read; the same 404 otherwise."""
    call = Call.objects.select_related("conversation", "agent").filter(pk=call_id).first()
    if call is None or call.conversation_id is None:
        raise Http404
    access_conversation(user, call.conversation_id)
    return call


@transaction.atomic
def wrap_up(
    call: Call, *, agent: User, note: str = "", reason: str = "", solved: bool = False
) -> Call:
    """After the call, in one step: the agent's note, why the customer called, and
    whether it is solved."""
    note, reason = note.strip(), reason.strip()[:64]
    if not (note or reason or solved):
        raise ValidationError({"note": _("Write a note, choose a reason or mark it solved.")})
    locked = Call.objects.select_for_update().get(pk=call.pk)
    conversation = locked.conversation
    if conversation is None:
        raise ValidationError({"note": _("This call has no conversation.")})
    if reason:
        locked.reason = reason
    locked.wrapped_up_at = timezone.now()
    locked.save(update_fields=["reason", "wrapped_up_at"])
    if reason:
        for event in JourneyEvent.objects.filter(kind=EventKind.CALL, data__call=locked.pk):
            event.data = {**event.data, "reason": reason}
            event.save(update_fields=["data"])
    if note:
        with override(getattr(agent, "language", "fr") or "fr"):
            text = _("Call note: %(note)s") % {"note": note}
        lifecycle.reply_as_agent(conversation, agent=agent, text=text, internal=True)
    if solved and conversation.status != Status.SOLVED:
        lifecycle.set_status(conversation, status=Status.SOLVED, by=agent)
    return locked


def calls_of(conversation_id: int) -> list[Call]:
    return list(
        Call.objects.filter(conversation_id=conversation_id)
        .select_related("agent")
        .order_by("started_at")
    )


def purge_recordings(*, retention_days: int, now: datetime | None = None) -> int:
    """Forget the links to recordings older than the retention period; how many."""
    now = now or timezone.now()
    return Call.objects.filter(
        ended_at__lt=now - timedelta(days=retention_days), recording_url__gt=""
    ).update(recording_url="", recording_purged_at=now)
