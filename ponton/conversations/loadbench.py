"""Load benchmark of the realtime path: customers post chat messages over HTTP,
agents hold `/ws/inbox/` sockets and re-read each pushed conversation over HTTP
from their last seen id, exactly as the inbox page does.

Latency is measured per message: from the moment its customer starts the POST
to the moment an agent has read its text over HTTP after a push. A message the
server accepted (201) that no agent reads within the grace period is lost.

The data (agents with API tokens, one team per agent so each push reaches one
agent, the customers' conversations) is created for the run and removed after
it; everything it creates is named with `PREFIX`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.db import transaction
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from ponton.accounts.models import Role, Team, User
from ponton.accounts.services import create_api_token
from ponton.batches import batches
from ponton.conversations import lifecycle
from ponton.conversations.models import Conversation
from ponton.journeys.models import JourneyEvent

PREFIX = "loadbench-"
CHAT = "/api/v1/chat/conversations"
TOKEN_HEADER = "X-Conversation-Token"
FIRST_MESSAGE = "Je voudrais parler à un conseiller, s'il vous plaît."
# The server's limits on anonymous chat traffic, lifted for a benchmark run: per client
# address for the API, and per conversation and per address for chat messages.
UNTHROTTLED = " ".join(
    f"{limit}=100000/minute"
    for limit in ("API_ANON_RATE", "PONTON_CHAT_CONVERSATION_RATE", "PONTON_CHAT_ADDRESS_RATE")
)


class BenchError(Exception):
    """The benchmark cannot run (or must stop) for a reason the operator can fix."""


class Throttled(BenchError):
    def __init__(self) -> None:
        super().__init__(
            "The server throttles anonymous chat requests (HTTP 429). Restart it with "
            f"{UNTHROTTLED} for the benchmark, or pass --allow-throttle to count throttled "
            "requests as errors."
        )


@dataclass(frozen=True)
class Options:
    url: str
    customers: int
    agents: int
    messages: int
    rate: float  # target messages per second over all customers
    grace: float = 10.0  # seconds to wait for the last messages to reach an agent
    allow_throttle: bool = False
    connections: int = 100  # HTTP connections per side (customers, agents)


@dataclass(frozen=True)
class Agent:
    username: str
    token: str
    team: str


@dataclass(frozen=True)
class Chat:
    id: int
    token: str
    agent: int  # index of the agent whose team owns it


# Data, through the ORM on the server's database -----------------------------------------


def create_agents(run: str, count: int) -> list[Agent]:
    """`count` agents, each alone in a team of their own, with an API token."""
    agents = []
    with transaction.atomic():
        for n in range(count):
            name = f"{PREFIX}{run}-{n}"
            team = Team.objects.create(slug=name, name=name)
            user = User.objects.create_user(
                name, role=Role.AGENT, first_name="Load", last_name=f"{n}"
            )
            user.teams.add(team)
            agents.append(Agent(username=name, token=create_api_token(user, name=name), team=name))
    return agents


def route(chats: Iterable[Chat], agents: list[Agent]) -> None:
    """Give each conversation to its agent's team, as routing would (the assistant
    stays silent once a person owns it)."""
    teams = {t.slug: t for t in Team.objects.filter(slug__in=[a.team for a in agents])}
    for chat in chats:
        conversation = Conversation.objects.get(pk=chat.id)
        lifecycle.assign(conversation, to=None, team=teams[agents[chat.agent].team], by=None)


def cleanup() -> dict[str, int]:
    """Remove everything a run (this one or an interrupted one) created."""
    with transaction.atomic():
        runs = Conversation.objects.filter(name__startswith=PREFIX)
        events = sum(
            JourneyEvent.objects.filter(data__conversation__in=chunk).delete()[0]
            for chunk in batches(runs.values_list("pk", flat=True).iterator())
        )
        conversations = runs.delete()[0]
        users = User.objects.filter(username__startswith=PREFIX).delete()[0]
        teams = Team.objects.filter(slug__startswith=PREFIX).delete()[0]
    return {"conversations": conversations, "events": events, "users": users, "teams": teams}


# Measurement ------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass
class Tally:
    started: dict[str, float] = field(default_factory=dict)  # uid -> POST start
    accepted: set[str] = field(default_factory=set)  # uids answered 201
    delivered: dict[str, float] = field(default_factory=dict)  # uid -> read by an agent
    post_seconds: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    pushes: int = 0
    reads: int = 0
    reconnects: int = 0
    all_accepted: asyncio.Event = field(default_factory=asyncio.Event)
    all_delivered: asyncio.Event = field(default_factory=asyncio.Event)

    def deliver(self, uid: str, at: float) -> None:
        if uid in self.started and uid not in self.delivered:
            self.delivered[uid] = at
            self._check()

    def accept(self, uid: str) -> None:
        self.accepted.add(uid)
        self._check()

    def _check(self) -> None:
        if self.all_accepted.is_set() and self.accepted <= self.delivered.keys():
            self.all_delivered.set()

    def customers_done(self) -> None:
        self.all_accepted.set()
        self._check()

    def result(self) -> dict[str, Any]:
        latencies = [
            (self.delivered[uid] - self.started[uid]) * 1000
            for uid in self.accepted
            if uid in self.delivered
        ]
        delivered = [self.delivered[uid] for uid in self.accepted if uid in self.delivered]
        first = min(self.started.values(), default=0.0)
        duration = (max(delivered) - first) if delivered else 0.0

        def ms(value: float | None) -> float | None:
            return round(value, 1) if value is not None else None

        return {
            "sent": len(self.started),
            "accepted": len(self.accepted),
            "delivered": len(delivered),
            "lost": len(self.accepted) - len(delivered),
            "errors": sum(self.errors.values()),
            "error_kinds": dict(self.errors),
            "duration_s": round(duration, 2),
            "messages_per_second": round(len(delivered) / duration, 1) if duration else 0.0,
            "latency_ms": {
                "p50": ms(percentile(latencies, 50)),
                "p95": ms(percentile(latencies, 95)),
                "max": ms(max(latencies, default=None)),
            },
            "post_ms": {
                "p50": ms(percentile([s * 1000 for s in self.post_seconds], 50)),
                "p95": ms(percentile([s * 1000 for s in self.post_seconds], 95)),
            },
            "pushes": self.pushes,
            "reads": self.reads,
            "reconnects": self.reconnects,
        }


# Simulated people -------------------------------------------------------------------------


def _marker(run: str) -> str:
    return f"[{PREFIX}{run}:"


def _uid_in(text: str, marker: str) -> str | None:
    start = text.find(marker)
    if start < 0:
        return None
    end = text.find("]", start)
    return text[start + len(marker) : end] if end > 0 else None


async def start_chats(
    client: httpx.AsyncClient, run: str, options: Options, say: Callable[[str], None]
) -> list[Chat]:
    """Each customer opens a chat through the widget's API and asks for a person."""
    chats: list[Chat] = []
    gate = asyncio.Semaphore(8)

    async def one(n: int) -> None:
        async with gate:
            response = await client.post(
                CHAT,
                json={
                    "text": FIRST_MESSAGE,
                    "lang": "fr",
                    "customer": {"name": f"{PREFIX}{run}-{n}"},
                },
            )
        if response.status_code == 429:
            if not options.allow_throttle:
                raise Throttled()
            return  # this customer stays out of the run
        if response.status_code != 201:
            raise BenchError(f"Opening a chat: HTTP {response.status_code} {response.text[:200]}")
        body = response.json()
        chats.append(Chat(id=body["id"], token=body["token"], agent=n % options.agents))

    await asyncio.gather(*(one(n) for n in range(options.customers)))
    say(f"{len(chats)} chats opened.")
    return sorted(chats, key=lambda c: c.id)


