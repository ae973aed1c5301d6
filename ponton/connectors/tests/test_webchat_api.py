"""The web chat API the widget talks to (DESIGN.md, "Interfaces that outside checks rely on").

The issue's "done when": a request for a person is honoured on the first
message in any wording, a routine question gets an answer with the exit and
"did this solve it?", two failed attempts lead to the offer of a person, no
article is offered twice, a retried message is stored once, and a
conversation is read only with its own token.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from ponton.conftest import KB
from ponton.conversations.models import (
    Author,
    Conversation,
    ConversationChannel,
    HandoffReason,
    Message,
    State,
)
from ponton.journeys.middleware import VISIT_COOKIE

START = "/api/v1/chat/conversations"
TOKEN_HEADER = "X-Conversation-Token"


def messages_url(conversation_id: int) -> str:
    return f"{START}/{conversation_id}/messages"


def start_chat(client: Client, text: str, **extra: Any) -> dict[str, Any]:
    """Open a conversation as the widget does; the 201 body."""
    response = client.post(START, {"text": text, **extra}, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


def send(client: Client, chat: dict[str, Any], **body: Any) -> dict[str, Any]:
    """Post a message (`text=`) or a choice (`action=`) with the conversation's token; the 201 body."""
    response = client.post(
        messages_url(chat["id"]),
        body,
        content_type="application/json",
        headers={TOKEN_HEADER: chat["token"]},
    )
    assert response.status_code == 201, response.content
    return response.json()


def read(client: Client, chat: dict[str, Any], after: int | None = None) -> dict[str, Any]:
    response = client.get(
        messages_url(chat["id"]),
        {"after": after} if after is not None else {},
        headers={TOKEN_HEADER: chat["token"]},
    )
    assert response.status_code == 200, response.content
    return response.json()


def last_assistant_turn(body: dict[str, Any]) -> dict[str, Any]:
    turns = [m for m in body["messages"] if m["author"] == Author.ASSISTANT]
    assert turns, body
    return turns[-1]


def action_ids(message: dict[str, Any]) -> list[str]:
    return [a["id"] for a in message.get("actions", [])]


# A request for a person is honoured at once ------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Je veux parler à un conseiller", "fr"),
        ("un humain svp", "fr"),
        ("Let me talk to a real person", "en"),
    ],
)
def test_a_first_message_asking_for_a_person_goes_to_a_person_at_once(
    client: Client, kb: KB, text: str, lang: str
) -> None:
    body = start_chat(client, text, lang=lang)

    assert body["state"] == State.WAITING_HUMAN
    assert [m["author"] for m in body["messages"]] == [Author.CUSTOMER, Author.SYSTEM]
    assert body["messages"][0]["text"] == text
    conversation = Conversation.objects.get(pk=body["id"])
    assert conversation.handoff_reason == HandoffReason.CUSTOMER_REQUEST
    assert conversation.person_requests == 1
    assert not conversation.messages.filter(author=Author.ASSISTANT).exists()


# A routine question is answered in selfcare -------------------------------------------


def test_a_routine_question_gets_an_answer_with_the_article_and_the_way_to_a_person(
    client: Client, kb: KB
) -> None:
    body = start_chat(client, "j'ai oublié mon mot de passe", lang="fr")

    assert body["state"] == State.ASSISTANT
    answer = last_assistant_turn(body)
    assert [a["id"] for a in answer["articles"]] == [kb.password.pk]
    card = answer["articles"][0]
    assert card["title"] == kb.password_fr.title
    assert card["url"] == f"/fr/a/{kb.password_fr.slug}/"
    assert card["snippet"]
    assert {"human", "resolved", "not_resolved"} <= set(action_ids(answer))
    assert all(a["label"] for a in answer["actions"])


def test_two_not_resolved_answers_lead_to_the_offer_of_a_person(client: Client, kb: KB) -> None:
    chat = start_chat(client, "I forgot my password", lang="en")

    first = send(client, chat, action="not_resolved")
    assert first["state"] == State.ASSISTANT
    assert "person" in last_assistant_turn(first)["text"]

    second = send(client, chat, action="not_resolved")
    assert second["state"] == State.ASSISTANT
    offer = last_assistant_turn(second)
    assert action_ids(offer) == ["human"]
    assert "advisor" in offer["text"]
    assert offer["text"] != last_assistant_turn(first)["text"]

    taken = send(client, chat, action="human")
    assert taken["state"] == State.WAITING_HUMAN


