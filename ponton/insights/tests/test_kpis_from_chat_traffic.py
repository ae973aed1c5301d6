"""The issue's "done when": traffic with known outcomes, made through the chat
API in a fresh period, gives exactly the expected measured quantities."""

from __future__ import annotations

from django.test import Client

from ponton.conftest import KB
from ponton.conversations.models import State
from ponton.insights.tests.conftest import FRESH_DAY, Chat, Clock, read_kpis


def answered_article(chat: Chat) -> list[int]:
    turns = [m for m in chat.last["messages"] if m["author"] == "assistant"]
    return [a["id"] for a in turns[-1].get("articles", [])]


def test_chat_traffic_with_known_outcomes_gives_exactly_the_expected_kpis(
    kb: KB, clock: Clock, supervisor_api: Client
) -> None:
    web = Client()

    # A: answered, and the customer says it is solved.
    resolved = Chat.start(web, "j'ai oublié mon mot de passe")
    assert answered_article(resolved) == [kb.password.pk]
    clock.advance(seconds=40)
    resolved.choose("resolved")
    assert resolved.state == State.CLOSED

    # B: asks for a person at once: a handoff, not a selfcare attempt.
    clock.advance(minutes=5)
    straight = Chat.start(web, "Je veux parler à un conseiller")
    assert straight.state == State.WAITING_HUMAN

    # C: answered, then the customer asks for a person 90 seconds later.
    clock.advance(minutes=5)
    escalated_quickly = Chat.start(web, "I forgot my password", lang="en")
    assert answered_article(escalated_quickly) == [kb.password.pk]
    clock.advance(seconds=90)
    escalated_quickly.choose("human")
    assert escalated_quickly.state == State.WAITING_HUMAN

    # D: answered, "no", then a person: 180 seconds after the answer.
    clock.advance(minutes=5)
    escalated_later = Chat.start(web, "Où trouver ma facture ?")
    assert answered_article(escalated_later) == [kb.invoice.pk]
    clock.advance(seconds=150)
    escalated_later.choose("not_resolved")
    clock.advance(seconds=30)
    escalated_later.choose("human")
    assert escalated_later.state == State.WAITING_HUMAN

    # E: three questions the assistant cannot answer: handed off after three
    # failed turns, a wall. Nothing was offered, so not a selfcare attempt.
    clock.advance(minutes=5)
    walled = Chat.start(web, "What is the capital of Peru?", lang="en")
    clock.advance(seconds=20)
    walled.say("How many legs does a spider have?")
    clock.advance(seconds=20)
    walled.say("Give me a recipe for apple pie")
    assert walled.state == State.WAITING_HUMAN

    # F: answered, and the customer leaves without a word.
    clock.advance(minutes=5)
    left = Chat.start(web, "changer la clé wifi")
    assert answered_article(left) == [kb.wifi_password.pk]

    clock.advance(hours=1)
    kpis = read_kpis(
        supervisor_api,
        since=FRESH_DAY.replace(hour=0).isoformat(),
        until=FRESH_DAY.replace(hour=23).isoformat(),
    )

    assert kpis["sessions"] == 6
    assert kpis["selfcare_attempts"] == 4
    assert kpis["selfcare_usage_rate"] == 4 / 6
    assert kpis["deflection_rate"] == 2 / 4  # A and F: no handoff within 72 h
    assert kpis["autonomous_resolution_rate"] == 1 / 4  # A
    assert kpis["escalation_rate_after_selfcare"] == 2 / 4  # C and D
    assert kpis["mean_seconds_before_escalation"] == (90 + 180) / 2
    assert kpis["handoffs"] == 4  # B, C, D, E
    assert kpis["wall_index"] == 1 / 4  # E


def test_the_same_traffic_outside_the_period_is_not_counted(
    kb: KB, clock: Clock, supervisor_api: Client
) -> None:
    Chat.start(Client(), "j'ai oublié mon mot de passe")
    kpis = read_kpis(
        supervisor_api,
        since=FRESH_DAY.replace(day=5, hour=0).isoformat(),
        until=FRESH_DAY.replace(day=6, hour=0).isoformat(),
    )
    assert kpis["sessions"] == 0
    assert kpis["selfcare_usage_rate"] is None
    assert kpis["wall_index"] is None
