"""An anonymous visitor handed to a person is asked, once and optionally, how to reach them;
what they write is kept, so the answer finds them after they close the page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ponton import phones
from ponton.conversations import lifecycle
from ponton.conversations.models import Author, Conversation
from ponton.conversations.reach import reach_in
from ponton.tasks.models import Task

pytestmark = pytest.mark.django_db

CHAT = "/api/v1/chat/conversations"


def _write(conversation: dict[str, Any], text: str) -> dict[str, Any]:
    response = Client().post(
        f"{CHAT}/{conversation['id']}/messages",
        {"text": text},
        content_type="application/json",
        HTTP_X_CONVERSATION_TOKEN=conversation["token"],
    )
    assert response.status_code == 201, response.content
    return response.json()


def _anonymous_handoff() -> dict[str, Any]:
    response = Client().post(
        CHAT,
        {"text": "Je veux parler à un conseiller", "lang": "fr"},
        content_type="application/json",
    )
    assert response.status_code == 201
    return response.json()


def test_an_anonymous_visitor_is_asked_how_to_be_reached_and_what_they_leave_is_kept(
    kb: Any, agent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    chat = _anonymous_handoff()
    notice = chat["messages"][-1]
    assert notice["author"] == Author.SYSTEM
    assert "gardez simplement cette page ouverte" in notice["text"]
    assert "facultatif" in notice["text"]

    answer = _write(chat, "Oui : marie.dupont@exemple.fr ou le 06 12 34 56 78, merci")

    conversation = Conversation.objects.get(pk=chat["id"])
    assert (conversation.email, conversation.phone) == ("marie.dupont@exemple.fr", "+33612345678")
    thanks = answer["messages"][-1]
    assert thanks["author"] == Author.SYSTEM
    assert "marie.dupont@exemple.fr et 06 12 34 56 78" in thanks["text"]
    # The agent's answer now leaves by email too.
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.reply_as_agent(conversation, agent=agent, text="Bonjour Marie, je regarde.")
    assert Task.objects.filter(name="conversations.email_reply").exists()


def test_a_signed_in_customer_or_a_visitor_who_gave_an_email_is_not_asked(
    kb: Any, customer: Any
) -> None:
    client = Client()
    client.force_login(customer)
    signed_in = client.post(
        CHAT,
        {"text": "Je veux parler à un conseiller", "lang": "fr"},
        content_type="application/json",
    ).json()
    with_email = (
        Client()
        .post(
            CHAT,
            {
                "text": "Je veux parler à un conseiller",
                "lang": "fr",
                "customer": {"email": "paul@exemple.fr"},
            },
            content_type="application/json",
        )
        .json()
    )

    for chat in (signed_in, with_email):
        assert "page ouverte" not in chat["messages"][-1]["text"]


def test_a_message_without_a_way_to_reach_changes_nothing(kb: Any) -> None:
    chat = _anonymous_handoff()

    answer = _write(chat, "C'est pour ma facture de mars, le 12 au soir")

    conversation = Conversation.objects.get(pk=chat["id"])
    assert (conversation.email, conversation.phone) == ("", "")
    assert [m["author"] for m in answer["messages"]] == [Author.CUSTOMER]


@pytest.mark.parametrize(
    ("text", "email", "phone"),
    [
        ("06 12 34 56 78", "", "+33612345678"),
        ("+33 6 12 34 56 78", "", "+33612345678"),
        ("appelez le 06 12", "", ""),
        ("écrivez à Jean.Martin@Example.com.", "jean.martin@example.com", ""),
        ("pas d'adresse @ ici", "", ""),
    ],
)
def test_reach_in_finds_only_valid_addresses_and_numbers(text: str, email: str, phone: str) -> None:
    assert reach_in(text) == (reach_in(text).__class__(email=email, phone=phone))


def test_phone_numbers_are_checked_and_shown_as_people_write_them() -> None:
    assert phones.valid_e164("06 12") == ""
    assert phones.valid_e164("06 12 34 56 78") == "+33612345678"
    assert phones.display("+33612345678") == "06 12 34 56 78"
    assert phones.display("+442071838750") == "+44 20 7183 8750"


def test_the_agent_sees_how_the_customer_can_be_reached(kb: Any, agent: Any) -> None:
    silent, reachable = _anonymous_handoff(), _anonymous_handoff()
    _write(reachable, "mon numéro : 06 12 34 56 78")
    client = Client()
    client.force_login(agent)

    silent_page = client.get(f"/fr/agent/c/{silent['id']}/").content.decode()
    reachable_page = client.get(f"/fr/agent/c/{reachable['id']}/").content.decode()

    assert "Seulement ici, tant que sa page est ouverte" in silent_page
    assert 'href="tel:+33612345678"' in reachable_page
    assert "06 12 34 56 78" in reachable_page
