"""The widget embedded on the company's own site: CORS on the widget's endpoints only, the
chat socket open to the listed origins, the signed customer identity, and the page the
customer was on in the journey, the context packet and the assistant's choices."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ponton.accounts.models import User
from ponton.conftest import KB
from ponton.connectors.tests.test_webchat_api import START, TOKEN_HEADER, messages_url
from ponton.connectors.webchat.services import identity_digest
from ponton.conversations.models import Conversation, State
from ponton.conversations.tests.test_realtime import Socket, run
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.knowledge.models import Article

SHOP = "https://shop.example"
SECRET = "s3cret-shared-with-the-shop"
PERSON = "Je veux parler à un conseiller"
PAGE = {"url": "https://shop.example/app/billing?tab=invoices", "module": "billing"}


@pytest.fixture(autouse=True)
def _widget_settings(settings: Any) -> None:
    settings.PONTON_WIDGET_ORIGINS = [SHOP]
    settings.PONTON_WIDGET_IDENTITY_SECRET = SECRET


def cross_site(client: Client, body: dict[str, Any], origin: str = SHOP) -> Any:
    return client.post(START, body, content_type="application/json", headers={"Origin": origin})


def preflight(client: Client, path: str, origin: str = SHOP) -> Any:
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-conversation-token",
        },
    )


# CORS -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_listed_site_passes_the_preflight_of_the_chat_without_credentials(
    client: Client,
) -> None:
    response = preflight(client, START)

    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "X-Conversation-Token" in response["Access-Control-Allow-Headers"]
    assert "Origin" in response["Vary"]
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.django_db
def test_a_listed_site_opens_a_chat_and_reads_it_with_the_token(client: Client) -> None:
    response = cross_site(client, {"text": PERSON})

    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert "Origin" in response["Vary"]
    assert "Access-Control-Allow-Credentials" not in response
    chat = response.json()
    read = client.get(
        messages_url(chat["id"]), headers={"Origin": SHOP, TOKEN_HEADER: chat["token"]}
    )
    assert read.status_code == 200
    assert read["Access-Control-Allow-Origin"] == SHOP


@pytest.mark.django_db
def test_an_unlisted_site_is_not_allowed_to_read_the_chat(client: Client) -> None:
    assert "Access-Control-Allow-Origin" not in preflight(client, START, "https://evil.example")
    response = cross_site(client, {"text": PERSON}, origin="https://evil.example")
    assert "Access-Control-Allow-Origin" not in response
    assert "Origin" in response["Vary"]
    # Only the exact origin: another scheme or a sub-domain is another site.
    for near in ("http://shop.example", "https://www.shop.example", "https://shop.example:8443"):
        assert "Access-Control-Allow-Origin" not in preflight(client, START, near)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/api/v1/conversations", "/api/v1/articles?q=facture", "/api/v1/insights/kpis", "/fr/"],
)
def test_every_other_endpoint_stays_closed_to_the_listed_site(client: Client, path: str) -> None:
    assert "Access-Control-Allow-Origin" not in preflight(client, path)
    response = client.get(path, headers={"Origin": SHOP})
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.django_db
def test_the_widgets_notice_and_phone_line_answer_the_listed_site(client: Client) -> None:
    for path in ("/api/v1/status/notice?lang=fr", "/api/v1/voice/line"):
        response = client.get(path, headers={"Origin": SHOP})
        assert response["Access-Control-Allow-Origin"] == SHOP, path


# The chat socket ---------------------------------------------------------------------------


async def _connects(path: str, origin: str) -> bool:
    communicator = Socket(path, [(b"origin", origin.encode())])
    connected, _code = await communicator.connect()
    if connected:
        await communicator.disconnect()
    return connected


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("path", "origin", "admitted"),
    [
        ("/ws/chat/1/", SHOP, True),
        ("/ws/chat/1/", "http://testserver", True),  # the help center itself
        ("/ws/chat/1/", "https://evil.example", False),
        # The agents' sockets ride on their session cookie: only our pages may open them.
        ("/ws/inbox/", SHOP, False),
        ("/ws/conversations/1/", SHOP, False),
    ],
)
def test_the_chat_socket_admits_the_listed_site_and_no_other_socket_does(
    path: str, origin: str, admitted: bool
) -> None:
    assert run(_connects, path, origin) is admitted


# Identity ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_signed_customer_id_links_the_chat_to_that_customer(
    client: Client, customer: User
) -> None:
    number = customer.profile.customer_number
    identity = {"customer_id": number, "hash": identity_digest(number, SECRET)}

    chat = cross_site(client, {"text": PERSON, "identity": identity, "page": PAGE}).json()

    conversation = Conversation.objects.get(pk=chat["id"])
    assert conversation.customer == customer
    assert conversation.state == State.WAITING_HUMAN
    packet = conversation.context["customer"]
    assert (packet["id"], packet["plan"], packet["customer_number"]) == (
        customer.pk,
        "fibre-max",
        number,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "identity",
    [
        {"customer_id": "40012345", "hash": identity_digest("40067890", SECRET)},
        {"customer_id": "40012345", "hash": identity_digest("40012345", "another secret")},
        {"customer_id": "40012345", "hash": ""},
        {"customer_id": "99999999", "hash": identity_digest("99999999", SECRET)},
    ],
    ids=["another-customers-hash", "wrong-secret", "no-hash", "unknown-customer"],
)
def test_a_chat_without_a_valid_signature_stays_anonymous(
    client: Client, customer: User, other_customer: User, identity: dict[str, str]
) -> None:
    chat = cross_site(client, {"text": PERSON, "identity": identity}).json()

    conversation = Conversation.objects.get(pk=chat["id"])
    assert conversation.customer is None
    assert "plan" not in conversation.context["customer"]
    assert not JourneyEvent.objects.filter(customer__isnull=False).exists()


@pytest.mark.django_db
def test_without_a_configured_secret_no_identity_is_believed(
    client: Client, customer: User, settings: Any
) -> None:
    settings.PONTON_WIDGET_IDENTITY_SECRET = ""
    identity = {"customer_id": "40012345", "hash": identity_digest("40012345", "")}

    chat = cross_site(client, {"text": PERSON, "identity": identity}).json()

    assert Conversation.objects.get(pk=chat["id"]).customer is None


# The page -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_module_and_attributes_reach_the_journey_and_the_packet(client: Client) -> None:
    page = {**PAGE, "attributes": {"screen": "invoice-list", "plan": "pro"}}

    chat = cross_site(client, {"text": "bonjour", "page": page}).json()
    moved = {"url": "https://shop.example/app/tv", "module": "tv"}
    for _ in range(2):  # the same page twice is one step of the journey
        client.post(
            messages_url(chat["id"]),
            {"action": "human", "page": moved},
            content_type="application/json",
            headers={"Origin": SHOP, TOKEN_HEADER: chat["token"]},
        )

    steps = JourneyEvent.objects.filter(kind=EventKind.PAGE_VIEW).order_by("id")
    assert [e.data["url"] for e in steps] == [page["url"], moved["url"]]
    assert steps[0].data == {"page": "widget", "conversation": chat["id"], **page}
    conversation = Conversation.objects.get(pk=chat["id"])
    assert conversation.state == State.WAITING_HUMAN
    assert conversation.context["page"] == {**moved, "attributes": {}}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "page",
    [
        {"url": "javascript:alert(1)"},
        {"url": "https://shop.example/a page"},
        {"url": "https://shop.example/" + "a" * 2000},
        {"module": "m" * 65},
        {"attributes": {f"k{n}": "v" for n in range(21)}},
        {"attributes": {"count": 3}},
        {"attributes": {"nested": {"a": "b"}}},
        {"attributes": {"long": "v" * 201}},
        {"attributes": ["a"]},
    ],
    ids=[
        "script-url",
        "spaced-url",
        "long-url",
        "long-module",
        "too-many",
        "number",
        "object",
        "long-value",
        "list",
    ],
)
def test_a_page_out_of_bounds_is_refused_with_a_clear_error(
    client: Client, page: dict[str, Any]
) -> None:
    response = cross_site(client, {"text": "bonjour", "page": page})

    assert response.status_code == 400
    assert "page" in response.content.decode()
    assert response["Access-Control-Allow-Origin"] == SHOP  # the widget can read why
    assert not Conversation.objects.exists()


@pytest.mark.django_db
def test_any_http_address_the_schema_admits_is_taken_as_written(client: Client) -> None:
    # An intranet host, or labels longer than DNS allows: context to show, not to resolve.
    url = "https://" + "a" * 70 + ".intranet/app?x=1"

    response = cross_site(client, {"text": "bonjour", "page": {"url": url}})

    assert response.status_code == 201
    assert JourneyEvent.objects.get(kind=EventKind.PAGE_VIEW).data["url"] == url


@pytest.mark.django_db
def test_articles_targeted_to_the_pages_module_come_first(kb: KB) -> None:
    question = "changer mon mot de passe"
    # Anywhere else, the account's password is the likely answer, given at once.
    assert start_offers(question, module="box") == [kb.password.pk]
    Article.objects.filter(pk=kb.wifi_password.pk).update(modules=["box"])

    # From the box's screens, the box's own article comes first, the other one beside it.
    assert start_offers(question, module="box") == [kb.wifi_password.pk, kb.password.pk]
    assert start_offers(question, module="tv") == [kb.password.pk]


def start_offers(question: str, *, module: str) -> list[int]:
    """The articles the assistant offers first to a new chat from another browser, in order."""
    page = {"url": "https://shop.example/app", "module": module}
    chat = cross_site(Client(), {"text": question, "page": page}).json()
    offered = [m for m in chat["messages"] if m["author"] == "assistant" and m.get("articles")]
    assert offered, chat["messages"]
    return [a["id"] for a in offered[0]["articles"]]


@pytest.mark.django_db
def test_the_agent_reads_where_the_chat_was_opened_from(client: Client, agent: User) -> None:
    page = {**PAGE, "attributes": {"screen": "invoice-list"}}
    chat = cross_site(client, {"text": PERSON, "page": page}).json()

    reader = Client()
    reader.force_login(agent)
    html = reader.get(f"/fr/agent/c/{chat['id']}/").content.decode()

    assert "Ouvert depuis :" in html
    assert f'href="{PAGE["url"]}"' in html
    assert "<strong>billing</strong>" in html
    assert "screen: invoice-list" in html
