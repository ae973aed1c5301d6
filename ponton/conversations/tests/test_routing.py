"""Routing: a handoff reaches the right person, and never waits on someone absent."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from ponton.accounts.models import Availability, Skill, Team, User
from ponton.conftest import KB
from ponton.conversations import lifecycle, routing
from ponton.conversations.memory import remember
from ponton.conversations.models import (
    Author,
    Conversation,
    ConversationChannel,
    HandoffReason,
    RoutingRule,
    State,
)
from ponton.conversations.tests.conftest import make_present
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.tasks.models import Task, TaskStatus
from ponton.tasks.services import run_due

pytestmark = pytest.mark.django_db


def handoff(
    *,
    customer: User | None = None,
    language: str = "fr",
    reason: str = HandoffReason.CUSTOMER_REQUEST,
    signals: list[dict[str, Any]] | None = None,
    detected_need: dict[str, Any] | None = None,
) -> Conversation:
    conversation = lifecycle.open_conversation(
        channel=ConversationChannel.CHAT,
        first_message="J'ai besoin d'aide",
        language=language,
        customer=customer,
        email="" if customer else "visitor@example.net",
    ).conversation
    if detected_need:
        remember(conversation, detected_need=detected_need)
    lifecycle.hand_off(conversation, reason=reason, signals=signals)
    conversation.refresh_from_db()
    return conversation


def business() -> Team:
    return Team.objects.get(slug="business")


def front() -> Team:
    return Team.objects.get(slug="front")


# The referent advisor -----------------------------------------------------------------------


@pytest.fixture
def claire_with_karim(customer: User, agent: User) -> User:
    customer.profile.referent_advisor = agent
    customer.profile.save(update_fields=["referent_advisor"])
    return customer


def test_a_handoff_goes_to_the_customers_referent_advisor_when_they_are_online(
    claire_with_karim: User, agent: User, front_colleague: User
) -> None:
    make_present(agent)
    make_present(front_colleague)

    conversation = handoff(customer=claire_with_karim)

    assert (conversation.assignee, conversation.team) == (agent, front())
    assert conversation.assigned_at is not None
    why = conversation.context["routing"]["why"]
    assert "Karim Benali" in why
    note = conversation.messages.get(author=Author.SYSTEM, internal=True)
    assert note.text == why
    assignment = JourneyEvent.objects.get(kind=EventKind.ASSIGNMENT)
    assert assignment.data["assignee"] == agent.pk
    agent.refresh_from_db()
    assert agent.last_assigned_at == conversation.assigned_at


def test_when_the_referent_advisor_is_offline_their_team_takes_it(
    claire_with_karim: User, agent: User, front_colleague: User
) -> None:
    make_present(front_colleague)
    agent.availability = Availability.ONLINE  # says online but has not been seen for an hour
    agent.last_seen_at = timezone.now() - timedelta(hours=1)
    agent.save()

    conversation = handoff(customer=claire_with_karim)

    assert (conversation.assignee, conversation.team) == (front_colleague, front())
    assert "Karim Benali" in conversation.context["routing"]["why"]


def test_a_referent_advisor_without_room_passes_to_their_team(
    claire_with_karim: User, agent: User, front_colleague: User
) -> None:
    make_present(agent, capacity=1)
    make_present(front_colleague)
    handoff(customer=claire_with_karim)  # Karim's only slot

    second = handoff(customer=claire_with_karim)

    assert second.assignee == front_colleague


# Rules ----------------------------------------------------------------------------------------


def test_an_english_speaking_customer_goes_to_the_team_of_the_language_rule(
    agent: User, other_team_agent: User
) -> None:
    RoutingRule.objects.create(position=10, name="English", language="en", team=business())
    other_team_agent.languages = ["fr", "en"]
    other_team_agent.save()
    make_present(agent)
    make_present(other_team_agent)

    english = handoff(language="en")
    french = handoff(language="fr")

    assert (english.team, english.assignee) == (business(), other_team_agent)
    assert "English" in english.context["routing"]["why"]
    assert (french.team, french.assignee) == (None, None)


def test_a_business_customer_goes_to_the_team_of_the_segment_rule(
    other_customer: User, customer: User, other_team_agent: User
) -> None:
    RoutingRule.objects.create(position=10, name="Pros", segment="business", team=business())
    make_present(other_team_agent)

    assert handoff(customer=other_customer).assignee == other_team_agent
    assert handoff(customer=customer).team is None


def test_the_first_matching_rule_by_position_wins_and_the_reason_counts(
    agent: User, other_team_agent: User
) -> None:
    RoutingRule.objects.create(position=20, name="Everything else", team=front())
    RoutingRule.objects.create(
        position=10, name="Fraud", reason=HandoffReason.FRAUD_SECURITY, team=business()
    )

    fraud = handoff(reason=HandoffReason.FRAUD_SECURITY)
    other = handoff(reason=HandoffReason.EMOTION)

    assert fraud.team == business()
    assert other.team == front()
    assert fraud.context["routing"]["rule"] == RoutingRule.objects.get(name="Fraud").pk


def test_the_category_of_the_detected_need_selects_a_rule(kb: KB, other_team_agent: User) -> None:
    RoutingRule.objects.create(
        position=10, name="Billing", category=kb.billing.slug, team=business()
    )

    billing = handoff(detected_need={"article": kb.invoice.pk, "title": "Facture"})
    wifi = handoff(detected_need={"article": kb.wifi_password.pk, "title": "Wifi"})

    assert billing.team == business()
    assert wifi.team is None


def test_a_rule_requiring_a_skill_only_offers_agents_who_have_it(
    agent: User, front_colleague: User, billing_skill: Skill
) -> None:
    RoutingRule.objects.create(position=10, name="Money", team=front(), skill=billing_skill)
    front_colleague.skills.add(billing_skill)
    make_present(agent)
    make_present(front_colleague)

    for _ in range(3):
        assert handoff().assignee == front_colleague


def test_an_agent_is_only_offered_conversations_in_a_language_they_serve(
    agent: User, front_colleague: User
) -> None:
    RoutingRule.objects.create(position=10, name="All", team=front())
    make_present(agent)  # Karim serves French only

    english = handoff(language="en")
    assert english.assignee is None
    make_present(front_colleague)
    assert handoff(language="en").assignee == front_colleague


def test_without_a_rule_the_default_team_takes_it(settings: Any, agent: User) -> None:
    settings.PONTON_DEFAULT_TEAM = "front"
    make_present(agent)

    conversation = handoff()

    assert (conversation.team, conversation.assignee) == (front(), agent)


# Within a team ----------------------------------------------------------------------------------


def test_agents_take_turns_the_one_given_a_conversation_longest_ago_first(
    agent: User, front_colleague: User
) -> None:
    RoutingRule.objects.create(position=10, name="All", team=front())
    make_present(agent)
    make_present(front_colleague)
    User.objects.filter(pk=agent.pk).update(last_assigned_at=timezone.now() - timedelta(hours=1))
    User.objects.filter(pk=front_colleague.pk).update(
        last_assigned_at=timezone.now() - timedelta(hours=2)
    )

    order = [handoff().assignee for _ in range(4)]

    assert order == [front_colleague, agent, front_colleague, agent]


def test_no_agent_is_given_more_conversations_than_their_capacity(
    agent: User, front_colleague: User
) -> None:
    RoutingRule.objects.create(position=10, name="All", team=front())
    make_present(agent, capacity=1)
    make_present(front_colleague, capacity=2)

    assignees = [handoff().assignee for _ in range(4)]

    assert sorted(str(a) for a in assignees) == ["None", "camille", "camille", "karim"]
    waiting = Conversation.objects.get(assignee__isnull=True)
    assert waiting.team == front() and waiting.state == State.WAITING_HUMAN
    # Routing explains itself in the site's language (French by default).
    assert "file de l'équipe" in waiting.context["routing"]["why"]


def test_away_and_offline_agents_are_not_offered_conversations(
    agent: User, front_colleague: User
) -> None:
    RoutingRule.objects.create(position=10, name="All", team=front())
    make_present(agent)
    routing.set_availability(agent, Availability.AWAY)
    make_present(front_colleague)
    routing.set_availability(front_colleague, Availability.OFFLINE)

    assert handoff().assignee is None


# Priority -------------------------------------------------------------------------------------


def test_a_customer_with_accessibility_needs_or_a_sensitive_signal_is_served_sooner(
    customer: User,
) -> None:
    plain = handoff(customer=customer)
    assert plain.priority == 3
    sensitive = handoff(
        reason=HandoffReason.CUSTOMER_REQUEST,
        signals=[{"kind": "bereavement", "score": 0.9, "evidence": ["décès"]}],
    )
    assert sensitive.priority == 2
    customer.profile.accessibility_needs = "Malentendante : écrire plutôt qu'appeler"
    customer.profile.save()
    assert handoff(customer=customer).priority == 2
    assert handoff(customer=customer, reason=HandoffReason.FRAUD_SECURITY).priority == 1


# The re-route timeout -------------------------------------------------------------------------


def _time_passes(conversation: Conversation, seconds: int = 121) -> None:
    """The offer is older than the timeout and its re-route task is due."""
    past = timezone.now() - timedelta(seconds=seconds)
    Conversation.objects.filter(pk=conversation.pk).update(assigned_at=past)
    Task.objects.filter(name="conversations.reroute", status=TaskStatus.PENDING).update(
        run_after=timezone.now()
    )


def test_a_handoff_nobody_took_goes_to_the_next_agent_then_to_the_whole_team(
    agent: User,
    front_colleague: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    RoutingRule.objects.create(position=10, name="All", team=front())
    make_present(agent)
    make_present(front_colleague)
    User.objects.filter(pk=front_colleague.pk).update(last_assigned_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        conversation = handoff()
    assert conversation.assignee == agent
    assert Task.objects.filter(name="conversations.reroute", status=TaskStatus.PENDING).exists()

    _time_passes(conversation)
    with django_capture_on_commit_callbacks(execute=True):
        run_due()
    conversation.refresh_from_db()
    assert conversation.assignee == front_colleague
    assert conversation.context["routing"]["skipped"] == [agent.pk]
    assert "Karim Benali" in conversation.context["routing"]["why"]

    _time_passes(conversation)
    with django_capture_on_commit_callbacks(execute=True):
        run_due()
    conversation.refresh_from_db()
    assert (conversation.team, conversation.assignee) == (front(), None)
    assert "Camille Dupont" in conversation.context["routing"]["why"]
    assert conversation.state == State.WAITING_HUMAN
    notes = conversation.messages.filter(author=Author.SYSTEM, internal=True)
    assert notes.count() == 3  # routed, re-routed, widened: each says why
    assert not Task.objects.filter(name="conversations.reroute", status=TaskStatus.PENDING).exists()


def test_a_handoff_the_agent_answered_is_not_rerouted(
    agent: User,
    front_colleague: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    RoutingRule.objects.create(position=10, name="All", team=front())
    make_present(agent)
    make_present(front_colleague)
    with django_capture_on_commit_callbacks(execute=True):
        conversation = handoff()
        lifecycle.reply_as_agent(conversation, agent=conversation.assignee, text="Bonjour !")
    first = conversation.assignee

    _time_passes(conversation)
    with django_capture_on_commit_callbacks(execute=True):
        run_due()

    conversation.refresh_from_db()
    assert conversation.assignee == first
    assert Task.objects.get(name="conversations.reroute").status == TaskStatus.DONE


def test_a_handoff_assigned_by_hand_is_left_to_the_chosen_agent(
    agent: User, front_colleague: User, supervisor: User
) -> None:
    RoutingRule.objects.create(position=10, name="All", team=front())
    make_present(agent)
    make_present(front_colleague)
    conversation = handoff()
    lifecycle.assign(conversation, to=front_colleague, by=supervisor)
    _time_passes(conversation)

    assert routing.reroute(conversation.pk) is None


# Coming online ----------------------------------------------------------------------------------


def test_an_agent_coming_online_is_offered_the_waiting_work_of_their_teams_within_capacity(
    agent: User, other_team_agent: User
) -> None:
    RoutingRule.objects.create(position=10, name="All", team=front())
    agent.capacity = 2
    agent.save()
    oldest, urgent, newest = handoff(), handoff(reason=HandoffReason.FRAUD_SECURITY), handoff()
    assert {oldest.assignee, urgent.assignee, newest.assignee} == {None}

    routing.set_availability(agent, Availability.ONLINE)

    agent.refresh_from_db()
    assert agent.availability == Availability.ONLINE and routing.is_present(agent)
    taken = list(Conversation.objects.filter(assignee=agent).order_by("pk"))
    assert taken == [oldest, urgent]  # the most urgent first, then the longest waiting
    assert "Karim Benali" in Conversation.objects.get(pk=urgent.pk).context["routing"]["why"]
    # Julie is not in the front team: nothing of it reaches her.
    routing.set_availability(other_team_agent, Availability.ONLINE)
    assert not Conversation.objects.filter(assignee=other_team_agent).exists()


def test_capacity_freed_is_filled_from_the_queue_by_the_periodic_offer(
    agent: User, supervisor: User
) -> None:
    RoutingRule.objects.create(position=10, name="All", team=front())
    make_present(agent, capacity=1)
    first, second = handoff(), handoff()
    assert (first.assignee, second.assignee) == (agent, None)

    lifecycle.set_status(first, status="solved", by=agent)
    assert routing.offer_waiting_work() == 1

    assert Conversation.objects.get(pk=second.pk).assignee == agent


def test_only_staff_have_an_availability(customer: User, agent: User) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        routing.set_availability(customer, Availability.ONLINE)
    with pytest.raises(ValidationError):
        routing.set_availability(agent, "sleeping")


# Concurrency ---------------------------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises writers: no race to test"
)
@pytest.mark.django_db(transaction=True)
def test_simultaneous_handoffs_never_give_an_agent_more_than_their_capacity(
    agent: User, front_colleague: User
) -> None:
    RoutingRule.objects.create(position=10, name="All", team=front())
    make_present(agent, capacity=2)
    make_present(front_colleague, capacity=1)
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def one_handoff() -> None:
        try:
            start.wait()
            handoff()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=one_handoff) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Conversation.objects.count() == 8
    assert Conversation.objects.filter(assignee=agent).count() <= 2
    assert Conversation.objects.filter(assignee=front_colleague).count() <= 1
