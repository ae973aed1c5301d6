"""Selfcare actions: the assistant does things for a signed-in customer through the
company's own systems, and a failure of those systems is a clear message with the
way to a person, never an error page.

The demo's fake systems (ponton/demo/backend.py) answer on pytest-django's live
server; failures come from a port nobody listens on and from a fake endpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ponton.accounts.models import User
from ponton.assistant.tests.test_phrasing import FakeEndpoint, Reply, closed_port_url
from ponton.conftest import KB, make_article
from ponton.connectors.tests.test_webchat_api import (
    action_ids,
    last_assistant_turn,
    send,
    start_chat,
)
from ponton.conversations.models import Conversation, State
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.knowledge.models import Article, Status
from ponton.knowledge.services import (
    TranslationFields,
)


@pytest.fixture
def demo_backend(settings: Any, live_server: Any) -> str:
    """The demo company's systems, served by the live server."""
    settings.PONTON_CONNECTOR_URL = live_server.url + "/demo-backend/"
    settings.PONTON_DEMO_BACKEND = True
    settings.PONTON_CONNECTOR_TOKEN = "test-connector-token"
    return str(settings.PONTON_CONNECTOR_URL)


@pytest.fixture
def connector_down(settings: Any) -> None:
    settings.PONTON_CONNECTOR_URL = closed_port_url() + "/"


def _article(kb: KB, agent: User, key: str, title: str, body: str, questions: list[str]) -> Article:
    fields = TranslationFields(title=title, body=body, questions=questions, status=Status.PUBLISHED)
    return make_article(key, kb.account, agent, {"en": fields})[0]


@pytest.fixture
def service_articles(kb: KB, agent: User) -> KB:
    """The articles whose answers come with an action: tracking and technician visits."""
    _article(
        kb,
        agent,
        "track-order",
        "Track your order",
        "Your order is on its way: follow it from My Account > Orders.\n",
        ["where is my order", "track my parcel", "when will my delivery arrive"],
    )
    _article(
        kb,
        agent,
        "book-technician",
        "Book a technician visit",
        "A technician can come to install or repair your box. Pick a slot in My Account.\n",
        ["book a technician", "I need a technician visit", "appointment with a technician"],
    )
    return kb


def _offered_action(body: dict[str, Any], action: str) -> None:
    assert action in action_ids(last_assistant_turn(body)), body


def _resolutions() -> list[dict[str, Any]]:
    return [e.data for e in JourneyEvent.objects.filter(kind=EventKind.SELFCARE_RESOLVED)]


# A signed-in customer, the demo systems up ----------------------------------------------


def test_a_signed_in_customer_gets_their_latest_invoice_in_the_chat(
    client: Client, kb: KB, customer: User, demo_backend: str
) -> None:
    client.force_login(customer)
    chat = start_chat(client, "Where is my invoice?", lang="en")
    _offered_action(chat, "do:latest_invoice")

    body = send(client, chat, action="do:latest_invoice")

    text = last_assistant_turn(body)["text"]
    assert "-12345" in text  # the invoice number ends with Claire's customer number
    assert "https://espace.hirondelle.example/factures/F" in text
    assert ".pdf" in text
    assert body["state"] == State.CLOSED


def test_a_completed_action_records_a_resolution(
    client: Client, kb: KB, customer: User, demo_backend: str
) -> None:
    client.force_login(customer)
    chat = start_chat(client, "Where is my invoice?", lang="en")

    send(client, chat, action="do:latest_invoice")

    conversation = Conversation.objects.get(pk=chat["id"])
    assert conversation.resolved_at is not None
    assert _resolutions() == [
        {"conversation": conversation.pk, "article": kb.invoice.pk, "how": "action:latest_invoice"}
    ]
    action = JourneyEvent.objects.get(kind=EventKind.SELFCARE_ACTION)
    assert action.customer == customer
    assert action.data["action"] == "latest_invoice"