@dataclass
class _Watch:
    last_id: int = 0
    reading: bool = False
    again: bool = False


class AgentSide:
    """One agent: an inbox socket, and a re-read of each conversation it is told about."""

    def __init__(
        self,
        agent: Agent,
        chats: list[Chat],
        *,
        client: httpx.AsyncClient,
        options: Options,
        marker: str,
        tally: Tally,
    ) -> None:
        self.agent = agent
        self.watches = {chat.id: _Watch() for chat in chats}
        self.client = client
        self.options = options
        self.marker = marker
        self.tally = tally
        self.ready = asyncio.Event()
        self.tasks: set[asyncio.Task[None]] = set()

    def _ws_url(self) -> str:
        parts = urlsplit(self.options.url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return urlunsplit((scheme, parts.netloc, "/ws/inbox/", "", ""))

    async def _connect(self) -> ClientConnection:
        parts = urlsplit(self.options.url)
        try:
            return await connect(
                self._ws_url(),
                additional_headers={"Authorization": f"Bearer {self.agent.token}"},
                origin=Origin(f"{parts.scheme}://{parts.netloc}"),
                open_timeout=30,
                ping_interval=None,
                max_queue=None,
            )
        except InvalidStatus as exc:
            raise BenchError(
                f"The inbox socket was refused (HTTP {exc.response.status_code}): is the "
                "server's ALLOWED_HOSTS matching the URL, and websockets enabled?"
            ) from exc

    async def run(self, stop: asyncio.Event) -> None:
        first = True
        while not stop.is_set():
            socket = await self._connect()
            if not first:
                # A dropped socket may have missed pushes: re-read everything from the last seen ids.
                self.tally.reconnects += 1
                for conversation in self.watches:
                    self._pushed(conversation)
            first = False
            self.ready.set()
            closing = asyncio.ensure_future(stop.wait())
            try:
                while not stop.is_set():
                    receiving = asyncio.ensure_future(socket.recv())
                    done, _ = await asyncio.wait(
                        {receiving, closing}, return_when=asyncio.FIRST_COMPLETED
                    )
                    if receiving not in done:
                        receiving.cancel()
                        break
                    frame = json.loads(receiving.result())
                    if frame.get("type") == "changed" and frame.get("conversation") in self.watches:
                        self.tally.pushes += 1
                        self._pushed(frame["conversation"])
            except ConnectionClosed:
                self.tally.errors["socket closed"] += 1
            finally:
                closing.cancel()
                await socket.close()

    def _pushed(self, conversation: int) -> None:
        watch = self.watches[conversation]
        if watch.reading:
            watch.again = True  # one more read after the current one covers it
            return
        task = asyncio.create_task(self._read(conversation, watch))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _read(self, conversation: int, watch: _Watch) -> None:
        watch.reading = True
        try:
            while True:
                watch.again = False
                try:
                    response = await self.client.get(
                        f"/api/v1/conversations/{conversation}/messages",
                        params={"after": watch.last_id} if watch.last_id else None,
                        headers={"Authorization": f"Bearer {self.agent.token}"},
                    )
                except httpx.HTTPError as exc:
                    self.tally.errors[f"agent read: {type(exc).__name__}"] += 1
                    watch.again = True
                    await asyncio.sleep(0.1)
                    continue
                self.tally.reads += 1
                if response.status_code != 200:
                    self.tally.errors[f"agent read: HTTP {response.status_code}"] += 1
                else:
                    now = time.perf_counter()
                    for message in response.json()["messages"]:
                        watch.last_id = max(watch.last_id, message["id"])
                        uid = _uid_in(message["text"], self.marker)
                        if uid is not None:
                            self.tally.deliver(uid, now)
                if not watch.again:
                    return
        finally:
            watch.reading = False


async def _customer(
    n: int,
    chat: Chat,
    *,
    client: httpx.AsyncClient,
    options: Options,
    run: str,
    t0: float,
    tally: Tally,
    stop: asyncio.Event,
) -> None:
    """Customer n posts its messages at its share of the target rate, one at a time."""
    interval = options.customers / options.rate
    offset = n / options.rate
    for i in range(options.messages):
        if stop.is_set():
            return
        delay = t0 + offset + i * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        uid = f"{n}-{i}"
        tally.started[uid] = started = time.perf_counter()
        try:
            response = await client.post(
                f"{CHAT}/{chat.id}/messages",
                json={
                    "text": f"Ma box redémarre encore {_marker(run)}{uid}]",
                    "client_msg_id": f"{run}-{uid}",
                },
                headers={TOKEN_HEADER: chat.token},
            )
        except httpx.HTTPError as exc:
            tally.errors[f"customer post: {type(exc).__name__}"] += 1
            continue
        tally.post_seconds.append(time.perf_counter() - started)
        if response.status_code == 201:
            tally.accept(uid)
        elif response.status_code == 429 and not options.allow_throttle:
            tally.errors["customer post: HTTP 429"] += 1
            stop.set()
            raise Throttled()
        else:
            tally.errors[f"customer post: HTTP {response.status_code}"] += 1


async def check_server(client: httpx.AsyncClient, agent: Agent) -> None:
    """The server answers, and shares our database (it knows the token we just made)."""
    try:
        response = await client.get(
            "/api/v1/conversations?limit=1", headers={"Authorization": f"Bearer {agent.token}"}
        )
    except httpx.HTTPError as exc:
        raise BenchError(f"No server at {client.base_url}: {exc}") from exc
    if response.status_code in (401, 403):
        raise BenchError(
            "The server does not know the benchmark's agents: run the benchmark with the "
            "server's DATABASE_URL."
        )
    if response.status_code != 200:
        raise BenchError(f"The server answered HTTP {response.status_code} to the agent API.")


async def measure(
    options: Options,
    agents: list[Agent],
    chats: list[Chat],
    *,
    run: str,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Connect the agents, let the customers post, wait for every message to be read."""
    tally = Tally()
    stop = asyncio.Event()
    limits = httpx.Limits(
        max_connections=options.connections, max_keepalive_connections=options.connections
    )
    async with (
        httpx.AsyncClient(base_url=options.url, limits=limits, timeout=30) as customers,
        httpx.AsyncClient(base_url=options.url, limits=limits, timeout=30) as staff,
    ):
        sides = [
            AgentSide(
                agent,
                [c for c in chats if c.agent == n],
                client=staff,
                options=options,
                marker=_marker(run),
                tally=tally,
            )
            for n, agent in enumerate(agents)
        ]
        listening = [asyncio.create_task(side.run(stop)) for side in sides]
        await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in sides)), timeout=60)
        say(f"{len(sides)} agents listening; customers start posting.")
        t0 = time.perf_counter()
        posting = [
            asyncio.create_task(
                _customer(
                    n,
                    chat,
                    client=customers,
                    options=options,
                    run=run,
                    t0=t0,
                    tally=tally,
                    stop=stop,
                )
            )
            for n, chat in enumerate(chats)
        ]
        progress = asyncio.create_task(_progress(tally, t0, say))
        try:
            for task in asyncio.as_completed(posting):
                await task
            tally.customers_done()
            say(f"All messages posted; waiting up to {options.grace:g}s for the last ones.")
            with contextlib.suppress(TimeoutError):  # what is still missing is lost
                await asyncio.wait_for(tally.all_delivered.wait(), timeout=options.grace)
        finally:
            stop.set()
            progress.cancel()
            for task in posting:
                task.cancel()
            await asyncio.gather(*listening, *posting, progress, return_exceptions=True)
            for side in sides:
                for task in list(side.tasks):
                    task.cancel()
                await asyncio.gather(*side.tasks, return_exceptions=True)
    return tally.result()


async def _progress(tally: Tally, t0: float, say: Callable[[str], None]) -> None:
    while True:
        await asyncio.sleep(1)
        say(
            f"{time.perf_counter() - t0:5.1f}s  posted {len(tally.accepted)}  "
            f"read by agents {len(tally.delivered)}  errors {sum(tally.errors.values())}"
        )


async def prepare(
    options: Options, agents: list[Agent], *, run: str, say: Callable[[str], None]
) -> list[Chat]:
    async with httpx.AsyncClient(base_url=options.url, timeout=30) as client:
        await check_server(client, agents[0])
        return await start_chats(client, run, options, say)


def new_run_id() -> str:
    return uuid.uuid4().hex[:8]
