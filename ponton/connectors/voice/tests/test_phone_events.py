"""Any phone system posts its call events: ringing pops the caller on the agent's screen,
answered gives them the conversation, ended records the call in the conversation and
the journey."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from ponton.accounts.services import create_api_token
from ponton.connectors.voice import calls
from ponton.connectors.voice.models import AgentLine, Call, CallStatus, Outcome
from ponton.connectors.voice.tests.conftest import CLAIRE_PHONE
from ponton.conversations.models import Conversation, ConversationChannel, State
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.journeys.services import record_event

pytestmark = pytest.mark.usefixtures("open_hours")


def _post(client: Client, token: str, **body: Any) -> Any:
    return client.post(
        "/api/v1/voice/events",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_a_call_from_a_phone_system_rings_is_answered_and_ends_as_a_record(
    client: Client, caller: Any, agent: Any
) -> None:
    token = create_api_token(agent)
    record_event(EventKind.SEARCH, customer=caller, data={"query": "box clignote", "results": 2})
    ringing = _post(
        client,
        token,
        event="ringing",
        call_id="pbx-1",
        **{"from": "06 12 34 56 78", "to": "3900"},
        agent="karim",
    )
    assert ringing.status_code == 200, ringing.content
    assert ringing.json()["customer"] == caller.pk and ringing.json()["conversation"] is None
    call = Call.objects.get(sid="pbx-1")
    pop = calls.screen_pop(call)
    assert pop.caller == "Claire Martin"
    assert pop.customer["customer_number"] == "40012345"
    assert [e.data.get("query") for e in pop.journey] == ["box clignote"]
    assert list(calls.live_calls(agent)) == [call]

    answered = _post(client, token, event="answered", call_id="pbx-1", agent="karim")
    conversation = Call.objects.get(sid="pbx-1").conversation
    assert answered.json()["conversation"] == conversation.pk
    assert conversation.channel == ConversationChannel.PHONE
    assert (conversation.state, conversation.assignee) == (State.WITH_HUMAN, agent)
    assert conversation.first_response_at is not None

    ended = _post(
        client,
        token,
        event="ended",
        call_id="pbx-1",
        agent="karim",
        duration=245,
        recording_url="https://pbx.example.com/rec/pbx-1.mp3",
    )
    assert ended.json()["status"] == CallStatus.ENDED
    call.refresh_from_db()
    assert (call.duration_seconds, call.outcome) == (245, Outcome.ANSWERED)
    assert call.recording_url == "https://pbx.example.com/rec/pbx-1.mp3"
    note = conversation.messages.filter(internal=True).last()
    assert "4 min 05 s" in note.text and "Karim Benali" in note.text
    event = JourneyEvent.objects.get(kind=EventKind.CALL, customer=caller)
    assert (event.channel, event.data["duration"], event.data["agent"]) == ("phone", 245, agent.pk)
    assert not calls.live_calls(agent).exists()
    # The same "ended" again records nothing twice.
    _post(client, token, event="ended", call_id="pbx-1", agent="karim", duration=245)
    assert JourneyEvent.objects.filter(kind=EventKind.CALL).count() == 1


def test_an_agent_may_be_named_by_extension(client: Client, agent: Any) -> None:
    AgentLine.objects.create(user=agent, extension="204")
    token = create_api_token(agent)
    response = _post(
        client, token, event="ringing", call_id="pbx-2", agent="204", **{"from": "+33700000009"}
    )
    assert response.json()["agent"] == agent.username


def test_an_unknown_agent_or_event_is_refused_with_its_reason(client: Client, agent: Any) -> None:
    token = create_api_token(agent)
    unknown = _post(client, token, event="ringing", call_id="pbx-3", agent="nobody")
    assert unknown.status_code == 400 and "agent" in unknown.json()["errors"]
    wrong = _post(client, token, event="picked_up", call_id="pbx-3")
    assert wrong.status_code == 400 and "event" in wrong.json()["errors"]
    bad_link = _post(client, token, event="ended", call_id="pbx-3", recording_url="ftp://x/y")
    assert bad_link.status_code == 400


def test_a_call_longer_than_the_column_holds_is_refused_not_a_server_error(
    client: Client, agent: Any
) -> None:
    token = create_api_token(agent)
    _post(client, token, event="ringing", call_id="pbx-9", **{"from": "+33700000009"})
    endless = _post(client, token, event="ended", call_id="pbx-9", duration=2**31)
    assert endless.status_code == 400 and "duration" in endless.json()["errors"]


def test_a_customer_or_no_token_cannot_post_call_events(client: Client, customer: Any) -> None:
    assert _post(client, "not-a-token", event="ringing", call_id="x").status_code == 401
    token = create_api_token(customer)
    assert _post(client, token, event="ringing", call_id="x").status_code == 403
    assert not Call.objects.exists()


def test_a_missed_call_is_recorded_without_a_conversation(
    client: Client, caller: Any, agent: Any
) -> None:
    token = create_api_token(agent)
    _post(client, token, event="ringing", call_id="pbx-4", agent="karim", **{"from": CLAIRE_PHONE})
    _post(client, token, event="ended", call_id="pbx-4", duration=20)
    call = Call.objects.get(sid="pbx-4")
    assert (call.outcome, call.conversation) == (Outcome.MISSED, None)
    assert JourneyEvent.objects.get(kind=EventKind.CALL).customer == caller


def test_the_agent_wraps_up_a_call_with_a_note_and_a_reason_in_one_step(
    client: Client, caller: Any, agent: Any, kb: Any, other_team_agent: Any
) -> None:
    token = create_api_token(agent)
    for event in ("ringing", "answered", "ended"):
        _post(client, token, event=event, call_id="pbx-5", agent="karim", **{"from": CLAIRE_PHONE})
    call = Call.objects.get(sid="pbx-5")
    # The front team's request: an agent of another team, or a customer, cannot touch it.
    Conversation.objects.filter(pk=call.conversation_id).update(team=agent.teams.get())
    url = f"/fr/agent/calls/{call.pk}/wrap-up"
    for outsider_user, refused in ((other_team_agent, 404), (caller, 403)):
        outsider = Client()
        outsider.force_login(outsider_user)
        assert outsider.post(url, {"note": "x"}).status_code == refused
    client.force_login(agent)
    page = client.get(f"/fr/agent/c/{call.conversation_id}/")
    assert b"data-calls" in page.content and url.encode() in page.content
    client.post(url, {"note": "Box redémarrée ensemble.", "reason": "box-wifi", "solved": "1"})
    call.refresh_from_db()
    assert call.reason == "box-wifi" and call.wrapped_up_at is not None
    conversation = call.conversation
    conversation.refresh_from_db()
    assert conversation.status == "solved"
    assert conversation.messages.filter(internal=True, text__contains="Box redémarrée").exists()
    assert JourneyEvent.objects.get(kind=EventKind.CALL).data["reason"] == "box-wifi"


def test_recording_links_are_forgotten_after_the_retention_period(
    client: Client, agent: Any, settings: Any
) -> None:
    from ponton.connectors.voice.tasks import purge_recordings

    token = create_api_token(agent)
    _post(
        client,
        token,
        event="ended",
        call_id="pbx-6",
        duration=30,
        recording_url="https://pbx.example.com/rec/6.mp3",
    )
    settings.PONTON_RECORDING_RETENTION_DAYS = 30
    with time_machine.travel(timezone.now() + timedelta(days=29), tick=False):
        purge_recordings()
    assert Call.objects.get(sid="pbx-6").recording_url
    with time_machine.travel(timezone.now() + timedelta(days=31), tick=False):
        purge_recordings()
    call = Call.objects.get(sid="pbx-6")
    assert call.recording_url == "" and call.recording_purged_at is not None
