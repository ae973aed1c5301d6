"""Open websockets are counted while they live, by consumer, and uncounted once however
they end; across processes sharing PROMETHEUS_MULTIPROC_DIR the count is the sum of the
live processes', and a process killed outright stops counting."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from ponton.accounts.models import User
from ponton.accounts.services import create_api_token
from ponton.conversations.tests.test_realtime import close_code, open_chat, run, socket
from ponton.ops.tests.test_metrics import scrape

pytestmark = pytest.mark.django_db(transaction=True)


def open_sockets() -> dict[str, float]:
    samples = scrape(Client())
    return {
        dict(labels)["consumer"]: value
        for (name, labels), value in samples.items()
        if name == "ponton_websocket_connections"
    }


def test_open_sockets_are_counted_by_consumer_until_they_close(agent: User) -> None:
    token = create_api_token(agent)
    chat = open_chat()

    async def scenario() -> list[dict[str, float]]:
        seen = [await sync_to_async(open_sockets)()]
        inbox = socket("/ws/inbox/", token=token)
        page = socket(f"/ws/conversations/{chat['id']}/", token=token)
        widget = socket(f"/ws/chat/{chat['id']}/")
        for each in (inbox, page, widget):
            assert (await each.connect())[0]
        seen.append(await sync_to_async(open_sockets)())
        await page.disconnect()
        await widget.send_json_to({"token": "not-the-token"})
        assert await close_code(widget) == 4404
        await widget.disconnect()
        seen.append(await sync_to_async(open_sockets)())
        await inbox.disconnect()
        seen.append(await sync_to_async(open_sockets)())
        return seen

    before, all_open, inbox_left, none_left = run(scenario)

    def change(after: dict[str, float]) -> dict[str, float]:
        kinds = ("inbox", "conversation", "chat")
        return {kind: after.get(kind, 0) - before.get(kind, 0) for kind in kinds}

    assert change(all_open) == {"inbox": 1, "conversation": 1, "chat": 1}
    assert change(inbox_left) == {"inbox": 1, "conversation": 0, "chat": 0}
    assert change(none_left) == {"inbox": 0, "conversation": 0, "chat": 0}


def test_a_refused_socket_is_never_counted(customer: User) -> None:
    async def scenario() -> tuple[dict[str, float], dict[str, float]]:
        before = await sync_to_async(open_sockets)()
        inbox = socket("/ws/inbox/")  # anonymous: refused before it is accepted
        connected, code = await inbox.connect()
        assert (connected, code) == (False, 4403)
        await inbox.disconnect()
        return before, await sync_to_async(open_sockets)()

    before, after = run(scenario)
    assert after.get("inbox", 0) == before.get("inbox", 0)
