"""The lifecycle owns every transition: one table says which are allowed, each one is logged."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ponton.accounts.models import User
from ponton.conversations import lifecycle
from ponton.conversations.memory import remember
from ponton.conversations.models import (
    AssistantMemory,
    Conversation,
    ConversationChannel,
    HandoffReason,
    State,
    Status,
)
from ponton.journeys.models import EventKind, JourneyEvent

pytestmark = pytest.mark.django_db


def opened(customer: User, *, wants_person: bool = False, text: str = "Bonjour") -> Conversation:
    return lifecycle.open_conversation(
        channel=ConversationChannel.CHAT,
        first_message=text,
        customer=customer,
        wants_person=wants_person,
    ).conversation


def events(conversation: Conversation, kind: str) -> list[JourneyEvent]:
    return list(
        JourneyEvent.objects.filter(kind=kind, data__conversation=conversation.pk).order_by("id")
    )


def test_every_channel_opens_through_one_entry_that_stores_the_first_message(
    customer: User,
) -> None:
    for channel in ConversationChannel.values:
        conversation = lifecycle.open_conversation(
            channel=channel, first_message="Ma box clignote", customer=customer
        ).conversation

        assert conversation.state == State.ASSISTANT
        message = conversation.messages.get()
        assert (message.text, message.channel) == ("Ma box clignote", channel)
        assert len(events(conversation, EventKind.MESSAGE)) == 1


def test_a_channel_that_wants_a_person_is_handed_off_at_once_with_its_reason(
    customer: User,
) -> None:
    conversation = lifecycle.open_conversation(
        channel=ConversationChannel.EMAIL,
        first_message="Je conteste ce prélèvement, c'est une fraude",
        customer=customer,
        wants_person=True,
        reason=HandoffReason.FRAUD_SECURITY,
        signals=[{"kind": "fraud_security", "evidence": ["fraude"]}],
    ).conversation

    conversation.refresh_from_db()
    assert conversation.state == State.WAITING_HUMAN
    assert conversation.handoff_reason == HandoffReason.FRAUD_SECURITY
    assert conversation.priority == 1
    assert conversation.person_requests == 0  # a signal, not the customer's own request
    assert conversation.context["signals"][0]["evidence"] == ["fraude"]


def test_a_transition_the_table_does_not_allow_is_refused_and_changes_nothing(
    customer: User,
) -> None:
    conversation = opened(customer)
    lifecycle.mark_resolved(conversation, article=None, how="confirmed")

    with pytest.raises(lifecycle.InvalidTransition):
        lifecycle.mark_resolved(conversation, article=None, how="confirmed")
    with pytest.raises(lifecycle.InvalidTransition):
        lifecycle.hand_back(conversation, by=None)
    conversation.refresh_from_db()
    assert conversation.state == State.CLOSED
    assert len(events(conversation, EventKind.SELFCARE_RESOLVED)) == 1


def test_every_transition_the_table_names_starts_from_a_known_state() -> None:
    for (transition, state), target in lifecycle.TRANSITIONS.items():
        assert state in State.values, transition
        assert target in (*State.values, lifecycle.PERSON), transition


def test_handing_back_and_merging_are_written_to_the_journey(customer: User, agent: User) -> None:
    original = opened(customer, wants_person=True)
    duplicate = opened(customer, wants_person=True, text="Toujours pas de connexion")

    lifecycle.hand_back(original, by=agent)
    lifecycle.merge(duplicate, into=original, by=agent)

    assert [e.data["by"] for e in events(original, EventKind.HAND_BACK)] == [agent.pk]
    merged = events(duplicate, EventKind.MERGE)
    assert [(e.data["into"], e.data["by"]) for e in merged] == [(original.pk, agent.pk)]
    duplicate.refresh_from_db()
    assert (duplicate.state, duplicate.status) == (State.CLOSED, Status.CLOSED)


def test_a_customer_back_on_a_solved_request_handled_by_a_person_goes_back_to_them(
    customer: User, agent: User
) -> None:
    conversation = opened(customer, wants_person=True)
    lifecycle.reply_as_agent(conversation, agent=agent, text="C'est réglé.")
    lifecycle.set_status(conversation, status=Status.SOLVED, by=agent)

    lifecycle.reopen(conversation, to_person=True)

    conversation.refresh_from_db()
    assert (conversation.state, conversation.status) == (State.WITH_HUMAN, Status.OPEN)
    assert conversation.resolved_at is None


def test_the_assistant_remembers_in_a_row_of_its_own_and_a_hand_back_starts_it_afresh(
    customer: User, agent: User
) -> None:
    conversation = opened(customer)
    remember(conversation, failed_attempts=2, offered_articles=[7])

    lifecycle.hand_off(conversation, reason=HandoffReason.FAILED_ATTEMPTS)
    packet = Conversation.objects.get(pk=conversation.pk).context
    assert (packet["failed_attempts"], packet["articles_offered"]) == (2, [7])

    lifecycle.hand_back(conversation, by=agent)
    memory = AssistantMemory.objects.get(conversation=conversation)
    assert (memory.failed_attempts, memory.offered_articles) == (0, [7])


def test_a_conversation_already_merged_cannot_take_part_in_another_merge(
    customer: User, agent: User
) -> None:
    first, second, third = (opened(customer, text=t) for t in ("Panne", "Toujours", "Encore"))
    lifecycle.merge(second, into=first, by=agent)

    with pytest.raises(ValidationError):
        lifecycle.merge(first, into=second, by=agent)  # would make a cycle
    with pytest.raises(ValidationError):
        lifecycle.merge(third, into=second, by=agent)
