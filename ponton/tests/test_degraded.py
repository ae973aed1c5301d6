"""When Redis cannot be reached, nothing the customer or the agent sent is turned into an
error: messages are stored and acknowledged, pages render, throttles and cached figures fall
back to the process's own memory, and pushes fail soft (pages catch up on their next read)."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client

from ponton.cache import ResilientRedisCache
from ponton.conversations import lifecycle
from ponton.conversations.models import Conversation, Message

CHAT = "/api/v1/chat/conversations"


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
