"""Realtime pushes through the Channels consumers, driven as a browser or a tool would:
the ASGI application itself, an Origin header, a bearer token or a session cookie.

The consumers read the database from their own thread, so these tests commit
(`transaction=True`); each async scenario runs on one long-lived event loop (`run`).
`channels.testing` needs daphne, which we do not install: `Socket` is the same
few lines over asgiref's ApplicationCommunicator.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import redis
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.test import Client

from ponton.accounts.models import Team, User
from ponton.accounts.services import create_api_token
from ponton.asgi import application
from ponton.conversations import lifecycle
from ponton.conversations.models import Conversation, State
from ponton.counters import WEBSOCKETS

pytestmark = pytest.mark.django_db(transaction=True)

START = "/api/v1/chat/conversations"
ORIGIN = (b"origin", b"http://testserver")
PATIENCE = 10  # seconds before a missing push fails the test (a bound, not a measure)
SECRET = "Mon code d'accès est 7391"


class Socket(ApplicationCommunicator):
    """A websocket client talking to the ASGI application in the same process.

    Like a server, it tells the application the socket is gone once the application
    closed it, and `run` ends whatever socket a scenario left open, so no consumer is
    left receiving from the channel layer after its test."""

    def __init__(self, path: str, headers: list[tuple[bytes, bytes]]) -> None:
        super().__init__(
            application,
            {"type": "websocket", "path": path, "query_string": b"", "headers": headers},
        )
        _open.append(self)

    async def receive_output(self, timeout: float = 1) -> dict[str, Any]:
        output: dict[str, Any] = await super().receive_output(timeout)
        if output["type"] == "websocket.close":
            await self.gone(output.get("code", 1000))
        return output

    async def gone(self, code: int = 1000) -> None:
        """The socket is closed: the application hears it and ends."""
        if not self.future.done():
            await self.send_input({"type": "websocket.disconnect", "code": code})
            await self.wait(PATIENCE)

    async def connect(self) -> tuple[bool, int | None]:
        """(True, None) when accepted, (False, close code) when refused."""
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(PATIENCE)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        assert response["type"] == "websocket.accept"
        return True, None

    async def send_json_to(self, data: Any) -> None:
        await self.send_input({"type": "websocket.receive", "text": json.dumps(data)})

    async def receive_json_from(self, timeout: float = PATIENCE) -> Any:
        response = await self.receive_output(timeout)
        assert response["type"] == "websocket.send", response
        return json.loads(response["text"])

    async def disconnect(self) -> None:
        await self.gone(1000)


_open: list[Socket] = []
_loop: asyncio.AbstractEventLoop | None = None


def _the_loop() -> asyncio.AbstractEventLoop:
    """One event loop for every scenario, running in a thread of its own, as an app process
    has one: the Redis channel layer keeps its receiving state per process, and a consumer
    left receiving on a loop that `async_to_sync` then shut down now and then hung the next
    scenario's receives (the in-memory layer does not mind)."""
    global _loop
    if _loop is None:
        _loop = asyncio.new_event_loop()
        threading.Thread(target=_loop.run_forever, name="sockets-loop", daemon=True).start()
    return _loop


