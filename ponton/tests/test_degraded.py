"""When Redis cannot be reached, nothing the customer or the agent sent is turned into an
error: messages are stored and acknowledged, pages render, throttles and cached figures fall
back to the process's own memory, and pushes fail soft (pages catch up on their next read)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from channels_redis.utils import create_pool
from django.conf import settings as django_settings
from django.core.cache import caches
from django.db import connection, transaction
from django.test import Client

from ponton.accounts.services import create_api_token
from ponton.asgi import application
from ponton.cache import ResilientRedisCache
from ponton.conftest import human_exits
from ponton.conversations import idempotency, lifecycle, outbox, realtime
from ponton.conversations.models import Conversation, IdempotentRequest, Message, OutboxPush
from ponton.dbdown import server_error

CHAT = "/api/v1/chat/conversations"
REPOSITORY = Path(django_settings.BASE_DIR).parent


def _closed_redis_url() -> str:
    """A Redis URL nobody answers on (a port just freed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def redis_down(settings: Any) -> str:
    url = _closed_redis_url()
    settings.CACHES = {
        "default": {
            "BACKEND": "ponton.cache.ResilientRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [url]}}
    }
    return url  # Django and Channels drop their cached backends when these settings change


def test_the_cache_falls_back_to_local_memory_while_redis_is_down(redis_down: str) -> None:
    cache = caches["default"]
    assert isinstance(cache, ResilientRedisCache)

    cache.set("greeting", "bonjour", 60)

    assert cache.get("greeting") == "bonjour"
    assert cache.add("greeting", "autre") is False
    assert cache.get_or_set("figures", lambda: 42, 60) == 42
    assert cache.incr("figures") == 43


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_a_customer_is_answered_and_an_agent_reply_is_saved_once(
    redis_down: str, kb: Any, agent: Any
) -> None:
    client = Client()

    home = client.get("/fr/")
    started = client.post(
        CHAT,
        {"text": "Je veux parler à un conseiller", "lang": "fr"},
        content_type="application/json",
    )
    chat = started.json()
    again = client.post(
        f"{CHAT}/{chat['id']}/messages",
        {"text": "Toujours là ?"},
        content_type="application/json",
        HTTP_X_CONVERSATION_TOKEN=chat["token"],
    )
    lifecycle.reply_as_agent(
        Conversation.objects.get(pk=chat["id"]), agent=agent, text="Oui, je regarde."
    )

    assert home.status_code == 200
    assert (started.status_code, again.status_code) == (201, 201)
    texts = list(Message.objects.filter(conversation_id=chat["id"]).values_list("text", flat=True))
    assert texts.count("Toujours là ?") == 1 and texts.count("Oui, je regarde.") == 1


# The database briefly down -------------------------------------------------------------


@contextmanager
def database_down() -> Iterator[None]:
    """Point the default connection at a database nobody serves, for real: the next query
    opens a connection and fails as it would while PostgreSQL restarts."""
    saved = dict(connection.settings_dict)
    _close(connection)
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent/ponton/down.sqlite3"
    else:
        port = _closed_redis_url().rsplit(":", 1)[1].split("/")[0]  # any closed port
        connection.settings_dict.update({"HOST": "127.0.0.1", "PORT": port})
        connection.settings_dict.setdefault("OPTIONS", {})["connect_timeout"] = 2
    try:
        yield
    finally:
        _close(connection)
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def _close(connection: Any) -> None:
    """Close the connection and, on PostgreSQL, its process's pool, which is made again from
    the settings at the next query."""
    connection.close()
    if getattr(connection, "pool", None) is not None:
        connection.close_pool()


@pytest.mark.django_db(transaction=True)
def test_with_the_database_down_a_send_gets_a_503_to_retry_and_the_retry_is_stored_once(
    kb: Any,
) -> None:
    client = Client()
    chat = _handed_off(kb)
    url = f"{CHAT}/{chat['id']}/messages"
    body = {"text": "Vous êtes là ?", "client_msg_id": "m-2"}
    token = {"HTTP_X_CONVERSATION_TOKEN": chat["token"]}

    with database_down():
        refused = client.post(url, body, content_type="application/json", **token)
    retried = client.post(url, body, content_type="application/json", **token)
    again = client.post(url, body, content_type="application/json", **token)

    assert refused.status_code == 503
    assert refused["Retry-After"] == "5"
    assert refused.json()["code"] == "unavailable"
    assert (retried.status_code, again.status_code) == (201, 201)
    assert Message.objects.filter(text=body["text"]).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("path", "words"),
    [("/fr/", "Écrire à un conseiller"), ("/en/", "Write to a person")],
)
def test_with_the_database_down_a_page_says_so_in_its_language_with_a_way_to_a_person(
    path: str, words: str
) -> None:
    with database_down():
        page = Client().get(path)

    html = page.content.decode()
    assert page.status_code == 503
    assert page["Retry-After"] == "5"
    assert words in html
    assert human_exits(html)
    policy = page["Content-Security-Policy"]
    script = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert "'self'" in script and "'unsafe-inline'" not in script


def test_a_failed_page_that_is_not_a_database_outage_stays_a_500(rf: Any) -> None:
    try:
        raise ValueError("a bug, not an outage")
    except ValueError:
        response = server_error(rf.get("/fr/"))
    assert response.status_code == 500


# Idempotency keys on agents' writes ---------------------------------------------------


def _agent_client(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(user)}")


def _handed_off(kb: Any) -> dict[str, Any]:
    response = Client().post(
        CHAT,
        {"text": "Je veux parler à un conseiller", "lang": "fr"},
        content_type="application/json",
    )
    assert response.status_code == 201
    return dict(response.json())


@pytest.mark.django_db
@pytest.mark.parametrize("internal", [False, True], ids=["reply", "note"])
def test_a_reply_or_note_sent_again_with_its_key_is_stored_once_and_answered_the_same(
    kb: Any, agent: Any, internal: bool
) -> None:
    chat = _handed_off(kb)
    staff = _agent_client(agent)
    url = f"/api/v1/conversations/{chat['id']}/messages"
    body = {"text": "Je relance votre box.", "internal": internal}

    first = staff.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = staff.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = staff.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-2")

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert other.json()["id"] != first.json()["id"]
    assert Message.objects.filter(conversation_id=chat["id"], text=body["text"]).count() == 2


@pytest.mark.django_db
def test_a_key_used_again_for_another_request_is_refused_with_422(kb: Any, agent: Any) -> None:
    chat = _handed_off(kb)
    staff = _agent_client(agent)
    url = f"/api/v1/conversations/{chat['id']}/messages"

    staff.post(url, {"text": "Bonjour"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    reused = staff.post(
        url, {"text": "Autre chose"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert not Message.objects.filter(text="Autre chose").exists()


@pytest.mark.django_db
def test_keys_belong_to_their_user(kb: Any, agent: Any, supervisor: Any) -> None:
    chat = _handed_off(kb)
    url = f"/api/v1/conversations/{chat['id']}/messages"
    for user, text in ((agent, "De l'agent"), (supervisor, "Du superviseur")):
        sent = _agent_client(user).post(
            url, {"text": text}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="same"
        )
        assert sent.status_code == 201

    assert Message.objects.filter(text__in=["De l'agent", "Du superviseur"]).count() == 2


@pytest.mark.django_db
def test_a_status_change_sent_again_with_its_key_answers_as_the_first_time(
    kb: Any, agent: Any, mailoutbox: list[Any]
) -> None:
    chat = _handed_off(kb)
    staff = _agent_client(agent)
    url = f"/api/v1/conversations/{chat['id']}/status"
    staff.post(
        f"/api/v1/conversations/{chat['id']}/messages",
        {"text": "C'est réglé."},
        content_type="application/json",
    )

    first = staff.post(
        url, {"status": "solved"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="s"
    )
    second = staff.post(
        url, {"status": "solved"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="s"
    )

    assert first.status_code == 200
    assert (second.status_code, second.json()) == (200, first.json())
    assert Conversation.objects.get(pk=chat["id"]).status == "solved"


@pytest.mark.django_db
def test_a_malformed_key_is_refused_before_anything_is_written(kb: Any, agent: Any) -> None:
    chat = _handed_off(kb)
    sent = _agent_client(agent).post(
        f"/api/v1/conversations/{chat['id']}/messages",
        {"text": "Bonjour"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="x" * 129,
    )
    assert sent.status_code == 400
    assert not Message.objects.filter(text="Bonjour").exists()


@pytest.mark.django_db
def test_old_keys_are_forgotten_after_a_day(kb: Any, agent: Any) -> None:
    chat = _handed_off(kb)
    _agent_client(agent).post(
        f"/api/v1/conversations/{chat['id']}/messages",
        {"text": "Bonjour"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="old",
    )
    stored = IdempotentRequest.objects.get()

    assert idempotency.forget_old(now=stored.created_at + timedelta(hours=23)) == 0
    assert idempotency.forget_old(now=stored.created_at + timedelta(hours=25)) == 1


@pytest.mark.django_db
def test_the_openapi_document_describes_the_idempotency_key_on_agents_writes() -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    for path in (
        "/api/v1/conversations/{conversation_id}/messages",
        "/api/v1/conversations/{conversation_id}/status",
        "/api/v1/conversations/{conversation_id}/assign",
    ):
        operation = schema["paths"][path]["post"]
        names = [(p["name"], p["in"]) for p in operation.get("parameters", [])]
        assert ("Idempotency-Key", "header") in names, path
        assert "422" in operation["responses"], path


# The outbox of pushes ------------------------------------------------------------------


def _listen(*groups: str) -> tuple[Any, str]:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    for group in groups:
        async_to_sync(layer.group_add)(group, channel)
    return layer, channel


@pytest.mark.django_db(transaction=True)
def test_a_push_that_redis_refused_stays_in_the_outbox_and_the_sweep_delivers_it_later(
    redis_down: str, kb: Any, agent: Any, settings: Any
) -> None:
    chat = _handed_off(kb)
    conversation = Conversation.objects.get(pk=chat["id"])
    OutboxPush.objects.all().delete()  # the opening's own pushes

    lifecycle.reply_as_agent(conversation, agent=agent, text="Je regarde.")
    left = OutboxPush.objects.get()
    # Redis is back (here: the in-process layer) and a page listens to the conversation.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    layer, channel = _listen(realtime.chat_group(conversation.pk))

    published = outbox.sweep(now=left.created_at + outbox.SWEEP_GRACE)
    event = async_to_sync(layer.receive)(channel)

    assert published == 1
    assert (event["type"], event["conversation"], event["what"]) == (
        "chat.changed",
        conversation.pk,
        "message",
    )
    assert not OutboxPush.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_sweep_leaves_a_young_push_to_the_process_that_is_publishing_it(
    kb: Any,
) -> None:
    _handed_off(kb)
    with transaction.atomic():
        outbox.push([("supervisors", {"type": "conversation.changed", "id": "x"})])
        young = OutboxPush.objects.get()
        # Not committed yet, so not published yet: a sweep at that instant leaves it.
        assert outbox.sweep(now=young.created_at) == 0
    assert not OutboxPush.objects.exists()  # published after commit, then removed


@pytest.mark.django_db(transaction=True)
def test_a_process_killed_between_commit_and_publish_loses_no_push(
    kb: Any, agent: Any, tmp_path: Path
) -> None:
    chat = _handed_off(kb)
    OutboxPush.objects.all().delete()
    script = (
        "import os, signal\n"
        "from django.db import transaction\n"
        "from ponton.accounts.models import User\n"
        "from ponton.conversations import lifecycle\n"
        "from ponton.conversations.models import Conversation\n"
        "with transaction.atomic():\n"
        "    transaction.on_commit(lambda: os.kill(os.getpid(), signal.SIGKILL))\n"
        f"    lifecycle.reply_as_agent(Conversation.objects.get(pk={chat['id']}),"
        f" agent=User.objects.get(pk={agent.pk}), text='Avant la panne')\n"
    )
    crashed = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=REPOSITORY,
        env={**os.environ, "DATABASE_URL": _database_url(), "PONTON_DATA_DIR": str(tmp_path)},
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr.decode()[-3000:]
    assert Message.objects.filter(text="Avant la panne").count() == 1  # committed
    left = OutboxPush.objects.get()  # but never published
    layer, channel = _listen(realtime.chat_group(chat["id"]))

    assert outbox.sweep(now=left.created_at + outbox.SWEEP_GRACE) == 1
    assert async_to_sync(layer.receive)(channel)["what"] == "message"


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"])
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


# Sockets leave their groups -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/ws/inbox/", "/ws/conversations/{id}/"])
def test_an_agents_socket_leaves_every_group_it_joined_when_it_closes(
    kb: Any, agent: Any, settings: Any, path: str
) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    chat = _handed_off(kb)
    headers = [
        (b"origin", b"http://testserver"),
        (b"authorization", f"Bearer {create_api_token(agent)}".encode()),
    ]
    scope = {"type": "websocket", "path": path.format(id=chat["id"]), "query_string": b""}

    async def scenario() -> tuple[set[str], set[str]]:
        layer = get_channel_layer()
        page = ApplicationCommunicator(application, {**scope, "headers": headers})
        await page.send_input({"type": "websocket.connect"})
        assert (await page.receive_output(10))["type"] == "websocket.accept"
        joined = {group for group, members in layer.groups.items() if members}
        await page.send_input({"type": "websocket.disconnect", "code": 1006})  # abrupt
        await page.wait(10)
        return joined, {group for group, members in layer.groups.items() if members}

    joined, after = async_to_sync(scenario)()

    assert realtime.agent_group(agent.pk) in joined
    assert after == set()


def test_the_cache_objects_of_a_process_share_one_redis_client_and_its_connections(
    redis_down: str,
) -> None:
    # Django makes a cache object per request under ASGI; each must not open its own pool.
    first = caches.create_connection("default")
    second = caches.create_connection("default")
    assert first is not second
    assert isinstance(first, ResilientRedisCache) and isinstance(second, ResilientRedisCache)
    assert first._cache is second._cache


def test_a_socket_s_receive_from_redis_ends_whenever_it_is_cancelled() -> None:
    """A websocket's end cancels its receive from the channel layer. With a socket timeout,
    redis-py sends each command under asyncio.wait_for, which on Python 3.11 swallows a
    cancellation that lands as the write completes: the receive went on polling Redis for
    ever (129 of these 400 cancellations, with the former 15 s timeout)."""
    if not isinstance(get_channel_layer(), RedisChannelLayer):
        pytest.skip("the Redis channel layer only (REDIS_URL)")
    config = django_settings.CHANNEL_LAYERS["default"]["CONFIG"]

    async def cancellations() -> int:
        layer = RedisChannelLayer(**config)
        went_on = 0
        for n in range(400):
            receiving = asyncio.ensure_future(layer.receive(await layer.new_channel()))
            for _ in range(n % 40):  # every moment of the receive's first steps
                await asyncio.sleep(0)
            receiving.cancel()
            done, _ = await asyncio.wait({receiving}, timeout=2)
            if not done:
                went_on += 1
                layer = RedisChannelLayer(**config)  # the stray receive holds the old one
        return went_on

    assert async_to_sync(cancellations)() == 0
    # And an idle socket's blocking wait (BZPOPMIN, 5 s) is never cut by a read timeout.
    assert create_pool(config["hosts"][0]).connection_kwargs["socket_timeout"] is None
