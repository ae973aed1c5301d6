"""Faults in the production shape: app processes (`ponton serve`) on PostgreSQL and a Redis
of the test's own, which the test stops, restarts or outlives.

- Redis stopped and restarted during sends: every send is acknowledged (2xx), every
  message stored once, and the agent's page, reconnected, re-reads everything from its
  last id and hears pushes again.
- An app process killed (SIGKILL) during sends: the client sends again, with the same
  `client_msg_id`, to the other process; every message is stored once, and no push is
  lost (what the killed process had not published waits in the outbox for the sweep).
- Sockets leave their groups: closed abruptly, at once; their process killed, once the
  memberships they no longer renew expire, while a live socket keeps its own.

Skipped unless DATABASE_URL is PostgreSQL and REDIS_URL is set (the suite's second run in
CI), and `redis-server` is installed. No assertion is timed: waits are bounded by
PATIENCE, a bound for a process to start or a push to arrive, not a measure.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import redis
from asgiref.sync import async_to_sync
from channels_redis.core import RedisChannelLayer
from django.conf import settings
from django.db import connection
from websockets.exceptions import ConnectionClosedError
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from ponton.accounts.models import User
from ponton.accounts.services import create_api_token
from ponton.conversations import outbox, realtime
from ponton.conversations.models import Message, OutboxPush

pytestmark = [
    pytest.mark.skipif(
        not (
            os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
            and os.environ.get("REDIS_URL")
            and shutil.which("redis-server")
        ),
        reason="fault tests need PostgreSQL (DATABASE_URL), Redis (REDIS_URL) and redis-server",
    ),
    pytest.mark.django_db(transaction=True),
]

REPOSITORY = Path(settings.BASE_DIR).parent
START = "/api/v1/chat/conversations"
PATIENCE = 90  # a bound, generous for a loaded machine (several processes start at once)
GROUP_EXPIRY = 3  # seconds, for the processes whose death the tests outlive
UNLIMITED = "100000/minute"


def _free_port(preferred: range = range(6390, 6400)) -> int:
    for port in [*preferred, 0]:
        with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise AssertionError("no free port")


def _test_database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"])
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _wait_until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {PATIENCE}s")
        time.sleep(0.1)


class RedisServer:
    """A redis-server of the test's own (never the shared one), without persistence: a
    restart comes back empty, as after a crash."""

    def __init__(self, folder: Path) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.folder)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        _wait_until(lambda: self._answers(client), "redis-server starting")

    @staticmethod
    def _answers(client: redis.Redis) -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port)


class Server:
    """One `ponton serve` process on the test database and the test's Redis."""

    def __init__(self, name: str, folder: Path, redis_url: str) -> None:
        self.name = name
        self.port = _free_port(range(0))
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"{name}.log"
        env = {
            **os.environ,
            "DATABASE_URL": _test_database_url(),
            "REDIS_URL": redis_url,
            "PONTON_DATA_DIR": str(folder / "data"),
            "PONTON_GROUP_EXPIRY_SECONDS": str(GROUP_EXPIRY),
            "API_ANON_RATE": UNLIMITED,
            "PONTON_CHAT_CONVERSATION_RATE": UNLIMITED,
            "PONTON_CHAT_ADDRESS_RATE": UNLIMITED,
            "PYTHONUNBUFFERED": "1",
        }
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "serve", "--port", str(self.port), "--no-access-log"],
                cwd=REPOSITORY,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.process.returncode}")
        try:
            return httpx.get(f"{self.url}/api/v1/conversations", timeout=2).status_code == 401
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    try:
        yield server
    finally:
        server.stop()


class Processes:
    """The module's two app processes, A and B, started once (they take seconds to start);
    a test that killed one gets a new one in its place from the next `pair()`."""

    def __init__(self, folder: Path, redis_url: str) -> None:
        self.folder = folder
        self.redis_url = redis_url
        self.all: list[Server] = []
        self.current = {name: self._start(name) for name in ("A", "B")}

    def _start(self, name: str) -> Server:
        server = Server(f"{name}{len(self.all) + 1}", self.folder, self.redis_url)
        self.all.append(server)
        return server

    def pair(self) -> tuple[Server, Server]:
        for name, server in self.current.items():
            if server.process.poll() is not None:
                self.current[name] = self._start(name)
        for server in self.current.values():
            _wait_until(server.ready, f"{server.name} starting")
        return self.current["A"], self.current["B"]

    def stop(self) -> None:
        for server in self.all:
            server.stop()
        for server in self.all:
            print(f"----- {server.name} ({server.url}) -----")
            print(server.log.read_text(errors="replace")[-20000:])