def run(scenario: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    """Run an async scenario on the sockets' loop; every socket it opened is ended after it."""

    async def to_the_end() -> Any:
        try:
            return await scenario(*args)
        finally:
            while _open:
                await _open.pop().gone()

    return asyncio.run_coroutine_threadsafe(to_the_end(), _the_loop()).result(timeout=120)


def socket(path: str, *, token: str = "", cookie: str = "") -> Socket:
    headers = [ORIGIN]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return Socket(path, headers)


def open_chat(text: str = "Je veux parler à un conseiller") -> dict[str, Any]:
    response = Client().post(START, {"text": text, "lang": "fr"}, content_type="application/json")
    assert response.status_code == 201, response.content
    return dict(response.json())


def customer_says(chat: dict[str, Any], text: str) -> None:
    response = Client().post(
        f"{START}/{chat['id']}/messages",
        {"text": text},
        content_type="application/json",
        HTTP_X_CONVERSATION_TOKEN=chat["token"],
    )
    assert response.status_code == 201, response.content


def transfer(chat: dict[str, Any], *, team: str, by: User) -> None:
    lifecycle.assign(
        Conversation.objects.get(pk=chat["id"]),
        to=None,
        team=Team.objects.get(slug=team),
        by=by,
    )


async def pushes_until(
    communicator: Socket, done: Callable[[dict[str, Any]], bool]
) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    while not received or not done(received[-1]):
        received.append(await communicator.receive_json_from(timeout=PATIENCE))
    return received


async def close_code(communicator: Socket) -> int:
    output = await communicator.receive_output(timeout=PATIENCE)
    assert output["type"] == "websocket.close"
    return int(output["code"])


@pytest.fixture
def handed_off(agent: User) -> dict[str, Any]:
    """A chat the assistant handed to a person, no team yet: every agent's queue."""
    chat = open_chat()
    assert chat["state"] == State.WAITING_HUMAN
    return chat


def test_an_agents_inbox_hears_a_customer_message_without_its_text(
    agent: User, handed_off: dict[str, Any]
) -> None:
    token = create_api_token(agent)

    async def scenario() -> list[dict[str, Any]]:
        inbox = socket("/ws/inbox/", token=token)
        connected, _ = await inbox.connect()
        assert connected
        try:
            await sync_to_async(customer_says)(handed_off, SECRET)
            return await pushes_until(inbox, lambda p: p.get("what") == "message")
        finally:
            await inbox.disconnect()

    pushes = run(scenario)
    assert pushes[-1] == {
        "type": "changed",
        "conversation": handed_off["id"],
        "what": "message",
        "state": State.WAITING_HUMAN,
    }
    assert all(SECRET not in str(push) for push in pushes)


def test_an_agents_inbox_hears_a_handoff_as_it_happens(agent: User) -> None:
    token = create_api_token(agent)

    async def scenario() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        inbox = socket("/ws/inbox/", token=token)
        connected, _ = await inbox.connect()
        assert connected
        try:
            chat = await sync_to_async(open_chat)("Je veux parler à un conseiller, c'est urgent")
            return chat, await pushes_until(inbox, lambda p: p.get("what") == "handoff")
        finally:
            await inbox.disconnect()

    chat, pushes = run(scenario)
    assert pushes[-1]["conversation"] == chat["id"]
    assert pushes[-1]["state"] == State.WAITING_HUMAN
    assert all(set(push) == {"type", "conversation", "what", "state"} for push in pushes)
    assert all("urgent" not in str(push) for push in pushes)


def test_an_agent_signed_in_in_the_browser_hears_pushes_too(
    agent: User, handed_off: dict[str, Any]
) -> None:
    browser = Client()
    browser.force_login(agent)
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"

    async def scenario() -> list[dict[str, Any]]:
        page = socket(f"/ws/conversations/{handed_off['id']}/", cookie=cookie)
        connected, _ = await page.connect()
        assert connected
        try:
            await sync_to_async(customer_says)(handed_off, "Toujours là ?")
            return await pushes_until(page, lambda p: p.get("what") == "message")
        finally:
            await page.disconnect()

    assert run(scenario)[-1]["conversation"] == handed_off["id"]


def test_an_agent_of_another_team_is_refused_a_conversation_exactly_like_a_missing_one(
    agent: User, other_team_agent: User, supervisor: User, handed_off: dict[str, Any]
) -> None:
    transfer(handed_off, team="front", by=supervisor)
    missing = Conversation.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    outsider, insider = create_api_token(other_team_agent), create_api_token(agent)

    async def refusal(conversation: int, token: str) -> tuple[bool, int]:
        page = socket(f"/ws/conversations/{conversation}/", token=token)
        connected, code = await page.connect()
        if connected:
            await page.disconnect()
        return connected, code

    assert run(refusal, handed_off["id"], outsider) == (False, 4404)
    assert run(refusal, missing, outsider) == (False, 4404)
    assert run(refusal, missing, insider) == (False, 4404)
    assert run(refusal, handed_off["id"], insider)[0] is True


def test_an_agent_of_another_team_hears_nothing_of_a_conversation_outside_their_scope(
    other_team_agent: User, supervisor: User, handed_off: dict[str, Any]
) -> None:
    transfer(handed_off, team="front", by=supervisor)
    theirs = open_chat("Je veux parler à un conseiller pour ma ligne pro")
    transfer(theirs, team="business", by=supervisor)
    token = create_api_token(other_team_agent)

    async def scenario() -> dict[str, Any]:
        inbox = socket("/ws/inbox/", token=token)
        connected, _ = await inbox.connect()
        assert connected
        try:
            await sync_to_async(customer_says)(handed_off, "Ma box ne s'allume plus")
            await sync_to_async(customer_says)(theirs, "Ma ligne pro est coupée")
            # Pushes reach a socket in the order they were sent: the first one heard
            # must already be about the conversation in scope.
            return dict(await inbox.receive_json_from(timeout=PATIENCE))
        finally:
            await inbox.disconnect()

    assert run(scenario)["conversation"] == theirs["id"]


@pytest.mark.parametrize("who", ["anonymous", "customer"])
def test_the_inbox_socket_is_for_staff_only(who: str, customer: User) -> None:
    cookie = ""
    if who == "customer":
        browser = Client()
        browser.force_login(customer)
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
        )

    async def scenario() -> tuple[bool, int]:
        inbox = socket("/ws/inbox/", cookie=cookie)
        connected, code = await inbox.connect()
        if connected:
            await inbox.disconnect()
        return connected, code

    assert run(scenario) == (False, 4403)