def test_two_out_of_scope_messages_lead_to_the_offer_of_a_person(client: Client, kb: KB) -> None:
    chat = start_chat(client, "What is the capital of Peru?", lang="en")
    admitted = last_assistant_turn(chat)
    assert "I don't have an answer" in admitted["text"]
    assert action_ids(admitted) == ["human"]

    second = send(client, chat, text="How many legs does a spider have?")
    assert second["state"] == State.ASSISTANT
    offer = last_assistant_turn(second)
    assert action_ids(offer) == ["human"]
    assert "advisor" in offer["text"]
    assert Conversation.objects.get(pk=chat["id"]).memory.failed_attempts == 2


def test_a_third_failed_attempt_hands_off_without_waiting(client: Client, kb: KB) -> None:
    chat = start_chat(client, "What is the capital of Peru?", lang="en")
    send(client, chat, text="How many legs does a spider have?")

    third = send(client, chat, text="Give me a recipe for apple pie")

    assert third["state"] == State.WAITING_HUMAN
    assert Conversation.objects.get(pk=chat["id"]).handoff_reason == HandoffReason.FAILED_ATTEMPTS


def test_no_article_is_offered_twice_in_a_conversation(client: Client, kb: KB) -> None:
    chat = start_chat(client, "j'ai oublié mon mot de passe", lang="fr")
    again = send(client, chat, text="mdp oublié")
    and_again = send(client, chat, text="réinitialiser mon mot de passe")

    offered = [
        card["id"]
        for message in Message.objects.filter(conversation_id=chat["id"])
        for card in message.articles
    ]
    assert offered == [kb.password.pk]
    assert "articles" not in last_assistant_turn(again)
    assert "articles" not in last_assistant_turn(and_again)


# Retries are stored once ---------------------------------------------------------------


def visitor(client: Client) -> Client:
    """A browser that has been on the help center: it holds our visit cookie."""
    client.cookies[VISIT_COOKIE] = str(uuid.uuid4())
    return client


def test_the_same_client_msg_id_twice_on_the_first_message_opens_one_conversation(
    client: Client, kb: KB
) -> None:
    visitor(client)
    first = start_chat(client, "j'ai oublié mon mot de passe", client_msg_id="c-1")
    retry = start_chat(client, "j'ai oublié mon mot de passe", client_msg_id="c-1")

    assert (retry["id"], retry["token"]) == (first["id"], first["token"])
    assert retry["messages"] == first["messages"]
    assert Conversation.objects.count() == 1
    assert Message.objects.filter(author=Author.CUSTOMER).count() == 1
    assert Message.objects.filter(author=Author.ASSISTANT).count() == 1


def test_two_browsers_sending_the_same_client_msg_id_never_share_a_conversation(
    kb: KB,
) -> None:
    """Neither holds a visitor cookie nor an account: nothing proves they are one sender,
    so the second must not receive the first one's conversation and token."""
    first = start_chat(Client(), "j'ai oublié mon mot de passe", client_msg_id="c-1")
    second = start_chat(Client(), "j'ai oublié mon mot de passe", client_msg_id="c-1")
    other_visitor = start_chat(
        visitor(Client()), "j'ai oublié mon mot de passe", client_msg_id="c-1"
    )

    assert len({first["id"], second["id"], other_visitor["id"]}) == 3
    assert len({first["token"], second["token"], other_visitor["token"]}) == 3


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises writers: no race to test"
)
@pytest.mark.django_db(transaction=True)
def test_the_same_first_message_sent_twice_at_once_opens_one_conversation(kb: KB) -> None:
    cookie = str(uuid.uuid4())
    start = threading.Barrier(5)
    answers: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def one_try() -> None:
        browser = Client()
        browser.cookies[VISIT_COOKIE] = cookie
        try:
            start.wait()
            answers.append(start_chat(browser, "ma box ne marche plus", client_msg_id="c-9"))
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=one_try) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert {(a["id"], a["token"]) for a in answers} == {(answers[0]["id"], answers[0]["token"])}
    assert Conversation.objects.count() == 1
    assert Message.objects.filter(author=Author.CUSTOMER).count() == 1


