"""Open websockets are counted while they live, by consumer, and uncounted once however
they end; across processes sharing PROMETHEUS_MULTIPROC_DIR the count is the sum of the
live processes', and a process killed outright stops counting."""

from __future__ import annotations

import os
import socket as sockets
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing
from pathlib import Path

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families
from websockets.sync.client import ClientConnection, connect

from ponton.accounts.models import User
from ponton.accounts.services import create_api_token
from ponton.conversations.tests.test_realtime import close_code, open_chat, run, socket
from ponton.ops.tests.helpers import PONTON
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


PATIENCE = 30  # seconds: a bound for a process to start or a count to settle, not a measure


def _database_url() -> str:
    from django.db import connection

    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    auth = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
    return f"postgres://{auth}@{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 5432}/{config['NAME']}"


def _free_port() -> int:
    with closing(sockets.socket(sockets.AF_INET, sockets.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """One `ponton serve` process on a free port, counting into the shared folder."""

    def __init__(self, folder: Path, shared: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"serve-{self.port}.log"
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "PONTON_DATA_DIR": str(folder),
            "PROMETHEUS_MULTIPROC_DIR": str(shared),
            "REDIS_URL": "",
        }
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [PONTON, "serve", "--port", str(self.port)],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text(errors="replace")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError(f"{self.url} did not answer within {PATIENCE}s")

    def chat_socket(self, conversation: int) -> ClientConnection:
        return connect(
            f"ws://127.0.0.1:{self.port}/ws/chat/{conversation}/",
            origin=self.url,  # type: ignore[arg-type]
            open_timeout=PATIENCE,
        )

    def chat_sockets_counted(self) -> float:
        text = httpx.get(f"{self.url}/metrics", timeout=PATIENCE).text
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == "ponton_websocket_connections"
            and sample.labels.get("consumer") == "chat"
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def settles(server: Server, expected: float) -> float:
    """The count `server` answers once it reaches `expected` (or the last one seen)."""
    deadline = time.monotonic() + PATIENCE
    seen = server.chat_sockets_counted()
    while seen != expected and time.monotonic() < deadline:
        time.sleep(0.1)
        seen = server.chat_sockets_counted()
    return seen


@pytest.fixture
def two_processes(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    shared = tmp_path / "metrics"
    shared.mkdir()
    started: list[Server] = []
    try:
        started.append(Server(tmp_path, shared))
        started.append(Server(tmp_path, shared))
        yield started[0], started[1]
    finally:
        for server in started:
            server.stop()


def test_processes_sharing_a_folder_count_the_sockets_of_the_live_ones_only(
    two_processes: tuple[Server, Server],
) -> None:
    first, second = two_processes
    chat = open_chat()
    with ExitStack() as stack:
        on_first = [stack.enter_context(first.chat_socket(chat["id"])) for _ in range(2)]
        stack.enter_context(second.chat_socket(chat["id"]))

        assert settles(first, 3) == 3
        assert settles(second, 3) == 3  # whichever process takes the scrape

        on_first[0].close()
        assert settles(second, 2) == 2

        second.process.kill()  # no goodbye: its sockets die with it
        second.process.wait()
        assert settles(first, 1) == 1
