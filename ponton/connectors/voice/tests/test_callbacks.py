"""Callbacks become calls: due in the agents' inbox at their slot, made, and when the
customer does not answer, tried once more and then told by email."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client

from ponton.connectors.voice.models import Call, Outcome
from ponton.connectors.voice.tests.conftest import OPEN, PARIS
from ponton.conversations.models import Callback, CallbackStatus, State
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.portal.callbacks import request_callback
from ponton.tasks.services import run_due

SLOT = datetime(2025, 3, 11, 14, 0, tzinfo=PARIS)


@pytest.fixture
def booked(customer: Any) -> Callback:
    with time_machine.travel(OPEN, tick=False):
        return request_callback(customer, starts_at=SLOT, phone="06 12 34 56 78", note="Box")


def _inbox(client: Client) -> str:
    return client.get("/fr/agent/?fragment=1").content.decode()


def test_a_callback_is_due_in_the_inbox_at_its_slot_with_the_number_to_call(
    client: Client, booked: Callback, agent: Any, other_customer: Any
) -> None:
    client.force_login(agent)
    with time_machine.travel(SLOT - timedelta(hours=1), tick=False):
        assert "data-callbacks-due" not in _inbox(client)
    with time_machine.travel(SLOT, tick=False):
        page = _inbox(client)
    assert f'data-callback="{booked.pk}"' in page
    assert 'href="tel:0612345678"' in page
    assert f"/fr/agent/c/{booked.conversation_id}/" in page  # the request, with its packet


def test_a_reached_callback_is_done_and_recorded_as_a_call(
    client: Client, booked: Callback, agent: Any
) -> None:
    client.force_login(agent)
    with time_machine.travel(SLOT + timedelta(minutes=3), tick=False):
        client.post(f"/fr/agent/calls/callbacks/{booked.pk}/outcome", {"outcome": "reached"})
        assert "data-callbacks-due" not in _inbox(client)
    booked.refresh_from_db()
    assert booked.status == CallbackStatus.DONE
    call = Call.objects.get(callback=booked)
    assert (call.inbound, call.outcome, call.agent) == (False, Outcome.ANSWERED, agent)
    assert booked.conversation.state == State.WITH_HUMAN
    assert JourneyEvent.objects.filter(kind=EventKind.CALL, data__call=call.pk).exists()


def test_a_missed_callback_is_tried_once_more_then_the_customer_is_emailed(
    client: Client, booked: Callback, agent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(agent)
    url = f"/fr/agent/calls/callbacks/{booked.pk}/outcome"
    with time_machine.travel(SLOT + timedelta(minutes=2), tick=False):
        client.post(url, {"outcome": "no_answer"})
        assert f'data-callback="{booked.pk}"' not in _inbox(client)  # not before its retry
    booked.refresh_from_db()
    assert (booked.status, booked.attempts) == (CallbackStatus.REQUESTED, 1)
    with time_machine.travel(booked.retry_at + timedelta(minutes=1), tick=False):
        assert f'data-callback="{booked.pk}"' in _inbox(client)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url, {"outcome": "no_answer"})
        run_due()
    booked.refresh_from_db()
    assert (booked.status, booked.attempts) == (CallbackStatus.MISSED, 2)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [booked.customer.email]
    assert "06 12 34 56 78" in mail.outbox[0].body
    assert Call.objects.filter(callback=booked, outcome=Outcome.MISSED).count() == 2


def test_an_agent_of_another_team_cannot_record_a_callback(
    client: Client, booked: Callback, agent: Any, other_team_agent: Any
) -> None:
    from ponton.conversations.models import Conversation

    Conversation.objects.filter(pk=booked.conversation_id).update(team=agent.teams.get())
    client.force_login(other_team_agent)
    response = client.post(f"/fr/agent/calls/callbacks/{booked.pk}/outcome", {"outcome": "reached"})
    assert response.status_code == 404
    booked.refresh_from_db()
    assert booked.status == CallbackStatus.REQUESTED