@pytest.fixture(scope="module")
def processes(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory, own_redis: RedisServer
) -> Iterator[Processes]:
    started = Processes(tmp_path_factory.mktemp("processes"), own_redis.url)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def servers(
    transactional_db: None, processes: Processes, own_redis: RedisServer, settings: Any
) -> tuple[Server, Server]:
    """The two app processes, alive; this process's own pushes (the sweep) go to their
    Redis too. The processes hold no connection between requests, so the database is
    emptied between tests under them."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [own_redis.url], "group_expiry": GROUP_EXPIRY},
        }
    }
    return processes.pair()


def inbox(server: Server, token: str) -> ClientConnection:
    """An agent's live inbox; tried again until the process lets it in (a socket refused
    while Redis is away is refused, not hung)."""
    url = server.url.replace("http://", "ws://") + "/ws/inbox/"
    deadline = time.monotonic() + PATIENCE
    while True:
        try:
            return connect(
                url,
                additional_headers={"Authorization": f"Bearer {token}"},
                origin=Origin(server.url),
                open_timeout=PATIENCE,
                legacy=True,  # a connection the test opens and closes itself
            )
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def wait_for_push(socket: ClientConnection, conversation: int) -> None:
    deadline = time.monotonic() + PATIENCE
    while True:
        push = json.loads(socket.recv(timeout=max(0.0, deadline - time.monotonic())))
        if push.get("conversation") == conversation and push.get("what") == "message":
            return


def sweep_what_is_left() -> None:
    """What the worker's periodic sweep does, for the pushes left so far."""
    last = OutboxPush.objects.order_by("-created_at").first()
    if last is not None:
        outbox.sweep(now=last.created_at + outbox.SWEEP_GRACE)


class Customer:
    """The widget's side: every message carries a `client_msg_id`; a message that was not
    acknowledged is sent again with the same id, to the next process (the proxy's
    failover). Every answer is recorded."""

    def __init__(self, servers: list[Server]) -> None:
        self.servers = servers
        self.next = 0  # the process the last acknowledged message went to, as a proxy keeps
        self.answers: list[tuple[str, int | str]] = []
        self.chat: dict[str, Any] = {}

    def open(self) -> dict[str, Any]:
        response = httpx.post(
            self.servers[0].url + START,
            json={"text": "Je veux parler à un conseiller", "lang": "fr"},
            timeout=PATIENCE,
        )
        assert response.status_code == 201, response.text
        self.chat = response.json()
        return self.chat

    def say(self, text: str) -> None:
        key = uuid.uuid4().hex
        for attempt in range(20):
            server = self.servers[(self.next + attempt) % len(self.servers)]
            try:
                response = httpx.post(
                    f"{server.url}{START}/{self.chat['id']}/messages",
                    json={"text": text, "client_msg_id": key},
                    headers={"X-Conversation-Token": self.chat["token"]},
                    timeout=PATIENCE,
                )
            except httpx.TransportError as exc:
                self.answers.append((text, type(exc).__name__))
                continue
            self.answers.append((text, response.status_code))
            if response.status_code == 201:
                self.next = self.servers.index(server)
                return
        raise AssertionError(f"{text!r} was never acknowledged: {self.answers[-20:]}")

    def messages_after(self, server: Server, after: int) -> list[str]:
        response = httpx.get(
            f"{server.url}{START}/{self.chat['id']}/messages?after={after}",
            headers={"X-Conversation-Token": self.chat["token"]},
            timeout=PATIENCE,
        )
        assert response.status_code == 200, response.text
        return [m["text"] for m in response.json()["messages"] if m["author"] == "customer"]


def staff_messages_after(server: Server, token: str, conversation: int, after: int) -> list[str]:
    response = httpx.get(
        f"{server.url}/api/v1/conversations/{conversation}/messages?after={after}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=PATIENCE,
    )
    assert response.status_code == 200, response.text
    return [m["text"] for m in response.json()["messages"] if m["author"] == "customer"]


