"""Production shape: two app processes (`ponton serve`) sharing PostgreSQL and Redis.

A message a customer posts to process A reaches an agent's websocket held by
process B; after a dropped socket the agent re-reads from its last seen id and
nothing is lost. The processes read the test database, so the tests commit
(`transaction=True`). Skipped unless DATABASE_URL is PostgreSQL and REDIS_URL is
set (CI runs the suite a second time with both).
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from websockets.sync.client import ClientConnection, connect

from ponton.accounts.models import User
from ponton.accounts.services import create_api_token
from ponton.conversations.models import State

pytestmark = [
    pytest.mark.skipif(
        not (
            os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
            and os.environ.get("REDIS_URL")
        ),
        reason="two app processes need PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)",
    ),
    pytest.mark.django_db(transaction=True),
]

REPOSITORY = Path(settings.BASE_DIR).parent
START = "/api/v1/chat/conversations"
PATIENCE = 30  # seconds: a bound for a process to start or a push to arrive, not a measure


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _test_database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"])
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{db['NAME']}"


class Server:
    """One `ponton serve` process on a free port, its output kept in a file."""

    def __init__(self, name: str, folder: Path) -> None:
        self.name = name
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"{name}.log"
        env = {
            **os.environ,
            "DATABASE_URL": _test_database_url(),
            "PONTON_DATA_DIR": str(folder / "data"),
            "PYTHONUNBUFFERED": "1",
        }
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "serve", "--port", str(self.port)],
                cwd=REPOSITORY,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/api/v1/conversations", timeout=2).status_code == 401:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.name} did not answer within {PATIENCE}s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def servers(transactional_db: None, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two app processes, A and B; always stopped, their logs printed (pytest shows
    them when the test fails). Set up after the database, so stopped before it is
    emptied."""
    started = [Server("A", tmp_path), Server("B", tmp_path)]
    try:
        for server in started:
            server.wait_until_ready()
        yield started[0].url, started[1].url
    finally:
        for server in started:
            server.stop()
        for server in started:
            print(f"----- {server.name} ({server.url}) -----")
            print(server.log.read_text(errors="replace")[-20000:])


def inbox(url: str, token: str) -> ClientConnection:
    return connect(
        url.replace("http://", "ws://") + "/ws/inbox/",
        additional_headers={"Authorization": f"Bearer {token}"},
        origin=url,  # type: ignore[arg-type]
        open_timeout=PATIENCE,
    )


def wait_for_push(socket: ClientConnection, conversation: int, what: str) -> dict[str, Any]:
    deadline = time.monotonic() + PATIENCE
    while True:
        push = json.loads(socket.recv(timeout=max(0.0, deadline - time.monotonic())))
        if push.get("conversation") == conversation and push.get("what") == what:
            return dict(push)


def test_a_message_posted_to_one_process_reaches_an_agent_on_the_other_and_a_drop_loses_nothing(
    agent: User, servers: tuple[str, str]
) -> None:
    process_a, process_b = servers
    bearer = {"Authorization": f"Bearer {create_api_token(agent)}"}
    with (
        httpx.Client(base_url=process_a, timeout=PATIENCE) as customer,
        httpx.Client(base_url=process_b, timeout=PATIENCE, headers=bearer) as staff,
    ):
        with inbox(process_b, bearer["Authorization"].split()[1]) as socket_b:
            chat = customer.post(START, json={"text": "Je veux parler à un conseiller"}).json()
            assert chat["state"] == State.WAITING_HUMAN
            wait_for_push(socket_b, chat["id"], "handoff")
            thread = staff.get(f"/api/v1/conversations/{chat['id']}/messages").json()["messages"]
            assert thread[0]["text"] == "Je veux parler à un conseiller"
            last = thread[-1]["id"]

            say = {"X-Conversation-Token": chat["token"]}
            posted = customer.post(
                f"{START}/{chat['id']}/messages", json={"text": "Ma box clignote"}, headers=say
            )
            assert posted.status_code == 201
            wait_for_push(socket_b, chat["id"], "message")
            new = staff.get(f"/api/v1/conversations/{chat['id']}/messages?after={last}").json()
            assert [m["text"] for m in new["messages"]] == ["Ma box clignote"]
            last = new["messages"][-1]["id"]

        # The agent's socket is gone; the customer goes on writing.
        for text in ("Toujours rien", "Je suis en télétravail demain"):
            posted = customer.post(
                f"{START}/{chat['id']}/messages", json={"text": text}, headers=say
            )
            assert posted.status_code == 201

        with inbox(process_b, bearer["Authorization"].split()[1]) as socket_b:
            resync = staff.get(f"/api/v1/conversations/{chat['id']}/messages?after={last}").json()
            assert [m["text"] for m in resync["messages"]] == [
                "Toujours rien",
                "Je suis en télétravail demain",
            ]
            customer.post(f"{START}/{chat['id']}/messages", json={"text": "Merci"}, headers=say)
            wait_for_push(socket_b, chat["id"], "message")


def test_the_load_benchmark_delivers_every_message_and_cleans_up(
    servers: tuple[str, str],
) -> None:
    output = io.StringIO()
    call_command(
        "bench_load",
        url=servers[0],
        customers=3,
        agents=2,
        messages=4,
        rate=20,
        stdout=output,
    )
    figures = json.loads(output.getvalue().strip().splitlines()[-1])
    assert (figures["accepted"], figures["delivered"], figures["lost"]) == (12, 12, 0)
    assert figures["errors"] == 0
    assert not User.objects.filter(username__startswith="loadbench-").exists()
