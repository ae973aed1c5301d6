"""The agent endpoints of DESIGN.md, driven over HTTP with a bearer token."""

from typing import Any

import pytest
from django.test import Client

from ponton.accounts.services import create_api_token
from ponton.conversations.models import State

pytestmark = pytest.mark.django_db

START = "/api/v1/chat/conversations"


def _start(client: Client, text: str) -> dict[str, Any]:
    response = client.post(START, {"text": text, "lang": "fr"}, content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()


def _bearer(user: Any) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {create_api_token(user)}"}


def test_an_angry_first_message_reaches_the_agents_queue_with_its_context(
    kb: Any, agent: Any
) -> None:
    customer_side, agent_side = Client(), Client(**_bearer(agent))
    chat = _start(customer_side, "C'est INADMISSIBLE, trois semaines sans internet !!!")
    assert chat["state"] == "waiting_human"

    queue = agent_side.get("/api/v1/conversations?state=waiting_human").json()["results"]
    assert [(c["id"], c["handoff_reason"]) for c in queue] == [(chat["id"], "emotion")]
    assert queue[0]["priority"] <= 2

    detail = agent_side.get(f"/api/v1/conversations/{chat['id']}").json()
    context = detail["context"]
    assert context["reason"] == "emotion"
    assert any(s["kind"] == "anger" and s["evidence"] for s in context["signals"])
    assert context["transcript"][0]["text"].startswith("C'est INADMISSIBLE")
    assert {"searches", "articles_viewed", "customer"} <= set(context)


def test_the_agents_reply_reaches_the_customer_and_the_assistant_stays_silent(
    kb: Any, agent: Any
) -> None:
    customer_side, agent_side = Client(), Client(**_bearer(agent))
    chat = _start(customer_side, "Je veux parler à un conseiller")
    headers = {"HTTP_X_CONVERSATION_TOKEN": chat["token"]}
    last = chat["messages"][-1]["id"]

    reply = agent_side.post(
        f"/api/v1/conversations/{chat['id']}/messages",
        {"text": "Bonjour, je m'appelle Karim, je regarde votre dossier."},
        content_type="application/json",
    )
    assert reply.status_code == 201
    read = customer_side.get(f"{START}/{chat['id']}/messages?after={last}", **headers).json()
    assert read["state"] == State.WITH_HUMAN
    assert [(m["author"], m["text"]) for m in read["messages"]] == [
        ("agent", "Bonjour, je m'appelle Karim, je regarde votre dossier.")
    ]

    answer = customer_side.post(
        f"{START}/{chat['id']}/messages",
        {"text": "j'ai oublié mon mot de passe"},
        content_type="application/json",
        **headers,
    ).json()
    assert [m["author"] for m in answer["messages"]] == ["customer"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/conversations"),
        ("get", "/api/v1/conversations/{id}"),
        ("post", "/api/v1/conversations/{id}/messages"),
    ],
)
def test_agent_endpoints_refuse_requests_without_a_valid_agent_token(
    kb: Any, customer: Any, method: str, path: str
) -> None:
    chat = _start(Client(), "un humain svp")
    url = path.format(id=chat["id"])
    body = {"data": {"text": "x"}, "content_type": "application/json"} if method == "post" else {}
    for client in (
        Client(),
        Client(HTTP_AUTHORIZATION="Bearer pt_not-a-token"),
        Client(HTTP_AUTHORIZATION="Token abc"),
        Client(**_bearer(customer)),
    ):
        assert getattr(client, method)(url, **body).status_code in (401, 403)
    customer_client = Client()
    customer_client.force_login(customer)
    assert getattr(customer_client, method)(url, **body).status_code == 403


def test_a_missing_conversation_is_a_404_for_an_agent(agent: Any) -> None:
    assert Client(**_bearer(agent)).get("/api/v1/conversations/999999").status_code == 404


def test_the_queue_rejects_an_unknown_state(agent: Any) -> None:
    response = Client(**_bearer(agent)).get("/api/v1/conversations?state=lost")
    assert response.status_code == 400
