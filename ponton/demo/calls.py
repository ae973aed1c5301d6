"""Two past phone calls for the demo, made through the same services as real ones: a
customer whose question the voice menu answered, and a call a phone system put through
to an advisor (screen-pop, record, wrap-up). They are then moved back in time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import F

from ponton.accounts.models import User
from ponton.connectors.voice import calls, menu
from ponton.connectors.voice.models import Call
from ponton.conversations.models import Conversation, Message
from ponton.journeys.models import JourneyEvent
from ponton.knowledge.models import ArticleTranslation, Category, Status

QUESTIONS = ["Où trouver ma facture ?", "J'ai oublié mon mot de passe"]


def _menu_call(customer: Any) -> Call:
    number = customer.profile.phone
    turn = menu.Turn(call_sid="CAdemo" + "0" * 28, from_number=number, to_number="+33199001234")
    menu.incoming(turn)
    question = next(
        (
            q
            for q in QUESTIONS
            if ArticleTranslation.objects.filter(
                status=Status.PUBLISHED, language="fr", questions__icontains=q[:12]
            ).exists()
        ),
        QUESTIONS[0],
    )
    menu.answer(
        menu.Turn(call_sid=turn.call_sid, from_number=number, speech=question), step=menu.Step.NEED
    )
    call = Call.objects.get(sid=turn.call_sid)
    if call.step == menu.Step.FEEDBACK:
        menu.answer(menu.Turn(call_sid=turn.call_sid, digits="1"), step=menu.Step.FEEDBACK)
    else:  # the menu could not answer: a person, as a caller would press 0
        menu.answer(menu.Turn(call_sid=turn.call_sid, digits="0"), step=call.step or "need")
    menu.status(
        menu.Turn(call_sid=turn.call_sid, fields={"CallStatus": "completed", "CallDuration": "96"})
    )
    return Call.objects.get(sid=turn.call_sid)


def _phone_system_call(customer: Any, advisor: User) -> Call:
    number = customer.profile.phone or "+33600000042"
    for event in ("ringing", "answered"):
        calls.phone_event(
            calls.PhoneEvent(
                event=event,
                call_id="pbx-demo-1",
                from_number=number,
                to_number="3900",
                agent=advisor.username,
            )
        )
    call = calls.phone_event(
        calls.PhoneEvent(event="ended", call_id="pbx-demo-1", agent=advisor.username, duration=312)
    )
    reason = Category.objects.order_by("position").values_list("slug", flat=True).first() or ""
    calls.wrap_up(
        call,
        agent=advisor,
        note="Facture expliquée : option TV ajoutée par erreur, avoir de 10 € en cours.",
        reason=reason,
        solved=True,
    )
    return call


def _move_back(call_ids: list[int], delta: timedelta) -> None:
    """Move the calls, their conversations, messages and journey steps `delta` earlier."""
    conversations = list(
        Call.objects.filter(pk__in=call_ids, conversation__isnull=False).values_list(
            "conversation_id", flat=True
        )
    )
    for field in ("started_at", "ringing_at", "answered_at", "ended_at"):
        Call.objects.filter(pk__in=call_ids, **{f"{field}__isnull": False}).update(
            **{field: F(field) - delta}
        )
    for field in (
        "created_at",
        "updated_at",
        "handed_off_at",
        "resolved_at",
        "first_response_at",
        "assigned_at",
        "first_response_due",
        "resolution_due",
    ):
        Conversation.objects.filter(pk__in=conversations, **{f"{field}__isnull": False}).update(
            **{field: F(field) - delta}
        )
    Message.objects.filter(conversation_id__in=conversations).update(
        created_at=F("created_at") - delta
    )
    events = JourneyEvent.objects.filter(data__call__in=call_ids) | JourneyEvent.objects.filter(
        data__conversation__in=conversations
    )
    JourneyEvent.objects.filter(pk__in=list(events.values_list("pk", flat=True))).update(
        occurred_at=F("occurred_at") - delta
    )


def past_calls(customers: list[Any]) -> int:
    """Two calls of yesterday and the day before; how many."""
    advisor = User.objects.filter(username="agent").first()
    client = next((c for c in customers if c.username == "client"), None)
    other = next((c for c in customers if c.username != "client"), None)
    made = 0
    if client is not None:
        _move_back([_menu_call(client).pk], timedelta(days=2, hours=3))
        made += 1
    if other is not None and advisor is not None:
        _move_back([_phone_system_call(other, advisor).pk], timedelta(days=1, hours=2))
        made += 1
    return made