def test_redis_stopped_and_restarted_during_sends_loses_nothing_and_refuses_nothing(
    agent: User, servers: tuple[Server, Server], own_redis: RedisServer
) -> None:
    process_a, process_b = servers
    token = create_api_token(agent)
    customer = Customer([process_a])
    page = inbox(process_b, token)
    chat = customer.open()
    first = chat["messages"][0]["id"]
    texts = [f"Message {n}" for n in range(30)]

    for text in texts[:10]:
        customer.say(text)
    wait_for_push(page, chat["id"])  # pushes flow through Redis, process A to B
    own_redis.stop()
    for text in texts[10:20]:
        customer.say(text)
    outage = customer.answers[10:]
    own_redis.start()
    for text in texts[20:]:
        customer.say(text)

    # The page's socket may have dropped with Redis: it reconnects, then re-reads.
    page.close()
    page = inbox(process_b, token)
    back = ["De retour"]
    customer.say(back[-1])
    sweep_what_is_left()  # a push refused while Redis came back is sent by the sweep
    # A socket opened as Redis comes back may still be closed once (1011, its channel layer
    # failing): the page reconnects as the inbox does, and the next message's push must
    # reach it.
    while True:
        try:
            wait_for_push(page, chat["id"])
            break
        except ConnectionClosedError:
            if len(back) == 3:
                raise
            page = inbox(process_b, token)
            back.append(f"De retour ({len(back) + 1})")
            customer.say(back[-1])
    assert [status for _, status in outage] == [201] * 10
    assert all(status == 201 for _, status in customer.answers)
    expected = [*texts, *back]
    assert customer.messages_after(process_a, first) == expected
    assert staff_messages_after(process_b, token, chat["id"], first) == expected
    stored = list(Message.objects.filter(conversation_id=chat["id"]).values_list("text", flat=True))
    assert [stored.count(text) for text in expected] == [1] * len(expected)
    page.close()


def test_an_app_process_killed_during_sends_loses_no_message_and_no_push(
    agent: User, servers: tuple[Server, Server]
) -> None:
    process_a, process_b = servers
    token = create_api_token(agent)
    customer = Customer([process_a, process_b])
    page = inbox(process_b, token)
    chat = customer.open()
    first = chat["messages"][0]["id"]
    texts = [f"Message {n}" for n in range(25)]
    some_sent = threading.Event()

    def send_all() -> None:
        for n, text in enumerate(texts):
            customer.say(text)
            if n == 5:
                some_sent.set()

    sender = threading.Thread(target=send_all)
    sender.start()
    assert some_sent.wait(PATIENCE)
    process_a.kill()
    sender.join(PATIENCE * 2)
    assert not sender.is_alive()
    sweep_what_is_left()  # the pushes the killed process committed but never published

    assert staff_messages_after(process_b, token, chat["id"], first) == texts
    stored = list(Message.objects.filter(conversation_id=chat["id"]).values_list("text", flat=True))
    assert [stored.count(text) for text in texts] == [1] * len(texts)
    assert not OutboxPush.objects.exists()
    wait_for_push(page, chat["id"])  # the page heard of them
    page.close()


def _members(client: redis.Redis, group: str) -> int:
    return int(client.zcard(f"asgi:group:{group}"))


def test_sockets_leave_their_groups_when_they_drop_or_their_process_dies(
    agent: User, servers: tuple[Server, Server], own_redis: RedisServer
) -> None:
    process_a, process_b = servers
    token = create_api_token(agent)
    group = realtime.agent_group(agent.pk)
    client = own_redis.client()
    baseline = _members(client, group)

    # Dropped without a closing handshake (a phone losing its network): left at once.
    dropped = [inbox(process_b, token) for _ in range(10)]
    assert _members(client, group) == baseline + 10
    for socket_ in dropped:
        socket_.socket.shutdown(socket.SHUT_RDWR)
    _wait_until(lambda: _members(client, group) == baseline, "dropped sockets leaving")

    # A process killed with its sockets: they cannot leave, their memberships expire; a
    # socket on the live process renews its own and keeps hearing pushes.
    survivor = inbox(process_b, token)
    doomed = [inbox(process_a, token) for _ in range(20)]
    assert _members(client, group) == baseline + 21
    process_a.kill()
    layer = RedisChannelLayer(hosts=[own_redis.url], group_expiry=GROUP_EXPIRY)

    def expired() -> bool:
        # Sending is what prunes expired members, as every push does.
        async_to_sync(layer.group_send)(
            group,
            {
                "type": "conversation.changed",
                "id": uuid.uuid4().hex,
                "conversation": 0,
                "what": "probe",
                "state": "",
            },
        )
        return _members(client, group) <= baseline + 1

    _wait_until(expired, "a dead process's sockets leaving their groups")
    assert _members(client, group) == baseline + 1
    async_to_sync(layer.group_send)(
        group,
        {
            "type": "conversation.changed",
            "id": "last",
            "conversation": 0,
            "what": "last",
            "state": "",
        },
    )
    while json.loads(survivor.recv(timeout=PATIENCE)).get("what") != "last":
        pass
    survivor.close()
    for socket_ in doomed:
        socket_.socket.close()