def test_the_same_client_msg_id_twice_on_a_later_message_stores_one_message(
    client: Client, kb: KB
) -> None:
    chat = start_chat(client, "j'ai oublié mon mot de passe", client_msg_id="c-1")

    first = send(client, chat, text="Où trouver ma facture ?", client_msg_id="c-2")
    retry = send(client, chat, text="Où trouver ma facture ?", client_msg_id="c-2")

    assert retry == first
    conversation = Conversation.objects.get(pk=chat["id"])
    assert conversation.messages.filter(author=Author.CUSTOMER).count() == 2
    assert conversation.messages.filter(author=Author.ASSISTANT).count() == 2


def test_the_same_client_msg_id_twice_on_a_choice_runs_it_once(client: Client, kb: KB) -> None:
    chat = start_chat(client, "I forgot my password", lang="en")

    send(client, chat, action="not_resolved", client_msg_id="c-2")
    send(client, chat, action="not_resolved", client_msg_id="c-2")

    conversation = Conversation.objects.get(pk=chat["id"])
    assert conversation.memory.failed_attempts == 1
    assert conversation.messages.filter(author=Author.CUSTOMER).count() == 2


def test_a_client_msg_id_reused_by_another_visitor_does_not_hand_over_the_first_conversation(
    client: Client, kb: KB
) -> None:
    client.get("/fr/")
    stranger = Client()
    stranger.get("/fr/")
    mine = start_chat(client, "Mon adresse est 3 rue des Lilas", client_msg_id="1")

    theirs = start_chat(stranger, "Bonjour", client_msg_id="1")

    assert theirs["id"] != mine["id"]
    assert theirs["token"] != mine["token"]


# Only the conversation's own token reads it --------------------------------------------


def test_the_right_token_reads_the_conversation(client: Client, kb: KB) -> None:
    chat = start_chat(client, "j'ai oublié mon mot de passe")
    assert read(client, chat)["messages"] == chat["messages"]


# Without the header the request is unauthenticated (401, the document's required header);
# a wrong token is the same 404 as a conversation that does not exist.
@pytest.mark.parametrize("token, status", [("", 401), ("wrong-token", 404)])
def test_a_wrong_or_missing_token_reads_nothing(
    client: Client, kb: KB, token: str, status: int
) -> None:
    chat = start_chat(client, "Mon adresse est 3 rue des Lilas")
    headers = {TOKEN_HEADER: token} if token else {}

    got = client.get(messages_url(chat["id"]), headers=headers)
    posted = client.post(
        messages_url(chat["id"]),
        {"text": "Je veux parler à un conseiller"},
        content_type="application/json",
        headers=headers,
    )

    assert (got.status_code, posted.status_code) == (status, status)
    assert "Lilas" not in got.content.decode()
    conversation = Conversation.objects.get(pk=chat["id"])
    assert conversation.messages.filter(author=Author.CUSTOMER).count() == 1
    assert conversation.state == State.ASSISTANT


def test_a_token_with_non_ascii_characters_reads_nothing(client: Client, kb: KB) -> None:
    chat = start_chat(client, "Bonjour")
    client.raise_request_exception = False

    response = client.get(messages_url(chat["id"]), headers={TOKEN_HEADER: "é" * 32})

    assert response.status_code == 404


def test_another_conversations_token_does_not_open_this_one(client: Client, kb: KB) -> None:
    mine = start_chat(client, "Mon adresse est 3 rue des Lilas")
    theirs = start_chat(Client(), "Bonjour")

    response = client.get(messages_url(mine["id"]), headers={TOKEN_HEADER: theirs["token"]})

    assert response.status_code == 404


def test_a_missing_conversation_answers_the_same_404(client: Client, kb: KB) -> None:
    chat = start_chat(client, "Bonjour")
    response = client.get(messages_url(chat["id"] + 1000), headers={TOKEN_HEADER: chat["token"]})
    assert response.status_code == 404


def test_a_contact_form_request_cannot_be_read_through_the_chat_api(client: Client, kb: KB) -> None:
    client.post("/fr/contact/", {"email": "claire@example.net", "text": "Ma box clignote."})
    conversation = Conversation.objects.get(channel=ConversationChannel.WEB_FORM)

    response = client.get(messages_url(conversation.pk), headers={TOKEN_HEADER: conversation.token})

    assert response.status_code == 404


# Shapes ----------------------------------------------------------------------------------


def _assert_message_shape(message: dict[str, Any]) -> None:
    assert {"id", "author", "text", "created_at"} <= set(message)
    assert isinstance(message["id"], int)
    assert message["author"] in {"customer", "assistant", "agent", "system"}
    assert isinstance(message["text"], str) and message["text"]
    assert datetime.fromisoformat(message["created_at"]).tzinfo is not None
    for choice in message.get("actions", []):
        assert set(choice) == {"id", "label"}


