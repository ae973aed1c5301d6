"""The workspace beyond the queues: where staff land, what a list row says, search,
bulk actions, tags, mentions, read markers and the packet written for people."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ponton.accounts.models import Role, Team, User
from ponton.conftest import KB, PASSWORD
from ponton.conversations import lifecycle
from ponton.conversations.models import Conversation, State, Status
from ponton.knowledge.selectors import article_url
from ponton.knowledge.services import record_feedback
from ponton.workspace import packet, services
from ponton.workspace.models import Mention, Tag

pytestmark = pytest.mark.django_db

CHAT = "/api/v1/chat/conversations"


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _chat(text: str, *, client: Client | None = None) -> Conversation:
    response = (client or Client()).post(
        CHAT, {"text": text, "lang": "fr"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return Conversation.objects.get(pk=response.json()["id"])


@pytest.fixture
def front() -> Team:
    return Team.objects.get(slug="front")


@pytest.fixture
def claires(kb: KB, agent: User, customer: User, front: Team) -> Conversation:
    """Claire asks for a person about her invoice; the front team has it."""
    conversation = _chat(
        "Je veux parler à un conseiller pour ma facture", client=_signed_in(customer)
    )
    lifecycle.assign(conversation, to=None, team=front, by=None)
    return conversation


@pytest.fixture
def camille(agent: User, front: Team) -> User:
    user = User.objects.create_user(
        "camille", password=PASSWORD, first_name="Camille", last_name="Dupont", role=Role.AGENT
    )
    user.teams.add(front)
    return user


# Signing in -----------------------------------------------------------------------------


def _sign_in(username: str, next_page: str = "") -> str:
    url = "/fr/accounts/login/" + (f"?next={next_page}" if next_page else "")
    response = Client().post(url, {"username": username, "password": PASSWORD, "next": next_page})
    assert response.status_code == 302, response.content
    return response["Location"]


def test_staff_land_in_their_workspace_after_signing_in(agent: User, supervisor: User) -> None:
    assert _sign_in("karim") == "/fr/agent/"
    assert _sign_in("sophie") == "/fr/agent/"
    # The help center's "Sign in" link names the page it was on: still the workspace.
    assert _sign_in("karim", "/fr/") == "/fr/agent/"
    # A staff page they were sent away from is where they go back.
    assert _sign_in("karim", "/fr/manage/articles/") == "/fr/manage/articles/"


def test_customers_still_land_where_they_did(customer: User) -> None:
    assert _sign_in("claire") == "/fr/"
    assert _sign_in("claire", "/fr/account/") == "/fr/account/"


# The list ---------------------------------------------------------------------------------


def test_a_row_shows_the_last_words_unread_until_opened_and_the_wait(
    claires: Conversation, agent: User
) -> None:
    client = _signed_in(agent)
    html = client.get("/fr/agent/?queue=all").content.decode()
    row = html[html.index(f'data-conversation="{claires.pk}"') :]
    row = row[: row.index("</li>")]
    assert "pour ma facture" in row  # the preview of her message
    assert (
        "unread"
        in html[html.rindex("<li", 0, html.index(f'data-conversation="{claires.pk}"')) :][:200]
    )
    assert 'class="r-wait"' in row

    client.get(f"/fr/agent/c/{claires.pk}/")  # reading it
    html = client.get("/fr/agent/?queue=all").content.decode()
    start = html.rindex("<li", 0, html.index(f'data-conversation="{claires.pk}"'))
    assert "unread" not in html[start : start + 200]

    _chat_again = Client().post(
        f"{CHAT}/{claires.pk}/messages",
        {"text": "Vous êtes là ?"},
        content_type="application/json",
        HTTP_X_CONVERSATION_TOKEN=claires.token,
    )
    assert _chat_again.status_code == 201
    html = client.get("/fr/agent/?queue=all").content.decode()
    start = html.rindex("<li", 0, html.index(f'data-conversation="{claires.pk}"'))
    assert "unread" in html[start : start + 200]
    assert "Vous êtes là ?" in html[start:]


def test_the_list_reads_a_fixed_number_of_queries_with_previews_and_tags(
    claires: Conversation, agent: User, front: Team
) -> None:
    client = _signed_in(agent)
    client.get("/fr/agent/?queue=all&fragment=1")
    with CaptureQueriesContext(connection) as few:
        client.get("/fr/agent/?queue=all&fragment=1")
    for n in range(4):
        conversation = _chat(f"je veux un conseiller, demande {n}")
        lifecycle.assign(conversation, to=None, team=front, by=None)
        services.add_tag(conversation, f"sujet {n}")
        lifecycle.reply_as_agent(conversation, agent=agent, text=f"Réponse {n}")
    with CaptureQueriesContext(connection) as many:
        page = client.get("/fr/agent/?queue=all&fragment=1").content.decode()
    assert page.count("data-conversation=") == 5
    assert "sujet 3" in page and "Réponse 3" in page
    assert len(many) == len(few)


# Search ------------------------------------------------------------------------------------


def test_search_finds_a_conversation_by_customer_name_number_and_words(
    claires: Conversation, agent: User, customer: User
) -> None:
    client = _signed_in(agent)
    for query in ("Claire Martin", "martin", "40012345", f"#{claires.pk}", "ma facture"):
        html = client.get("/fr/agent/search", {"q": query}).content.decode()
        assert f'data-conversation="{claires.pk}"' in html, query
    html = client.get("/fr/agent/search", {"q": "Claire"}).content.decode()
    assert "claire@example.net" in html  # she is listed among the customers


def test_search_never_shows_what_the_agent_may_not_open(
    claires: Conversation, other_team_agent: User
) -> None:
    html = _signed_in(other_team_agent).get("/fr/agent/search", {"q": "Claire"}).content.decode()
    assert f'data-conversation="{claires.pk}"' not in html
    assert "claire@example.net" not in html


# Bulk actions and tags -----------------------------------------------------------------------


def test_bulk_assign_status_and_tag_apply_to_each_ticked_conversation_in_scope(
    claires: Conversation, agent: User, front: Team, other_customer: User
) -> None:
    second = _chat("un conseiller svp")
    lifecycle.assign(second, to=None, team=front, by=None)
    outside = _chat("un humain svp", client=_signed_in(other_customer))
    lifecycle.assign(outside, to=None, team=Team.objects.create(slug="x", name="X"), by=None)
    response = _signed_in(agent).post(
        "/fr/agent/bulk",
        {"ids": [claires.pk, second.pk, outside.pk], "assignee": "me", "tag": "Facturation"},
    )
    assert response.status_code == 302
    for conversation in (claires, second):
        conversation.refresh_from_db()
        assert conversation.assignee == agent
        assert [t.name for t in conversation.tags.all()] == ["Facturation"]
    outside.refresh_from_db()
    assert outside.assignee is None and not outside.tags.exists()

    _signed_in(agent).post("/fr/agent/bulk", {"ids": [claires.pk], "status": "solved"})
    claires.refresh_from_db()
    assert claires.status == Status.SOLVED


def test_bulk_without_an_action_says_so(claires: Conversation, agent: User) -> None:
    response = _signed_in(agent).post("/fr/agent/bulk", {"ids": [claires.pk]}, follow=True)
    assert "Choose what to do" in response.content.decode() or "Choisissez" in (
        response.content.decode()
    )


def test_a_tag_is_one_whatever_its_case_and_can_be_removed(
    claires: Conversation, agent: User
) -> None:
    client = _signed_in(agent)
    client.post(f"/fr/agent/c/{claires.pk}/tags", {"tag": "Litige "})
    client.post(f"/fr/agent/c/{claires.pk}/tags", {"tag": "litige"})
    assert Tag.objects.count() == 1 and claires.tags.count() == 1
    client.post(f"/fr/agent/c/{claires.pk}/tags/litige/remove")
    assert claires.tags.count() == 0
    error = client.post(f"/fr/agent/c/{claires.pk}/tags", {"tag": "!!"}, follow=True)
    assert (Tag.objects.count() == 1 and "letter or digit" in error.content.decode()) or (
        "lettre ou un chiffre" in error.content.decode()
    )


# Mentions ------------------------------------------------------------------------------------


def test_a_note_naming_a_colleague_tells_them_and_shows_in_their_workspace(
    claires: Conversation, agent: User, camille: User, other_team_agent: User
) -> None:
    response = _signed_in(agent).post(
        f"/fr/agent/c/{claires.pk}/reply",
        {"text": "@camille, tu peux regarder ? Et @julie aussi. @personne", "internal": "1"},
        follow=True,
    )
    assert [m.mentioned for m in Mention.objects.all()] == [camille]
    page = response.content.decode()
    assert "@julie" in page and "@personne" in page  # told who was not told

    theirs = _signed_in(camille)
    assert services.unseen_mentions(camille) == 1
    inbox = theirs.get("/fr/agent/?queue=mentions").content.decode()
    assert f'data-conversation="{claires.pk}"' in inbox
    assert "data-mention-count>1<" in inbox
    theirs.get(f"/fr/agent/c/{claires.pk}/")
    assert services.unseen_mentions(camille) == 0


def test_a_mention_is_pushed_to_the_colleague_only(
    claires: Conversation, agent: User, camille: User, django_capture_on_commit_callbacks: Any
) -> None:
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from ponton.conversations import realtime

    layer = get_channel_layer()
    theirs = async_to_sync(layer.new_channel)()
    mine = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(realtime.agent_group(camille.pk), theirs)
    async_to_sync(layer.group_add)(realtime.agent_group(agent.pk), mine)
    with django_capture_on_commit_callbacks(execute=True):
        services.add_note(claires, agent=agent, text="@camille à toi")
    pushes = []
    while True:
        try:
            pushes.append(async_to_sync(layer.receive)(theirs))
        except Exception:
            break
        if pushes[-1].get("what") == "mention":
            break
    assert pushes[-1]["what"] == "mention" and pushes[-1]["conversation"] == claires.pk


# The packet, for people ---------------------------------------------------------------------------


def test_the_packet_quotes_the_customers_comment_and_names_articles_not_ids(
    kb: KB, agent: User, customer: User, front: Team
) -> None:
    client = _signed_in(customer)
    assert client.get(article_url(kb.password_fr)).status_code == 200
    record_feedback(
        kb.password_fr,
        helpful=False,
        comment="Je ne reçois pas l'e-mail, même dans les spams",
        customer=customer,
        language="fr",
    )
    conversation = _chat("j'ai oublié mon mot de passe", client=client)
    client.post(
        f"{CHAT}/{conversation.pk}/messages",
        {"action": "human"},
        content_type="application/json",
        HTTP_X_CONVERSATION_TOKEN=conversation.token,
    )
    conversation.refresh_from_db()
    assert conversation.state == State.WAITING_HUMAN
    lifecycle.assign(conversation, to=None, team=front, by=None)
    html = _signed_in(agent).get(f"/fr/agent/c/{conversation.pk}/").content.decode()
    side = html[html.index("data-packet") : html.index("data-profile")]
    assert "Je ne reçois pas l&#x27;e-mail, même dans les spams" in side
    assert "Mot de passe oublié : le réinitialiser" in side
    assert f"#{kb.password.pk}" not in side and "(1,00)" not in side and "(1.00)" not in side
    assert f'{article_url(kb.password_fr)}" target="_blank"' in side  # a link, by its title
    # How sure the assistant was waits behind "Details".
    details = side[side.index("<details") : side.index("</details>")]
    assert "%" in details


def test_suggested_articles_come_from_the_need_the_assistant_recognises(
    kb: KB, customer: User, front: Team
) -> None:
    conversation = _chat(
        "Je n'arrive plus à me connecter, j'ai oublié mon mot de passe, je veux un conseiller",
        client=_signed_in(customer),
    )
    suggested = packet.suggested_articles(conversation)
    assert [a.id for a in suggested][:1] == [kb.password.pk]
    assert kb.wifi_password.pk not in [a.id for a in suggested]


def test_words_the_assistant_does_not_understand_suggest_nothing(kb: KB, customer: User) -> None:
    conversation = _chat("C'est INADMISSIBLE !!! Je veux un humain", client=_signed_in(customer))
    assert packet.suggested_articles(conversation) == []
