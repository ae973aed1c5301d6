"""Two agents on one conversation: each page hears who else has it open and who is
writing, through the conversation's socket; nobody hears themselves, and the
inbox's socket carries none of it (its pushes are unchanged)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from ponton.accounts.models import Role, Team, User
from ponton.conftest import PASSWORD
from ponton.conversations.tests.test_realtime import (
    Socket,
    open_chat,
    pushes_until,
    run,
    socket,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@pytest.fixture
def camille(agent: User) -> User:
    user = User.objects.create_user(
        "camille", password=PASSWORD, first_name="Camille", last_name="Dupont", role=Role.AGENT
    )
    user.teams.add(Team.objects.get(slug="front"))
    return user


def test_an_agent_sees_a_colleague_viewing_then_writing_on_the_same_conversation(
    agent: User, camille: User
) -> None:
    chat: dict[str, Any] = open_chat()
    path = f"/ws/conversations/{chat['id']}/"
    karims, camilles = _cookie(agent), _cookie(camille)

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]], Any]:
        karim: Socket = socket(path, cookie=karims)
        theirs: Socket = socket(path, cookie=camilles)
        inbox: Socket = socket("/ws/inbox/", cookie=camilles)
        for s in (karim, theirs, inbox):
            assert (await s.connect())[0]
        await karim.send_json_to({"type": "activity", "activity": "viewing"})
        await karim.send_json_to({"type": "activity", "activity": "typing"})
        await karim.send_json_to({"type": "activity", "activity": "shouting"})  # ignored
        heard = await pushes_until(theirs, lambda p: p.get("activity") == "typing")
        await karim.send_json_to({"type": "ping"})
        own = await pushes_until(karim, lambda p: p.get("type") == "pong")
        await karim.disconnect()
        left = await pushes_until(theirs, lambda p: p.get("activity") == "left")
        nothing = await inbox.receive_nothing(timeout=0.3)
        await theirs.disconnect()
        await inbox.disconnect()
        return heard + left, own, nothing

    heard, own, inbox_heard_nothing = run(scenario)
    assert [(p["type"], p["activity"], p["name"]) for p in heard] == [
        ("activity", "viewing", "Karim Benali"),
        ("activity", "typing", "Karim Benali"),
        ("activity", "left", "Karim Benali"),
    ]
    assert all(p["agent"] == agent.pk for p in heard)
    assert [p["type"] for p in own] == ["pong"]  # nobody hears themselves
    assert inbox_heard_nothing
