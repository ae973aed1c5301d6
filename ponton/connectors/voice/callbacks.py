"""Callbacks become calls: a booked callback is due in the agents' inbox at its slot,
with its request's context packet; the agent calls (through the provider, or from their
own phone with the number shown as a tel: link) and records the outcome. A callback
that does not reach the customer is tried once more, then the customer is emailed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton import phones
from ponton.accounts.models import User
from ponton.connectors.voice import calls, provider
from ponton.connectors.voice.models import AgentLine, Call, CallSource, CallStatus, Outcome
from ponton.connectors.voice.signature import public_url
from ponton.conversations import access, lifecycle, realtime
from ponton.conversations.models import Callback, CallbackStatus
from ponton.portal.callbacks import describe
from ponton.tasks.services import enqueue

# Shown a little before its slot, so the agent is ready when it starts.
DUE_AHEAD = timedelta(minutes=5)
RETRY_AFTER = timedelta(minutes=30)
MAX_ATTEMPTS = 2


def due_callbacks(user: User, *, now: datetime | None = None) -> QuerySet[Callback]:
    """The callbacks to make now, in the agent's scope: their slot has come (or their
    retry), oldest first."""
    now = now or timezone.now()
    due = Q(retry_at__isnull=True, starts_at__lte=now + DUE_AHEAD) | Q(retry_at__lte=now)
    return (
        Callback.objects.filter(due, status=CallbackStatus.REQUESTED)
        .filter(conversation__in=access.visible_conversations(user))
        .select_related("conversation", "customer")
        .order_by("starts_at")
    )


def access_callback(user: Any, callback_id: int) -> Callback:
    """A callback whose request `user` may work; the same 404 otherwise."""
    callback = Callback.objects.select_related("conversation").filter(pk=callback_id).first()
    if callback is None or callback.conversation_id is None:
        raise Http404
    access.access_conversation(user, callback.conversation_id)
    return callback


def can_click_to_call(agent: User) -> bool:
    line = AgentLine.objects.filter(user=agent).first()
    return provider.configured() and line is not None and bool(line.sip or phones.e164(line.number))


@transaction.atomic
def place_callback(callback: Callback, *, agent: User) -> Call:
    """Click-to-call: the provider rings the agent's line, then dials the customer."""
    line = AgentLine.objects.filter(user=agent).first()
    if not provider.configured() or line is None or not (line.sip or phones.e164(line.number)):
        raise ValidationError(_("Click-to-call needs a telephony provider and your own line."))
    bridge = public_url(reverse("api:voice-bridge", args=[callback.pk]))
    sid = provider.place_call(to=line.sip or phones.e164(line.number), url=bridge)
    call = Call.objects.create(
        sid=sid or f"callback-{callback.pk}-{callback.attempts + 1}",
        source=CallSource.CALLBACK,
        inbound=False,
        from_number=phones.e164(line.number) or line.sip[:40],
        to_number=phones.e164(callback.phone) or callback.phone[:40],
        customer=callback.customer,
        conversation=callback.conversation,
        callback=callback,
        language=callback.conversation.language if callback.conversation else "fr",
        status=CallStatus.RINGING,
        agent=agent,
        ringing_at=timezone.now(),
    )
    realtime.announce_call(agent.pk, call.pk)
    return call


@transaction.atomic
def record_outcome(callback: Callback, *, agent: User, reached: bool, note: str = "") -> Callback:
    """The agent says how the callback went: reached (done), or no answer (tried once
    more later, then the customer is emailed)."""
    locked = (
        Callback.objects.select_for_update(of=("self",))
        .select_related("conversation")
        .get(pk=callback.pk)
    )
    if locked.status != CallbackStatus.REQUESTED:
        raise ValidationError(_("This callback is already closed."))
    conversation = locked.conversation
    now = timezone.now()
    call = (
        Call.objects.select_for_update()
        .filter(callback=locked, status__in=[CallStatus.RINGING, CallStatus.ANSWERED])
        .order_by("-started_at")
        .first()
    )
    if call is None:
        call = Call.objects.create(
            sid=f"callback-{locked.pk}-{locked.attempts + 1}",
            source=CallSource.CALLBACK,
            inbound=False,
            to_number=phones.e164(locked.phone) or locked.phone[:40],
            customer=locked.customer,
            conversation=conversation,
            callback=locked,
            language=conversation.language if conversation else "fr",
            status=CallStatus.RINGING,
            agent=agent,
            started_at=now,
        )
    call.agent = agent
    if reached:
        if call.answered_at is None:
            call.answered_at = call.started_at
        calls.end_call(call, outcome=Outcome.ANSWERED)
        locked.status = CallbackStatus.DONE
        if conversation is not None and conversation.state != "closed":
            lifecycle.answer_call(conversation, agent=agent)
    else:
        calls.end_call(call, outcome=Outcome.MISSED)
        locked.attempts += 1
        if locked.attempts < MAX_ATTEMPTS:
            locked.retry_at = now + RETRY_AFTER
        else:
            locked.status = CallbackStatus.MISSED
            transaction.on_commit(
                lambda: enqueue(
                    "voice.callback_missed",
                    callback_id=locked.pk,
                    dedupe_key=f"callback-missed:{locked.pk}",
                )
            )
    locked.save(update_fields=["status", "attempts", "retry_at"])
    if conversation is not None:
        with override(conversation.language):
            if reached:
                text = _("Callback made: the customer was reached.")
            elif locked.status == CallbackStatus.MISSED:
                text = _("Callback not answered twice: the customer is told by email.")
            else:
                text = _("Callback not answered: it is due again at %(when)s.") % {
                    "when": timezone.localtime(locked.retry_at).strftime("%H:%M")
                    if locked.retry_at
                    else ""
                }
        lifecycle.system_note(conversation, text)
        if note.strip():
            lifecycle.reply_as_agent(conversation, agent=agent, text=note, internal=True)
        realtime.announce(conversation, "callback")
    realtime.announce_call(agent.pk, call.pk)
    return locked


def missed_email(callback: Callback) -> tuple[str, str, str] | None:
    """(address, subject, body) telling the customer we could not reach them, or None."""
    conversation = callback.conversation
    address = (conversation.email if conversation else "") or (
        callback.customer.email if callback.customer else ""
    )
    if not address:
        return None
    language = conversation.language if conversation else "fr"
    with override(language):
        subject = _("We tried to call you back")
        body = _(
            "Hello,\n\nAn advisor tried twice to call you back on %(phone)s, as booked for "
            "%(when)s, without reaching you.\n\nYour request #%(id)s stays open: reply to this "
            "email, book another callback in your customer space, or call us.\n"
        ) % {
            "phone": callback.phone,
            "when": describe(callback.starts_at),
            "id": conversation.pk if conversation else "",
        }
    return address, subject, body
