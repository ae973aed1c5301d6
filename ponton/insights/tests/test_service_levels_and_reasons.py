"""Quantities of the work of people (first response, resolution, first contact
resolution, SLA, backlog, repeats), the team filter, and contact reasons."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client

from ponton.accounts.models import Team, User
from ponton.conftest import KB
from ponton.connectors.webform.services import ContactRequest, request_contact
from ponton.conversations.lifecycle import assign, customer_message, reply_as_agent, set_status
from ponton.conversations.models import Conversation, Status
from ponton.insights import kpis
from ponton.insights.periods import Filters, Period
from ponton.insights.reasons import Level, contact_reasons
from ponton.insights.service_levels import conversation_quantities
from ponton.insights.tests.conftest import FRESH_DAY, Chat, Clock

DAY = Period(FRESH_DAY.replace(hour=0), FRESH_DAY.replace(hour=0) + timedelta(days=1))


def contact(customer: User | None, text: str, email: str = "") -> Conversation:
    return request_contact(
        ContactRequest(text=text, customer=customer, email=email or "someone@example.net")
    )


def test_first_response_resolution_first_contact_resolution_and_backlog(
    kb: KB, clock: Clock, customer: User, other_customer: User, agent: User
) -> None:
    quick = contact(customer, "Ma facture est fausse")
    clock.advance(minutes=5)
    long = contact(other_customer, "Mon SSO ne marche plus")
    clock.advance(minutes=5)
    reply_as_agent(quick, agent=agent, text="Je corrige la facture.")  # 600 s after its handoff
    clock.advance(minutes=15)
    reply_as_agent(long, agent=agent, text="Pouvez-vous préciser ?")  # 1200 s after its handoff
    clock.advance(minutes=10)
    customer_message(long, text="Erreur SAML au login")
    clock.advance(minutes=10)
    reply_as_agent(long, agent=agent, text="C'est corrigé.")
    clock.advance(minutes=15)
    set_status(quick, status=Status.SOLVED, by=agent)  # one hour after it started
    clock.advance(minutes=60)
    set_status(long, status=Status.SOLVED, by=agent)  # 1 h 55 after it started
    contact(None, "Personne ne me répond", email="anonyme@example.net")  # still waiting

    figures = conversation_quantities(DAY)

    assert figures["conversations_with_a_person"] == 3
    assert figures["first_response_seconds"] == (600 + 1200) / 2
    assert figures["resolution_seconds"] == (3600 + 6900) / 2
    assert figures["first_contact_resolution_rate"] == 1 / 2
    assert figures["backlog"] == 1
    assert figures["sla_breach_rate"] is None  # no due date anywhere


def test_sla_breach_rate_counts_late_first_responses_and_those_still_waiting_past_due(
    kb: KB, clock: Clock, customer: User, agent: User
) -> None:
    on_time = contact(customer, "question 1")
    late = contact(customer, "question 2")
    waiting = contact(customer, "question 3")
    for conversation in (on_time, late, waiting):
        Conversation.objects.filter(pk=conversation.pk).update(
            first_response_due=clock() + timedelta(minutes=30)
        )
    clock.advance(minutes=10)
    reply_as_agent(on_time, agent=agent, text="Voici")
    clock.advance(minutes=40)
    reply_as_agent(late, agent=agent, text="Voici, pardon pour l'attente")

    assert conversation_quantities(DAY)["sla_breach_rate"] == 2 / 3


def test_the_team_filter_keeps_the_sessions_and_conversations_of_that_team(
    kb: KB, clock: Clock, customer: User, agent: User, supervisor: User
) -> None:
    front = Team.objects.get(slug="front")
    mine = contact(customer, "Ma facture est fausse")
    clock.advance(minutes=40)
    Chat.start(Client(), "j'ai oublié mon mot de passe")
    assign(mine, to=agent, team=front, by=supervisor)

    everything = kpis.quantities(DAY)
    front_only = kpis.quantities(DAY, Filters(team=front.pk))
    assert everything["sessions"] == 2
    assert front_only["sessions"] == 1
    assert front_only["conversations_with_a_person"] == 1
    kpis.roll_up(now=DAY.until + timedelta(days=1))
    assert kpis.quantities(DAY, Filters(team=front.pk), source="rollup") == front_only


def test_a_customer_coming_back_for_the_same_reason_within_7_days_is_a_repeat_contact(
    kb: KB, clock: Clock, customer: User, other_customer: User
) -> None:
    contact(customer, "Je voudrais offrir une carte cadeau")
    contact(other_customer, "Je voudrais offrir une carte cadeau")
    clock.advance(days=3)
    contact(customer, "toujours rien pour ma carte cadeau")
    clock.advance(days=2)
    contact(other_customer, "j'ai oublié mon mot de passe")
    week = Period(DAY.since, DAY.since + timedelta(days=7))
    assert kpis.quantities(week)["repeat_contact_rate"] == 1 / 4


def test_contact_reasons_group_conversations_into_a_pareto_with_levels_and_flags(
    kb: KB, clock: Clock, customer: User, other_customer: User
) -> None:
    web = Client()
    for _ in range(3):
        Chat.start(web, "j'ai oublié mon mot de passe").choose("resolved")
        clock.advance(minutes=31)
    escalated = Chat.start(web, "Où trouver ma facture ?")
    escalated.choose("human")
    clock.advance(minutes=31)
    Chat.start(web, "Quelqu'un a piraté mon compte")
    clock.advance(minutes=31)
    contact(customer, "Je voudrais offrir une carte cadeau")
    contact(other_customer, "carte cadeau pour un ami")

    reasons = contact_reasons(DAY, lang="fr")
    by_key = {r.key: r for r in reasons}

    assert [r.volume for r in reasons] == [3, 2, 1, 1]
    password = by_key[f"article:{kb.password.pk}"]
    assert password.label == kb.password_fr.title
    assert password.share == 3 / 7
    assert password.autonomous_resolution_rate == 1.0
    assert password.level == Level.SIMPLE
    assert not password.gap
    gift = reasons[1]
    assert gift.key.startswith("theme:")
    assert "carte cadeau" in gift.label
    assert gift.gap
    fraud = by_key["signal:fraud_security"]
    assert fraud.level == Level.EXPERT
    assert not fraud.gap
    invoice = by_key[f"article:{kb.invoice.pk}"]
    assert invoice.escalation_rate == 1.0
    assert invoice.content_to_fix
    assert reasons[-1].cumulative_share == 1.0
