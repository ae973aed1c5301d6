"""Websockets for the agents' pages and the customer's chat.

They carry no data, only "conversation N changed"; the page then re-reads
over HTTP from its last seen id. One conversation's socket also relays, between
the staff who have it open, who is viewing it and who is typing (nothing stored:
a page that goes quiet for a minute is forgotten by the others). Scope is checked here exactly as in the
pages: a conversation outside an agent's scope closes the socket with the
same code as a missing one (4404).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from typing import Any

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.http import Http404
from django.utils import timezone

from ponton import counters
from ponton.accounts.models import User
from ponton.accounts.revocation import REVOKED, sessions_group
from ponton.conversations import realtime
from ponton.conversations.access import access_conversation

logger = logging.getLogger(__name__)

NOT_FOUND = 4404
FORBIDDEN = 4403
SERVER_ERROR = 1011
RECEIVE_END_SECONDS = 2  # how long a socket's end waits for its cancelled receive
# Group memberships expire (CHANNEL_LAYERS' `group_expiry`), so the sockets of a process that
# died leave their groups on their own; a live socket joins its groups again this many times
# per expiry period, so it never falls out of them.
REJOINS_PER_EXPIRY = 3


class GroupMembership:
    """The groups one socket joined, joined again periodically while it lives, and left all
    at once when it closes, even when one of the leaves fails."""

    def __init__(self, layer: Any, channel: str) -> None:
        self.layer = layer
        self.channel = channel
        self.groups: list[str] = []
        self._heartbeat: asyncio.Task[None] | None = None

    async def join(self, *groups: str) -> None:
        for group in groups:
            if group not in self.groups:
                self.groups.append(group)
        for group in groups:
            await self.layer.group_add(group, self.channel)
        if self._heartbeat is None:
            self._heartbeat = asyncio.ensure_future(self._rejoin_forever())

    async def _rejoin_forever(self) -> None:
        interval = float(getattr(self.layer, "group_expiry", 86400)) / REJOINS_PER_EXPIRY
        while True:
            await asyncio.sleep(interval)
            try:
                for group in self.groups:
                    await self.layer.group_add(group, self.channel)
            except Exception:  # Redis away: the next beat tries again
                logger.warning("Could not renew %s's groups", self.channel, exc_info=True)

    async def leave_all(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            self._heartbeat = None
        # One at a time, as Channels itself does; one failure does not stop
        # the others.
        for group in self.groups:
            try:
                await self.layer.group_discard(group, self.channel)
            except Exception as exc:  # its membership expires by itself (group_expiry)
                logger.warning("Could not leave %s: %s", group, exc)
        self.groups = []


class SocketConsumer(AsyncJsonWebsocketConsumer):
    """The base of every Ponton websocket: Channels' JSON consumer, made to end cleanly
    whatever its channel layer does, so that a page always gets an answer and reconnects.

    - A failure (Redis away while the socket waits for its next push, or while it joins
      its groups) closes the socket as a server error (1011), or refuses it before its
      handshake, after the same clean-up as a normal close: its groups are left and no
      longer renewed, it is no longer counted. Channels would let the exception end the
      application without `disconnect`, leaving the socket's renewals running for ever.
    - Ending the socket waits a moment at most for its cancelled receive from the channel
      layer. Python 3.11's asyncio.wait_for can swallow a cancellation (fixed in 3.12), and
      redis-py sent every command under it while the layer had a socket timeout (see
      CHANNEL_LAYERS in the settings): such a receive went on polling Redis for ever while
      Channels awaited it, and a socket refused as Redis came back hung its handshake. Should
      another library swallow one, the receive is left to end on its own.
    """

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # Channels' AsyncConsumer.__call__, with the two differences above.
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = await self.channel_layer.new_channel()
        self.base_send = send
        try:
            await await_many_dispatch([receive, self._from_layer], self.dispatch)
        except StopConsumer:
            pass
        except OSError:  # ASGI servers raise it when a push meets a client that just left
            logger.info("Websocket %s: its client left during a send", self.scope.get("path"))
            await self._end_after_failure()
        except Exception:
            logger.warning(
                "Websocket %s failed; closed for its page to reconnect",
                self.scope.get("path"),
                exc_info=True,
            )
            await self._end_after_failure()

    async def _from_layer(self) -> dict[str, Any]:
        receiving = asyncio.ensure_future(self.channel_layer.receive(self.channel_name))
        try:
            return await asyncio.shield(receiving)
        except asyncio.CancelledError:
            receiving.cancel()
            # A cancelled receive ends at once, and must: channels_redis counts the receives
            # under way per event loop. Only one that ignores its cancellation is left.
            await asyncio.wait({receiving}, timeout=RECEIVE_END_SECONDS)
            receiving.add_done_callback(lambda done: done.cancelled() or done.exception())
            raise

    async def _end_after_failure(self) -> None:
        try:
            await self.disconnect(SERVER_ERROR)
        except Exception:  # its memberships expire by themselves (group_expiry)
            logger.warning("Websocket %s: clean-up failed", self.scope.get("path"), exc_info=True)
        with contextlib.suppress(Exception):  # the connection may already be gone
            await self.close(code=SERVER_ERROR)


@database_sync_to_async
def _staff_groups(user: User) -> list[str]:
    return realtime.staff_groups(user)


@database_sync_to_async
def _seen(user: User) -> None:
    User.objects.filter(pk=user.pk).update(last_seen_at=timezone.now())


@database_sync_to_async
def _can_access(user: User, conversation_id: int) -> bool:
    try:
        access_conversation(user, conversation_id)
    except Http404:
        return False
    return True


class InboxConsumer(SocketConsumer):
    """An agent's live inbox: every change in their scope; a ping keeps them present."""

    membership: GroupMembership | None = None
    recent: deque[str]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recent = deque(maxlen=128)

    @property
    def groups_joined(self) -> list[str]:
        return self.membership.groups if self.membership is not None else []

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_agent:
            await self.close(code=FORBIDDEN)
            return
        # Logging out, a new password, deactivation or new teams close this socket.
        self.membership = GroupMembership(self.channel_layer, self.channel_name)
        await self.membership.join(sessions_group(user.pk), *await _staff_groups(user))
        await self.accept()
        counters.socket_opened(self)
        await _seen(user)

    async def disconnect(self, code: int) -> None:
        counters.socket_closed(self)
        if self.membership is not None:
            await self.membership.leave_all()

    async def session_revoked(self, event: dict[str, Any]) -> None:
        await self.close(code=REVOKED)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await _seen(self.scope["user"])
            await self.send_json({"type": "pong"})

    async def conversation_changed(self, event: dict[str, Any]) -> None:
        # An agent in a conversation's team who is also its assignee hears the change
        # through both groups: say it once.
        if event["id"] in self.recent:
            return
        self.recent.append(event["id"])
        await self.send_json(
            {
                "type": "changed",
                "conversation": event["conversation"],
                "what": event["what"],
                "state": event["state"],
            }
        )

    async def call_changed(self, event: dict[str, Any]) -> None:
        """A call rings for this agent, was answered or ended: the screen-pop re-reads."""
        await self.send_json(
            {
                "type": "changed",
                "what": "call",
                "call": event["call"],
                "conversation": None,
                "state": None,
            }
        )

    async def presence_changed(self, event: dict[str, Any]) -> None:
        await self.send_json(
            {
                "type": "changed",
                "what": "presence",
                "agent": event["agent"],
                "availability": event["availability"],
                "conversation": None,
                "state": None,
            }
        )