def test_a_signed_in_customer_tracks_their_order_in_the_chat(
    client: Client, service_articles: KB, customer: User, demo_backend: str
) -> None:
    client.force_login(customer)
    chat = start_chat(client, "where is my order", lang="en")
    _offered_action(chat, "do:track_order")

    body = send(client, chat, action="do:track_order")

    text = last_assistant_turn(body)["text"]
    assert "C-012345" in text
    assert "https://suivi.hirondelle.example/C-012345" in text
    assert body["state"] == State.CLOSED
    assert [r["how"] for r in _resolutions()] == ["action:track_order"]


def test_a_signed_in_customer_picks_a_slot_then_books_a_technician(
    client: Client, service_articles: KB, customer: User, demo_backend: str
) -> None:
    client.force_login(customer)
    chat = start_chat(client, "I need a technician visit", lang="en")
    _offered_action(chat, "do:book_appointment")

    offer = send(client, chat, action="do:book_appointment")

    assert offer["state"] == State.ASSISTANT
    turn = last_assistant_turn(offer)
    slots = [a for a in action_ids(turn) if a.startswith("do:book_appointment:")]
    assert len(slots) == 3
    assert "human" in action_ids(turn)
    first_slot = datetime.fromisoformat(slots[0].removeprefix("do:book_appointment:"))
    assert first_slot > timezone.now()
    assert _resolutions() == []  # slots offered, nothing booked yet

    booked = send(client, chat, action=slots[0])

    assert "RDV-" in last_assistant_turn(booked)["text"]
    assert booked["state"] == State.CLOSED
    [resolution] = _resolutions()
    assert resolution["how"].startswith("action:book_appointment")


def test_a_slot_that_was_never_offered_cannot_be_booked(
    client: Client, service_articles: KB, customer: User, demo_backend: str
) -> None:
    client.force_login(customer)
    chat = start_chat(client, "I need a technician visit", lang="en")
    send(client, chat, action="do:book_appointment")

    response = client.post(
        f"/api/v1/chat/conversations/{chat['id']}/messages",
        {"action": "do:book_appointment:2030-01-01T03:00:00+01:00"},
        content_type="application/json",
        headers={"X-Conversation-Token": chat["token"]},
    )

    assert response.status_code == 400
    assert _resolutions() == []


def test_a_visitor_who_gave_an_email_gets_a_password_reset_link_without_signing_in(
    client: Client, kb: KB, demo_backend: str
) -> None:
    chat = start_chat(
        client, "I forgot my password", lang="en", customer={"email": "claire@example.net"}
    )
    _offered_action(chat, "do:send_password_reset")

    body = send(client, chat, action="do:send_password_reset")

    assert "c***@example.net" in last_assistant_turn(body)["text"]
    assert [r["how"] for r in _resolutions()] == ["action:send_password_reset"]


# Anonymous visitors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "action"),
    [
        ("Where is my invoice?", "do:latest_invoice"),
        ("where is my order", "do:track_order"),
        ("I need a technician visit", "do:book_appointment"),
    ],
)
def test_an_anonymous_visitor_is_asked_to_sign_in_for_an_action_on_their_account(
    client: Client, service_articles: KB, connector_down: None, question: str, action: str
) -> None:
    # The connector is down: a sign-in request proves nothing was asked of it.
    chat = start_chat(client, question, lang="en")
    _offered_action(chat, action)

    body = send(client, chat, action=action)

    assert body["state"] == State.ASSISTANT
    turn = last_assistant_turn(body)
    assert "Sign in" in turn["text"]
    assert "person" in turn["text"]
    assert "human" in action_ids(turn)
    assert _resolutions() == []


def test_a_visitor_without_an_email_is_told_what_a_password_reset_needs(
    client: Client, kb: KB, connector_down: None
) -> None:
    chat = start_chat(client, "I forgot my password", lang="en")

    body = send(client, chat, action="do:send_password_reset")

    turn = last_assistant_turn(body)
    assert "email address" in turn["text"]
    assert "sign in first" not in turn["text"]  # impossible for someone who forgot it
    reset_page = next(a for a in turn["actions"] if a["id"] == "password_reset_page")
    assert reset_page["url"] == "/en/accounts/password-reset/"
    assert client.get(reset_page["url"]).status_code == 200
    assert "human" in action_ids(turn)
    assert _resolutions() == []


