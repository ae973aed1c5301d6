"""Incidents as customers, the assistant and agents meet them: who is concerned, which
messages are about them, the notices (once per update, never after an unsubscribe), the
people who still get a person at once, crisis mode and the answers sent together."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from ponton.accounts.models import User
from ponton.assistant import policy
from ponton.conversations import lifecycle
from ponton.conversations.models import Author, Conversation, HandoffReason, State, Status
from ponton.status import bulk, notices, services
from ponton.status.models import Component, Impact, IncidentContact, Notice, NoticeOptOut, Phase
from ponton.tasks.services import run_due


def chat(text: str, customer: User | None = None, **extra: Any) -> Conversation:
    opened = lifecycle.open_conversation(
        channel="chat", first_message=text, customer=customer, visitor_id="v-1", **extra
    )
    policy.on_customer_message(opened.conversation, opened.message)
    opened.conversation.refresh_from_db()
    return opened.conversation


def last_assistant_text(conversation: Conversation) -> str:
    return conversation.messages.filter(author=Author.ASSISTANT).order_by("-id")[0].text


# Who is concerned ----------------------------------------------------------------------


def test_a_customer_outside_the_affected_segment_sees_no_banner_and_no_notice(
    declare: Any, app: Component, customer: User, other_customer: User
) -> None:
    declare(app, segments=["business"], title_fr="L'appli ne répond plus")
    assert services.banners_for(customer) == []  # Claire is residential
    assert [i.title("fr") for i in services.banners_for(other_customer)] == [
        "L'appli ne répond plus"
    ]
    assert services.incident_for("l'appli est en panne", customer) is None
    assert services.incident_for("l'appli est en panne", other_customer) is not None


def test_an_incident_on_a_component_a_customer_does_not_use_does_not_worry_them(
    declare: Any, bureau: Component, customer: User, other_customer: User
) -> None:
    declare(bureau, title_fr="Messagerie pro en panne")
    assert services.banners_for(customer) == []  # no "bureau" module
    assert len(services.banners_for(other_customer)) == 1
    assert len(services.banners_for(None)) == 1  # a visitor may be concerned


# Which messages are about it -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["Ma connexion internet ne marche plus", "my fibre has been down since 8", "Panne ??"],
)
def test_a_message_naming_the_component_or_a_breakage_is_about_the_incident(
    declare: Any, fibre: Component, text: str
) -> None:
    incident = declare(fibre)
    found = services.incident_for(text)
    assert found is not None and found.id == incident.pk


def test_a_message_about_something_else_is_not_about_the_incident(
    declare: Any, fibre: Component
) -> None:
    declare(fibre)
    assert services.incident_for("J'ai oublié mon mot de passe") is None


def test_a_maintenance_announced_for_tomorrow_is_not_yet_what_a_message_is_about(
    fibre: Component, supervisor: User
) -> None:
    now = timezone.now()
    services.schedule_maintenance(
        services.IncidentFields(
            title_fr="Travaux",
            message_fr="Coupure courte.",
            components=[fibre],
            scheduled_start=now + timedelta(hours=20),
            scheduled_end=now + timedelta(hours=22),
        ),
        by=supervisor,
    )
    assert services.incident_for("ma fibre est coupée") is None
    [shown] = services.banners_for(None)  # but the banner announces it a day before
    assert shown.is_maintenance


# The assistant --------------------------------------------------------------------------


def test_the_assistant_tells_the_incident_first_and_counts_the_message(
    declare: Any, fibre: Component, customer: User
) -> None:
    incident = declare(fibre)
    conversation = chat("Bonjour, plus d'internet depuis ce matin", customer)
    assert conversation.state == State.ASSISTANT
    assert "Panne fibre à Lyon" in last_assistant_text(conversation)
    actions = conversation.messages.filter(author=Author.ASSISTANT).order_by("-id")[0].actions
    assert {a["id"] for a in actions} == {"human", f"notify:{incident.pk}"}
    assert IncidentContact.objects.filter(incident=incident, conversation=conversation).count() == 1


def test_a_visitor_without_an_email_is_offered_the_subscription_page(
    declare: Any, fibre: Component
) -> None:
    incident = declare(fibre)
    conversation = chat("la fibre est coupée chez moi")
    actions = conversation.messages.filter(author=Author.ASSISTANT).order_by("-id")[0].actions
    [notify] = [a for a in actions if a["id"] == "notify"]
    assert notify["url"] == f"/fr/status/subscribe?incident={incident.pk}"


def test_a_business_whose_activity_is_stopped_still_goes_to_a_person_with_the_incident(
    declare: Any, bureau: Component, other_customer: User
) -> None:
    incident = declare(bureau, title_fr="Messagerie pro en panne")
    conversation = chat(
        "La messagerie pro est en panne, toute l'entreprise est bloquée, nos clients ne peuvent plus nous joindre",
        other_customer,
    )
    assert conversation.state == State.WAITING_HUMAN
    assert conversation.handoff_reason == HandoffReason.CRITICAL_IMPACT
    signals = conversation.context["signals"]
    assert {"kind": "incident", "incident": incident.pk} == {
        k: v for k, v in signals[-1].items() if k in ("kind", "incident")
    }
    assert IncidentContact.objects.filter(incident=incident, conversation=conversation).exists()


def test_a_second_message_about_the_same_incident_does_not_repeat_the_notice(
    declare: Any, fibre: Component, customer: User
) -> None:
    declare(fibre)
    conversation = chat("panne de fibre", customer)
    message, _created = lifecycle.customer_message(conversation, text="toujours pas de fibre")
    policy.on_customer_message(conversation, message)
    texts = list(
        conversation.messages.filter(author=Author.ASSISTANT).values_list("text", flat=True)
    )
    assert len(texts) == len(set(texts)) == 2
    assert "Panne fibre à Lyon" not in texts[-1]


# Notices ----------------------------------------------------------------------------------


def test_affected_customers_are_told_at_declaration_and_resolution_once_each(
    declare: Any,
    fibre: Component,
    customer: User,
    other_customer: User,
    supervisor: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    incident = declare(fibre, notify_affected=True, segments=["residential"])
    run_due()
    assert [m.to for m in mail.outbox] == [[customer.email]]
    assert "/fr/status/unsubscribe/" in mail.outbox[0].body
    assert mail.outbox[0].extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with django_capture_on_commit_callbacks(execute=True):
        services.post_update(
            incident, phase=Phase.IDENTIFIED, message_fr="Câble coupé.", by=supervisor
        )
    run_due()
    assert len(mail.outbox) == 1  # an intermediate update is on the status page only
    with django_capture_on_commit_callbacks(execute=True):
        update = services.post_update(
            incident, phase=Phase.RESOLVED, message_fr="C'est réparé.", by=supervisor
        )
    run_due()
    assert len(mail.outbox) == 2
    notices.send_notices(update.pk)  # the same update again: nobody hears twice
    assert len(mail.outbox) == 2
    assert Notice.objects.filter(update=update).count() == 1


def test_an_unsubscribed_address_hears_nothing_more(
    client: Any,
    declare: Any,
    fibre: Component,
    customer: User,
    supervisor: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    incident = declare(fibre, notify_affected=True)
    run_due()
    [first] = [m for m in mail.outbox if m.to == [customer.email]]
    link = next(line for line in first.body.splitlines() if "/status/unsubscribe/" in line)
    path = link[link.index("/fr/") :].strip()
    assert client.get(path).status_code == 200  # a confirmation page: a link scanner stops nothing
    assert not NoticeOptOut.objects.exists()
    assert client.post(path).status_code == 200
    assert NoticeOptOut.objects.filter(email=customer.email).exists()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.post_update(incident, phase=Phase.RESOLVED, message_fr="Réparé.", by=supervisor)
    run_due()
    assert customer.email not in [m.to[0] for m in mail.outbox]


def test_a_forged_unsubscribe_link_is_refused(client: Any, db: None) -> None:
    response = client.get("/fr/status/unsubscribe/not-a-token/")
    assert response.status_code == 404
    assert client.post("/fr/status/unsubscribe/not-a-token/").status_code == 404


def test_a_component_subscriber_hears_when_an_incident_starts(
    declare: Any, fibre: Component
) -> None:
    services.subscribe("Riverain@Example.net", component=fibre, language="en")
    declare(fibre)
    run_due()
    [sent] = mail.outbox
    assert sent.to == ["riverain@example.net"]
    assert "Fibre outage in Lyon" in sent.subject  # in the subscriber's language


def test_subscribing_needs_a_valid_address(declare: Any, fibre: Component) -> None:
    incident = declare(fibre)
    with pytest.raises(ValidationError):
        services.subscribe("not an address", incident=incident)


# Declaring -----------------------------------------------------------------------------


def test_an_incident_needs_a_title_a_message_and_a_known_component(
    fibre: Component, supervisor: User
) -> None:
    with pytest.raises(ValidationError) as error:
        services.declare_incident(services.IncidentFields(components=["nowhere"]), by=supervisor)
    assert set(error.value.message_dict) == {"title", "message"}
    with pytest.raises(ValidationError) as error:
        services.declare_incident(
            services.IncidentFields(title_fr="x", message_fr="y", components=["nowhere"]),
            by=supervisor,
        )
    assert "nowhere" in error.value.message_dict["components"][0]


def test_a_resolved_incident_takes_no_more_updates(
    declare: Any, fibre: Component, supervisor: User
) -> None:
    incident = declare(fibre)
    services.post_update(incident, phase=Phase.RESOLVED, message_fr="Fini.", by=supervisor)
    with pytest.raises(ValidationError):
        services.post_update(incident, phase=Phase.MONITORING, message_fr="Encore ?", by=supervisor)


def test_a_maintenance_window_ends_by_itself(
    fibre: Component, supervisor: User, clock: Any
) -> None:
    now = timezone.now()
    services.schedule_maintenance(
        services.IncidentFields(
            title_fr="Travaux",
            message_fr="Coupure courte.",
            components=[fibre],
            scheduled_start=now + timedelta(hours=1),
            scheduled_end=now + timedelta(hours=2),
        ),
        by=supervisor,
    )
    states = services.component_states(services.live_incidents(), now + timedelta(minutes=90))
    assert states == {fibre.pk: Impact.MAINTENANCE}
    clock.shift(timedelta(hours=3))
    assert services.live_incidents() == []


# Crisis mode and answers together -------------------------------------------------------


def test_past_the_threshold_an_incident_is_in_crisis_mode(
    declare: Any, fibre: Component, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PONTON_CRISIS_THRESHOLD = 3
    declare(fibre)
    for n in range(3):
        assert services.crisis() == []
        with django_capture_on_commit_callbacks(execute=True):
            chat(f"panne de fibre numéro {n}")
    [surging] = services.crisis()
    assert surging.contacts == 3


def test_an_agent_answers_all_the_conversations_about_it_and_they_are_solved_together(
    declare: Any,
    app: Component,
    customer: User,
    other_customer: User,
    agent: User,
    supervisor: User,
) -> None:
    incident = declare(app)
    waiting = [
        chat("l'appli est en panne, je veux parler à un conseiller", c)
        for c in (customer, other_customer)
    ]
    untouched = chat("l'appli est en panne")  # still with the assistant, which told it already
    assert all(c.state == State.WAITING_HUMAN for c in waiting)

    assert bulk.answer_contacts(incident, agent=supervisor, text="Nous réparons, patience.") == 2
    for conversation in waiting:
        conversation.refresh_from_db()
        assert conversation.state == State.WITH_HUMAN
        assert conversation.messages.filter(
            author=Author.AGENT, text="Nous réparons, patience."
        ).exists()

    services.post_update(incident, phase=Phase.RESOLVED, message_fr="Réparé.", by=supervisor)
    assert bulk.solve_contacts(incident, by=supervisor) == 2
    assert {c.status for c in Conversation.objects.filter(pk__in=[w.pk for w in waiting])} == {
        Status.SOLVED
    }
    untouched.refresh_from_db()
    assert untouched.state == State.ASSISTANT


def test_an_agent_only_answers_the_conversations_their_scope_shows(
    declare: Any, fibre: Component, customer: User, other_team_agent: User, agent: User
) -> None:
    incident = declare(fibre)
    conversation = chat("panne de fibre, je veux parler à un conseiller", customer)
    lifecycle.assign(conversation, to=agent, team=agent.teams.first(), by=agent)
    with pytest.raises(ValidationError):
        bulk.answer_contacts(incident, agent=other_team_agent, text="Bonjour")
    assert not conversation.messages.filter(author=Author.AGENT).exists()