ACTIVITIES = ("viewing", "typing", "left")


class ConversationConsumer(InboxConsumer):
    """One conversation's page: only its own changes, and only if the agent may see it;
    and who else has it open, so two agents do not answer the same customer."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        self.conversation_id = int(self.scope["url_route"]["kwargs"]["conversation_id"])
        if user is None or not user.is_authenticated or not user.is_agent:
            await self.close(code=FORBIDDEN)
            return
        if not await _can_access(user, self.conversation_id):
            await self.close(code=NOT_FOUND)
            return
        await super().connect()
        if self.membership is not None:
            await self.membership.join(realtime.watch_group(self.conversation_id))

    async def disconnect(self, code: int) -> None:
        try:
            if realtime.watch_group(self.conversation_id) in self.groups_joined:
                await self._tell_watchers("left")
        except Exception:  # its colleagues' pages forget it after a quiet minute anyway
            logger.warning("Could not tell the watchers of %s", self.conversation_id)
        finally:
            await super().disconnect(code)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "activity":
            if content.get("activity") in ACTIVITIES:
                await self._tell_watchers(content["activity"])
            return
        await super().receive_json(content, **kwargs)

    async def _tell_watchers(self, activity: str) -> None:
        user = self.scope["user"]
        await self.channel_layer.group_send(
            realtime.watch_group(self.conversation_id),
            {
                "type": "activity.changed",
                "agent": user.pk,
                "name": user.get_full_name() or user.get_username(),
                "activity": activity,
                "sender": self.channel_name,
            },
        )

    async def activity_changed(self, event: dict[str, Any]) -> None:
        if event["sender"] == self.channel_name:
            return  # one's own page
        await self.send_json(
            {
                "type": "activity",
                "conversation": self.conversation_id,
                "agent": event["agent"],
                "name": event["name"],
                "activity": event["activity"],
            }
        )

    async def conversation_changed(self, event: dict[str, Any]) -> None:
        if event["conversation"] == self.conversation_id:
            await super().conversation_changed(event)

    async def presence_changed(self, event: dict[str, Any]) -> None:
        return  # one conversation's page does not follow agents' availability