def test_the_responses_have_the_documented_shapes(client: Client, kb: KB) -> None:
    started = start_chat(client, "j'ai oublié mon mot de passe", lang="fr", client_msg_id="c-1")
    assert {"id", "token", "state", "messages"} <= set(started)
    assert isinstance(started["id"], int) and started["token"]
    assert started["state"] == "assistant"
    for message in started["messages"]:
        _assert_message_shape(message)

    posted = send(client, started, text="Où trouver ma facture ?")
    assert {"state", "messages"} <= set(posted)
    assert posted["messages"][0]["author"] == "customer"
    assert posted["messages"][0]["text"] == "Où trouver ma facture ?"
    for message in posted["messages"]:
        _assert_message_shape(message)

    listed = read(client, started)
    assert {"state", "messages"} <= set(listed)
    assert [m["id"] for m in listed["messages"]] == sorted(m["id"] for m in listed["messages"])
    assert listed["messages"] == started["messages"] + posted["messages"]


def test_reading_after_a_message_id_returns_only_the_newer_messages(client: Client, kb: KB) -> None:
    chat = start_chat(client, "j'ai oublié mon mot de passe")
    last_seen = chat["messages"][-1]["id"]
    posted = send(client, chat, text="Où trouver ma facture ?")

    assert read(client, chat, after=last_seen)["messages"] == posted["messages"]
    assert read(client, chat, after=posted["messages"][-1]["id"])["messages"] == []


def test_reading_after_something_that_is_not_a_message_id_is_refused(
    client: Client, kb: KB
) -> None:
    chat = start_chat(client, "Bonjour")
    response = client.get(
        messages_url(chat["id"]), {"after": "abc"}, headers={TOKEN_HEADER: chat["token"]}
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body",
    [{}, {"text": ""}, {"text": "   "}, {"text": "x" * 5001}, {"text": "Bonjour", "lang": "de"}],
)
def test_an_empty_or_malformed_first_message_is_refused_and_opens_nothing(
    client: Client, db: None, body: dict[str, Any]
) -> None:
    response = client.post(START, body, content_type="application/json")
    assert response.status_code == 400
    assert Conversation.objects.count() == 0


def test_a_message_with_both_text_and_a_choice_is_refused(client: Client, kb: KB) -> None:
    chat = start_chat(client, "j'ai oublié mon mot de passe")
    response = client.post(
        messages_url(chat["id"]),
        {"text": "Bonjour", "action": "resolved"},
        content_type="application/json",
        headers={TOKEN_HEADER: chat["token"]},
    )
    assert response.status_code == 400


def test_a_signed_in_customers_chat_is_theirs(client: Client, kb: KB, customer: Any) -> None:
    client.force_login(customer)
    chat = start_chat(client, "Où trouver ma facture ?")
    conversation = Conversation.objects.get(pk=chat["id"])
    assert conversation.customer == customer
    assert conversation.email == customer.email


def test_the_openapi_document_describes_the_chat_operations(client: Client, db: None) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "post" in paths["/api/v1/chat/conversations"]
    assert {"get", "post"} <= set(paths["/api/v1/chat/conversations/{conversation_id}/messages"])


@pytest.mark.django_db
@pytest.mark.parametrize("blank", ["", "   ", "\u2003\n", "\ufeff"])
def test_a_blank_message_is_refused_with_what_to_write(client: Client, blank: str) -> None:
    response = client.post(START, {"text": blank}, content_type="application/json")

    assert response.status_code == 400
    assert "text" in response.json()["errors"]
    assert not Conversation.objects.exists()


@pytest.mark.django_db
def test_a_message_is_kept_as_written_inside_its_white_space(client: Client, kb: KB) -> None:
    # The document's pattern (\S, a JavaScript regex) counts \x1c as visible: so does the service.
    chat = start_chat(client, "  Ma box\x1c ne marche plus \n")

    first = Conversation.objects.get(pk=chat["id"]).messages.order_by("id").first()
    assert first is not None and first.text == "Ma box\x1c ne marche plus"


@pytest.mark.django_db
def test_a_character_the_document_counts_as_visible_opens_a_chat(client: Client, kb: KB) -> None:
    chat = start_chat(client, "\x1c")  # JavaScript's \S admits it; Python would call it blank

    assert Conversation.objects.get(pk=chat["id"]).messages.first().text == "\x1c"  # type: ignore[union-attr]
