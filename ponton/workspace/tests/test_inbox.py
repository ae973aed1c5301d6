"""The agent workspace: queues and scope, the context packet first, and every
action on a conversation, over pages and the API."""

from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ponton.accounts.models import Team
from ponton.accounts.services import create_api_token
from ponton.conversations import lifecycle
from ponton.conversations.models import Conversation, State, Status
from ponton.journeys.models import JourneyEvent
from ponton.tasks.services import run_due

pytestmark = pytest.mark.django_db

CHAT = "/api/v1/chat/conversations"


def _chat(text: str, *, client: Client | None = None) -> dict[str, Any]:
    response = (client or Client()).post(
        CHAT, {"text": text, "lang": "fr"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _front() -> Team:
    return Team.objects.get(slug="front")


@pytest.fixture
def handed_off(kb: Any, agent: Any, customer: Any) -> Conversation:
    """Claire, signed in, searched, then wrote angrily; the front team has it."""
    client = _signed_in(customer)
    client.get("/fr/search", {"q": "facture introuvable"})
    chat = _chat("C'est INADMISSIBLE, ma facture est fausse depuis 3 mois !!!", client=client)
    conversation = Conversation.objects.get(pk=chat["id"])
    lifecycle.assign(conversation, to=None, team=_front(), by=None)
    return conversation


def test_an_agent_sees_a_handoff_of_their_team_in_the_waiting_queue(
    handed_off: Conversation, agent: Any
) -> None:
    page = _signed_in(agent).get("/fr/agent/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-conversation="{handed_off.pk}"' in html
    assert "Anger or frustration" in html or "Colère" in html
    assert "Claire Martin" in html


def test_an_agent_of_another_team_neither_lists_nor_opens_the_conversation(
    handed_off: Conversation, other_team_agent: Any
) -> None:
    client = _signed_in(other_team_agent)
    assert (
        f'data-conversation="{handed_off.pk}"'
        not in client.get("/fr/agent/?queue=all").content.decode()
    )
    missing = client.get("/fr/agent/c/999999/")
    outside = client.get(f"/fr/agent/c/{handed_off.pk}/")
    assert missing.status_code == outside.status_code == 404
    api = Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(other_team_agent)}")
    for path in ("", "/messages"):
        assert api.get(f"/api/v1/conversations/{handed_off.pk}{path}").status_code == 404
    assert handed_off.pk not in [
        c["id"] for c in api.get("/api/v1/conversations").json()["results"]
    ]
    assert client.post(f"/fr/agent/c/{handed_off.pk}/reply", {"text": "x"}).status_code == 404


def test_a_supervisor_sees_every_team(handed_off: Conversation, supervisor: Any) -> None:
    assert _signed_in(supervisor).get(f"/fr/agent/c/{handed_off.pk}/").status_code == 200


def test_the_workspace_is_for_staff_only(handed_off: Conversation, customer: Any) -> None:
    assert Client().get("/fr/agent/").status_code == 302
    assert _signed_in(customer).get("/fr/agent/").status_code == 403
    assert _signed_in(customer).get(f"/fr/agent/c/{handed_off.pk}/").status_code == 403


def test_the_conversation_page_shows_the_packet_before_the_thread(
    handed_off: Conversation, agent: Any
) -> None:
    html = _signed_in(agent).get(f"/fr/agent/c/{handed_off.pk}/").content.decode()
    packet, thread = html.index("data-packet"), html.index("data-thread")
    assert packet < thread
    assert "INADMISSIBLE" in html[packet:thread]  # the anger signal's evidence, in her words
    assert "facture introuvable" in html[packet:thread]  # what she searched
    assert "fibre-max" in html[packet:thread]  # her plan


def test_a_reply_from_the_page_reaches_the_customer_and_emails_her(
    handed_off: Conversation, agent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _signed_in(agent).post(
            f"/fr/agent/c/{handed_off.pk}/reply", {"text": "Je corrige votre facture."}
        )
    assert response.status_code == 302
    handed_off.refresh_from_db()
    assert (handed_off.state, handed_off.assignee, handed_off.status) == (
        State.WITH_HUMAN,
        agent,
        Status.OPEN,
    )
    assert handed_off.first_response_at is not None
    read = Client().get(
        f"{CHAT}/{handed_off.pk}/messages", HTTP_X_CONVERSATION_TOKEN=handed_off.token
    )
    assert read.json()["messages"][-1]["text"] == "Je corrige votre facture."
    run_due()
    assert [m.to for m in mail.outbox][-1] == ["claire@example.net"]
    assert "Je corrige votre facture." in mail.outbox[-1].body


def test_an_internal_note_is_never_shown_to_the_customer(
    handed_off: Conversation, agent: Any
) -> None:
    _signed_in(agent).post(
        f"/fr/agent/c/{handed_off.pk}/reply",
        {"text": "Client fâché, geste commercial ?", "internal": "1"},
    )
    read = (
        Client()
        .get(f"{CHAT}/{handed_off.pk}/messages", HTTP_X_CONVERSATION_TOKEN=handed_off.token)
        .json()
    )
    assert all("geste commercial" not in m["text"] for m in read["messages"])
    handed_off.refresh_from_db()
    assert handed_off.state == State.WAITING_HUMAN  # a note is not an answer
    staff = _signed_in(agent).get(f"/api/v1/conversations/{handed_off.pk}/messages").json()
    assert staff["messages"][-1] == {**staff["messages"][-1], "internal": True}


def test_the_page_rereads_only_what_came_after_its_last_message(
    handed_off: Conversation, agent: Any
) -> None:
    client = _signed_in(agent)
    last = handed_off.messages.order_by("-id").first()
    assert last is not None
    assert (
        client.get(f"/fr/agent/c/{handed_off.pk}/?after={last.pk}").content.decode().strip() == ""
    )
    lifecycle.reply_as_agent(handed_off, agent=agent, text="Nouvelle réponse")
    fragment = client.get(f"/fr/agent/c/{handed_off.pk}/?after={last.pk}").content.decode()
    assert "Nouvelle réponse" in fragment and "INADMISSIBLE" not in fragment


def test_a_transfer_with_a_note_moves_the_conversation_out_of_the_agents_scope(
    handed_off: Conversation, agent: Any, other_team_agent: Any
) -> None:
    business = Team.objects.get(slug="business")
    response = _signed_in(agent).post(
        f"/fr/agent/c/{handed_off.pk}/assign",
        {"team": business.pk, "agent": other_team_agent.pk, "note": "Client pro, voir le contrat"},
    )
    assert response.status_code == 302 and response["Location"].endswith("/fr/agent/")
    handed_off.refresh_from_db()
    assert (handed_off.team, handed_off.assignee) == (business, other_team_agent)
    assert _signed_in(agent).get(f"/fr/agent/c/{handed_off.pk}/").status_code == 404
    html = _signed_in(other_team_agent).get(f"/fr/agent/c/{handed_off.pk}/").content.decode()
    assert "Client pro, voir le contrat" in html
    assert JourneyEvent.objects.filter(kind="assignment", data__conversation=handed_off.pk).exists()


def test_a_customer_writing_again_reopens_a_pending_conversation(
    handed_off: Conversation, agent: Any
) -> None:
    lifecycle.reply_as_agent(handed_off, agent=agent, text="Pouvez-vous m'envoyer la facture ?")
    lifecycle.set_status(handed_off, status=Status.PENDING, by=agent)
    Client().post(
        f"{CHAT}/{handed_off.pk}/messages",
        {"text": "La voici en pièce jointe"},
        content_type="application/json",
        HTTP_X_CONVERSATION_TOKEN=handed_off.token,
    )
    handed_off.refresh_from_db()
    assert handed_off.status == Status.OPEN


def test_a_customer_writing_in_a_solved_chat_gets_the_person_who_handled_it_back(
    handed_off: Conversation, agent: Any
) -> None:
    lifecycle.reply_as_agent(handed_off, agent=agent, text="C'est réglé, bonne journée.")
    lifecycle.set_status(handed_off, status=Status.SOLVED, by=agent)
    assert handed_off.state == State.CLOSED

    answer = Client().post(
        f"{CHAT}/{handed_off.pk}/messages",
        {"text": "En fait non, toujours pas de connexion"},
        content_type="application/json",
        HTTP_X_CONVERSATION_TOKEN=handed_off.token,
    )

    assert answer.status_code == 201
    handed_off.refresh_from_db()
    assert (handed_off.state, handed_off.status) == (State.WITH_HUMAN, Status.OPEN)
    assert handed_off.assignee == agent
    assert answer.json()["state"] == State.WITH_HUMAN
    # The assistant stays silent: the person takes it back, told so in the conversation.
    authors = [m["author"] for m in answer.json()["messages"]]
    assert "assistant" not in authors
    assert Conversation.objects.count() == 1


def test_handing_back_lets_the_assistant_answer_again(handed_off: Conversation, agent: Any) -> None:
    lifecycle.reply_as_agent(handed_off, agent=agent, text="Voilà qui est réglé.")
    _signed_in(agent).post(f"/fr/agent/c/{handed_off.pk}/hand-back")
    answer = (
        Client()
        .post(
            f"{CHAT}/{handed_off.pk}/messages",
            {"text": "j'ai oublié mon mot de passe"},
            content_type="application/json",
            HTTP_X_CONVERSATION_TOKEN=handed_off.token,
        )
        .json()
    )
    assert answer["state"] == State.ASSISTANT
    assert answer["messages"][-1]["author"] == "assistant"
    assert any(a["id"] == "human" for a in answer["messages"][-1]["actions"])


def test_merging_a_duplicate_keeps_every_message_in_the_original(
    handed_off: Conversation, agent: Any, customer: Any
) -> None:
    duplicate = Conversation.objects.get(
        pk=_chat("Toujours ma facture fausse, je veux un humain", client=_signed_in(customer))["id"]
    )
    lifecycle.assign(duplicate, to=None, team=_front(), by=None)
    texts = set(duplicate.messages.values_list("text", flat=True))
    _signed_in(agent).post(f"/fr/agent/c/{duplicate.pk}/merge", {"into": handed_off.pk})
    duplicate.refresh_from_db()
    assert duplicate.merged_into == handed_off and duplicate.state == State.CLOSED
    assert texts <= set(handed_off.messages.values_list("text", flat=True))


def test_merging_another_customers_conversation_is_refused(
    handed_off: Conversation, agent: Any, other_customer: Any
) -> None:
    other = Conversation.objects.get(
        pk=_chat("un humain svp", client=_signed_in(other_customer))["id"]
    )
    _signed_in(agent).post(f"/fr/agent/c/{other.pk}/merge", {"into": handed_off.pk})
    other.refresh_from_db()
    assert other.merged_into is None


def test_integrators_assign_and_close_over_the_api(
    handed_off: Conversation, agent: Any, other_team_agent: Any
) -> None:
    api = Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(agent)}")
    url = f"/api/v1/conversations/{handed_off.pk}"
    assigned = api.post(f"{url}/assign", {"agent": "karim"}, content_type="application/json")
    assert assigned.status_code == 200 and assigned.json()["assignee"] == "karim"
    mine = api.get("/api/v1/conversations?assignee=me").json()["results"]
    assert [c["id"] for c in mine] == [handed_off.pk]
    wrong = api.post(f"{url}/assign", {"agent": "claire"}, content_type="application/json")
    assert wrong.status_code == 400
    closed = api.post(f"{url}/status", {"status": "closed"}, content_type="application/json")
    assert closed.json()["state"] == State.CLOSED
    assert (
        api.post(f"{url}/status", {"status": "lost"}, content_type="application/json").status_code
        == 400
    )
    outsider = Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(other_team_agent)}")
    assert (
        outsider.post(
            f"{url}/status", {"status": "open"}, content_type="application/json"
        ).status_code
        == 404
    )


def test_the_inbox_reads_a_fixed_number_of_queries(
    handed_off: Conversation, agent: Any, customer: Any
) -> None:
    client = _signed_in(agent)
    client.get("/fr/agent/?queue=all&fragment=1")
    with CaptureQueriesContext(connection) as few:
        client.get("/fr/agent/?queue=all&fragment=1")
    for _ in range(5):
        conversation = Conversation.objects.get(pk=_chat("je veux un conseiller")["id"])
        lifecycle.assign(conversation, to=None, team=_front(), by=None)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/fr/agent/?queue=all&fragment=1")
    assert page.content.decode().count("data-conversation=") == 6
    assert len(many) == len(few)


def test_an_agent_going_online_from_the_inbox_is_offered_the_waiting_conversation(
    handed_off: Conversation, agent: Any
) -> None:
    assert handed_off.assignee is None
    response = _signed_in(agent).post("/fr/agent/availability", {"availability": "online"})
    assert response.status_code == 302
    agent.refresh_from_db()
    handed_off.refresh_from_db()
    assert agent.availability == "online" and handed_off.assignee == agent
    page = _signed_in(agent).get("/fr/agent/?queue=mine").content.decode()
    assert f'data-conversation="{handed_off.pk}"' in page
    assert (
        _signed_in(agent).post("/fr/agent/availability", {"availability": "asleep"}).status_code
        == 302
    )
    agent.refresh_from_db()
    assert agent.availability == "online"


def test_an_agent_reply_becomes_an_article_draft_from_the_conversation_page(
    handed_off: Conversation, agent: Any
) -> None:
    reply = lifecycle.reply_as_agent(handed_off, agent=agent, text="Votre facture est corrigée.")
    client = _signed_in(agent)
    page = client.get(f"/fr/agent/c/{handed_off.pk}/").content.decode()
    action = f"/fr/manage/insights/replies/{reply.pk}/draft"
    assert f'action="{action}"' in page
    response = client.post(action)
    assert response.status_code == 302 and "/manage/articles/" in response["Location"]


def test_an_agent_writing_on_a_solved_request_reopens_it(
    handed_off: Conversation, agent: Any
) -> None:
    lifecycle.reply_as_agent(handed_off, agent=agent, text="C'est corrigé.")
    lifecycle.set_status(handed_off, status=Status.SOLVED, by=agent)
    assert handed_off.resolved_at is not None
    lifecycle.reply_as_agent(handed_off, agent=agent, text="Une précision : l'avoir arrive lundi.")
    handed_off.refresh_from_db()
    assert (handed_off.state, handed_off.status, handed_off.resolved_at) == (
        State.WITH_HUMAN,
        Status.OPEN,
        None,
    )