# The company's systems fail -------------------------------------------------------------


def _assert_clear_failure(body: dict[str, Any], *, says: str = "") -> None:
    assert body["state"] == State.ASSISTANT
    turn = last_assistant_turn(body)
    assert "person" in turn["text"]
    assert says in turn["text"]
    assert "human" in action_ids(turn)
    assert _resolutions() == []
    failed = JourneyEvent.objects.filter(
        kind=EventKind.ASSISTANT_TURN, data__decision="action_failed"
    )
    assert failed.count() == 1


def test_a_connector_that_is_down_gives_a_clear_message_with_the_way_to_a_person(
    client: Client, kb: KB, customer: User, connector_down: None
) -> None:
    client.force_login(customer)
    chat = start_chat(client, "Where is my invoice?", lang="en")

    body = send(client, chat, action="do:latest_invoice")

    _assert_clear_failure(body, says="cannot be reached")


@pytest.fixture
def company_system(settings: Any) -> Iterator[FakeEndpoint]:
    """The company's systems, replaced by an endpoint that answers what the test scripts."""
    endpoint = FakeEndpoint()
    settings.PONTON_CONNECTOR_URL = endpoint.url + "/"
    settings.PONTON_CONNECTOR_TIMEOUT = 0.3
    try:
        yield endpoint
    finally:
        endpoint.close()


def test_a_slow_connector_gives_a_clear_message_with_the_way_to_a_person(
    client: Client, kb: KB, customer: User, company_system: FakeEndpoint
) -> None:
    company_system.reply = Reply(hang=True)
    client.force_login(customer)
    chat = start_chat(client, "Where is my invoice?", lang="en")

    body = send(client, chat, action="do:latest_invoice")

    _assert_clear_failure(body, says="did not answer in time")
    assert [r["path"] for r in company_system.requests] == ["/latest-invoice"]


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(Reply(status=500, body=b"<h1>Oops</h1>", content_type="text/html"), id="500"),
        pytest.param(Reply(status=503, body={"error": "maintenance"}), id="503-json"),
        pytest.param(Reply(body=b"<html>login</html>", content_type="text/html"), id="not-json"),
        pytest.param(Reply(body=["F1", "F2"]), id="not-an-object"),
        pytest.param(Reply(body={"unexpected": True}), id="missing-fields"),
        pytest.param(
            Reply(body={**dict.fromkeys(["number", "date", "pdf"], "x"), "amount": "?"}),
            id="bad-amount",
        ),
    ],
)
def test_a_connector_that_answers_badly_gives_a_clear_message_never_an_error(
    client: Client, kb: KB, customer: User, company_system: FakeEndpoint, reply: Reply
) -> None:
    company_system.reply = reply
    client.force_login(customer)
    chat = start_chat(client, "Where is my invoice?", lang="en")

    body = send(client, chat, action="do:latest_invoice")

    _assert_clear_failure(body)


def test_a_connector_error_with_a_json_list_body_is_not_a_server_error(
    client: Client, kb: KB, customer: User, company_system: FakeEndpoint
) -> None:
    company_system.reply = Reply(status=400, body=["customer_number is required"])
    client.force_login(customer)
    chat = start_chat(client, "Where is my invoice?", lang="en")

    body = send(client, chat, action="do:latest_invoice")

    _assert_clear_failure(body)


def test_the_connector_is_called_with_the_deployments_token_and_the_customer_number(
    client: Client, kb: KB, customer: User, company_system: FakeEndpoint, settings: Any
) -> None:
    settings.PONTON_CONNECTOR_TOKEN = "s3cret"
    company_system.reply = Reply(status=401, body={"error": "unauthorized"})
    client.force_login(customer)
    chat = start_chat(client, "Where is my invoice?", lang="en")

    send(client, chat, action="do:latest_invoice")

    [sent] = company_system.requests
    assert sent["headers"]["Authorization"] == "Bearer s3cret"
    assert sent["json"] == {"customer_number": "40012345"}