def test_a_customers_chat_socket_with_a_wrong_token_closes_like_a_missing_chat(
    handed_off: dict[str, Any],
) -> None:
    async def closed_with(conversation: int, token: str) -> int:
        chat = socket(f"/ws/chat/{conversation}/")
        connected, _ = await chat.connect()
        assert connected
        await chat.send_json_to({"token": token})
        code = await close_code(chat)
        await chat.disconnect()  # what the server reports once the socket is closed
        return code

    assert run(closed_with, handed_off["id"], "not-the-token") == 4404
    assert run(closed_with, handed_off["id"] + 1000, handed_off["token"]) == 4404


def test_a_customers_chat_socket_hears_the_agents_reply_without_its_text(
    agent: User, handed_off: dict[str, Any]
) -> None:
    reply = "Bonjour, je m'appelle Karim, je regarde votre dossier."

    def agent_replies() -> None:
        lifecycle.reply_as_agent(
            Conversation.objects.get(pk=handed_off["id"]), agent=agent, text=reply
        )

    async def scenario() -> list[dict[str, Any]]:
        chat = socket(f"/ws/chat/{handed_off['id']}/")
        connected, _ = await chat.connect()
        assert connected
        try:
            await chat.send_json_to({"token": handed_off["token"]})
            assert await chat.receive_json_from(timeout=PATIENCE) == {"type": "ready"}
            await sync_to_async(agent_replies)()
            return await pushes_until(chat, lambda p: p.get("state") == State.WITH_HUMAN)
        finally:
            await chat.disconnect()

    pushes = run(scenario)
    assert pushes[-1] == {"type": "changed", "state": State.WITH_HUMAN}
    assert all(reply not in str(push) for push in pushes)


