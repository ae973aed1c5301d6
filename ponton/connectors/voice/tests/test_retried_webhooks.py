"""A provider that did not get our answer in time posts the same webhook again: the call,
its conversation and its journey event are recorded once, keyed on the provider's CallSid."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ponton.conftest import KB
from ponton.connectors.voice.models import Call
from ponton.connectors.voice.tests.conftest import CLAIRE_PHONE
from ponton.connectors.voice.tests.fake_provider import FakeProvider, spoken
from ponton.conversations.models import Conversation
from ponton.journeys.models import EventKind, JourneyEvent

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("open_hours")
def test_a_call_whose_webhooks_are_posted_twice_is_recorded_once(
    client: Client, kb: KB, caller: Any, online: Any
) -> None:
    provider = FakeProvider(client, call_sid="CA" + "7" * 32, from_number=CLAIRE_PHONE)

    greeting = spoken(provider.call())
    assert spoken(provider.call()) == greeting  # the retry is answered as the first post
    provider.press("0")
    provider.hang_up(60)
    provider.hang_up(60)

    call = Call.objects.get(sid=provider.call_sid)
    assert Conversation.objects.filter(pk=call.conversation_id).count() == 1
    assert Conversation.objects.count() == 1
    assert JourneyEvent.objects.filter(kind=EventKind.CALL, customer=caller).count() == 1
