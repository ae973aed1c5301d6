"""The services announce what happened: each named change emits its event, with the ids an
integrator files it under, once the change is committed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ponton.accounts.models import User
from ponton.conversations import lifecycle, surveys
from ponton.conversations.models import Status
from ponton.knowledge.models import Category
from ponton.knowledge.models import Status as ArticleStatus
from ponton.knowledge.services import (
    ArticleFields,
    TranslationFields,
    save_article,
    save_translation,
)
from ponton.knowledge.services import set_status as set_article_status
from ponton.status import services as status_services
from ponton.status.models import Impact, Phase
from ponton.webhooks import services
from ponton.webhooks.models import Event, WebhookDelivery


@pytest.fixture
def subscribed(admin: User, settings: Any) -> None:
    settings.PONTON_WEBHOOK_ALLOW_PRIVATE = True  # nothing is sent here: the address is a name
    services.create_endpoint(url="http://127.0.0.1/hooks", events=list(Event.values), by=admin)


def _bodies() -> list[dict[str, Any]]:
    return [json.loads(d.body) for d in WebhookDelivery.objects.order_by("id")]


def _types() -> list[str]:
    return [b["type"] for b in _bodies()]


def test_a_conversation_handed_to_a_person_then_answered_and_solved_is_announced_step_by_step(
    subscribed: None, customer: User, agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        opened = lifecycle.open_conversation(
            channel="web_form", first_message="Ma box ne marche plus", customer=customer
        )
    conversation = opened.conversation
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.request_person(conversation)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.assign(conversation, to=agent, by=agent)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.reply_as_agent(conversation, agent=agent, text="Je regarde.")
        lifecycle.reply_as_agent(conversation, agent=agent, text="Note interne", internal=True)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.set_status(conversation, status=Status.SOLVED, by=agent)
    types = _types()
    assert types[:2] == ["conversation.created", "message.created"]
    assert types[-4:] == [
        "conversation.handed_off",
        "conversation.assigned",
        "message.created",
        "conversation.solved",
    ]
    bodies = _bodies()
    for body in bodies:
        conversation_id = body["data"].get("conversation_id", body["data"]["id"])
        assert conversation_id == conversation.pk
    handed_off = next(b for b in bodies if b["type"] == "conversation.handed_off")
    assert handed_off["data"]["state"] == "waiting_human"
    assert handed_off["data"]["handoff_reason"] == "customer_request"
    assigned = next(b for b in bodies if b["type"] == "conversation.assigned")
    assert assigned["data"]["assignee_id"] == agent.pk
    reply = [b for b in bodies if b["type"] == "message.created"][-1]
    assert (reply["data"]["author"], reply["data"]["text"]) == ("agent", "Je regarde.")
    assert all("Note interne" not in d.body for d in WebhookDelivery.objects.all())
    assert all(conversation.token not in d.body for d in WebhookDelivery.objects.all())
    solved = bodies[-1]
    assert solved["data"]["status"] == "solved" and solved["data"]["resolved_by"] == "person"


def test_a_survey_answer_is_announced(
    subscribed: None, customer: User, agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    opened = lifecycle.open_conversation(
        channel="web_form", first_message="Facture fausse", customer=customer
    )
    survey = surveys.csat_for(opened.conversation)
    with django_capture_on_commit_callbacks(execute=True):
        surveys.answer_survey(survey, score=5, comment="Parfait")
    [body] = [b for b in _bodies() if b["type"] == "survey.answered"]
    assert body["type"] == "survey.answered"
    assert body["data"]["conversation_id"] == opened.conversation.pk
    assert (body["data"]["score"], body["data"]["comment"]) == (5, "Parfait")


def test_an_incident_is_announced_when_opened_updated_and_resolved(
    subscribed: None, supervisor: User, django_capture_on_commit_callbacks: Any
) -> None:
    fibre = status_services.add_component(name_fr="Internet fibre", name_en="Fibre internet")
    with django_capture_on_commit_callbacks(execute=True):
        incident = status_services.declare_incident(
            status_services.IncidentFields(
                title_fr="Panne fibre",
                title_en="Fibre outage",
                message_fr="Nous cherchons.",
                message_en="Looking into it.",
                impact=Impact.MAJOR_OUTAGE,
                components=[fibre],
            ),
            by=supervisor,
        )
    with django_capture_on_commit_callbacks(execute=True):
        status_services.post_update(
            incident, phase=Phase.IDENTIFIED, message_fr="Câble coupé.", by=supervisor
        )
    with django_capture_on_commit_callbacks(execute=True):
        status_services.post_update(
            incident, phase=Phase.RESOLVED, message_fr="Réparé.", by=supervisor
        )
    assert _types() == ["incident.opened", "incident.updated", "incident.resolved"]
    opened, updated, resolved = _bodies()
    assert opened["data"]["id"] == incident.pk
    assert opened["data"]["components"] == [fibre.pk]
    assert opened["data"]["title"] == {"fr": "Panne fibre", "en": "Fibre outage"}
    assert updated["data"]["update"]["message"]["fr"] == "Câble coupé."
    assert resolved["data"]["resolved_at"] is not None


def test_an_article_is_announced_when_published_and_not_at_each_later_edit(
    subscribed: None, agent: User, django_capture_on_commit_callbacks: Any
) -> None:
    category = Category.objects.create(slug="billing", name_fr="Factures", name_en="Invoices")
    article = save_article(key="invoice", fields=ArticleFields(category=category, owner=agent))
    fields = TranslationFields(title="Lire sa facture", body="Dans l'espace client.")
    with django_capture_on_commit_callbacks(execute=True):
        draft = save_translation(article=article, language="fr", fields=fields, author=agent)
    assert _types() == []
    with django_capture_on_commit_callbacks(execute=True):
        set_article_status(draft, ArticleStatus.PUBLISHED, author=agent)
    with django_capture_on_commit_callbacks(execute=True):
        save_translation(
            article=article,
            language="fr",
            fields=TranslationFields(
                title="Lire sa facture", body="Autre texte.", status=ArticleStatus.PUBLISHED
            ),
            author=agent,
        )
    [body] = _bodies()
    assert body["type"] == "article.published"
    assert (body["data"]["id"], body["data"]["language"]) == (article.pk, "fr")
    assert body["data"]["title"] == "Lire sa facture"