def test_an_agent_who_is_in_the_team_and_the_assignee_hears_each_change_once(
    agent: User, supervisor: User, handed_off: dict[str, Any]
) -> None:
    conversation = Conversation.objects.get(pk=handed_off["id"])
    lifecycle.assign(conversation, to=agent, team=Team.objects.get(slug="front"), by=supervisor)
    token = create_api_token(agent)

    async def scenario() -> list[dict[str, Any]]:
        inbox = socket("/ws/inbox/", token=token)
        connected, _ = await inbox.connect()
        assert connected
        try:
            await sync_to_async(customer_says)(handed_off, "Toujours rien")
            # The note's push is sent after every copy of the message's: a second copy
            # of the message would be heard before it.
            await sync_to_async(lifecycle.reply_as_agent)(
                conversation, agent=agent, text="À rappeler", internal=True
            )
            return await pushes_until(inbox, lambda p: p.get("what") == "note")
        finally:
            await inbox.disconnect()

    assert [push["what"] for push in run(scenario)] == ["message", "note"]


class StumblingLayer(InMemoryChannelLayer):
    """The in-memory layer with the Redis layer's stumbles, switched on by a scenario:
    joining a group fails, receiving fails (the server went away), or a cancelled receive
    goes on instead of ending (as channels_redis's did while redis-py wrote under
    asyncio.wait_for, which on Python 3.11 can swallow a cancellation)."""

    joins_fail = False
    receives_fail = False
    cancels_ignored = False

    async def group_add(self, group: str, channel: str) -> None:
        if StumblingLayer.joins_fail:
            raise redis.ConnectionError("Error 111 connecting to Redis. Connection refused.")
        await super().group_add(group, channel)

    async def receive(self, channel: str) -> dict[str, Any]:
        while StumblingLayer.cancels_ignored:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(0.01)
        while not StumblingLayer.receives_fail:
            await asyncio.sleep(0.01)
        raise redis.ConnectionError("Connection closed by server.")


@pytest.fixture
def stumbling(settings: Any) -> Iterator[type[StumblingLayer]]:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": f"{__name__}.{StumblingLayer.__qualname__}"}}
    try:
        yield StumblingLayer
    finally:
        StumblingLayer.joins_fail = StumblingLayer.receives_fail = False
        StumblingLayer.cancels_ignored = False


def _inbox_sockets() -> float:
    return float(WEBSOCKETS.labels(consumer="inbox")._value.get())


def test_a_socket_whose_channel_layer_fails_is_closed_and_leaves_nothing_behind(
    agent: User, stumbling: type[StumblingLayer]
) -> None:
    token = create_api_token(agent)
    before = _inbox_sockets()

    async def scenario() -> tuple[bool, float, int, dict[str, Any]]:
        inbox = socket("/ws/inbox/", token=token)
        connected, _ = await inbox.connect()
        counted = _inbox_sockets()
        stumbling.receives_fail = True  # Redis goes away while the socket waits
        return connected, counted, await close_code(inbox), dict(get_channel_layer().groups)

    connected, counted, code, groups = run(scenario)
    assert connected and counted == before + 1
    assert code == 1011  # a close frame: the page reconnects and re-reads
    assert groups == {}  # its groups left, and no longer renewed
    assert _inbox_sockets() == before


def test_a_socket_that_cannot_join_its_groups_is_refused_not_left_hanging(
    agent: User, stumbling: type[StumblingLayer]
) -> None:
    stumbling.joins_fail = True
    token = create_api_token(agent)
    before = _inbox_sockets()

    async def scenario() -> tuple[bool, int | None]:
        return await socket("/ws/inbox/", token=token).connect()

    assert run(scenario) == (False, 1011)
    assert _inbox_sockets() == before


def test_a_socket_ends_even_when_its_channel_layer_ignores_the_cancelled_receive(
    agent: User, stumbling: type[StumblingLayer]
) -> None:
    stumbling.cancels_ignored = True
    token = create_api_token(agent)

    async def scenario() -> bool:
        inbox = socket("/ws/inbox/", token=token)
        connected, _ = await inbox.connect()
        await inbox.disconnect()  # fails after PATIENCE if the application does not end
        return connected

    assert run(scenario)
