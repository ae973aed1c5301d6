"""The customer's side of the chat in realtime: the widget sends its conversation
token as the first frame (never in the URL, where logs would keep it), then hears
"changed" whenever an agent answers, and re-reads from its last message id."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from django.http import Http404

from ponton import counters
from ponton.connectors.webchat.services import access_chat
from ponton.conversations.consumers import GroupMembership, SocketConsumer
from ponton.conversations.realtime import chat_group

NOT_FOUND = 4404


@database_sync_to_async
def _can_access(conversation_id: int, token: str) -> bool:
    try:
        access_chat(conversation_id, token)
    except Http404:
        return False
    return True


class ChatConsumer(SocketConsumer):
    group: str | None = None
    membership: GroupMembership | None = None

    async def connect(self) -> None:
        self.conversation_id = int(self.scope["url_route"]["kwargs"]["conversation_id"])
        await self.accept()
        counters.socket_opened(self)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.group is not None:
            return
        token = content.get("token") if isinstance(content, dict) else None
        if not isinstance(token, str) or not await _can_access(self.conversation_id, token):
            await self.close(code=NOT_FOUND)
            return
        self.group = chat_group(self.conversation_id)
        # Renewed while the socket lives, so it leaves the group even if its process dies.
        self.membership = GroupMembership(self.channel_layer, self.channel_name)
        await self.membership.join(self.group)
        await self.send_json({"type": "ready"})

    async def disconnect(self, code: int) -> None:
        counters.socket_closed(self)
        if self.membership is not None:
            await self.membership.leave_all()

    async def chat_changed(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "changed", "state": event["state"]})
