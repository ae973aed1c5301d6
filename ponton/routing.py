"""Websocket routes (HTTP routes are in urls.py)."""

from django.urls import path

from ponton.connectors.webchat.consumers import ChatConsumer
from ponton.conversations.consumers import ConversationConsumer, InboxConsumer

websocket_urlpatterns = [
    path("ws/inbox/", InboxConsumer.as_asgi()),
    path("ws/conversations/<int:conversation_id>/", ConversationConsumer.as_asgi()),
    path("ws/chat/<int:conversation_id>/", ChatConsumer.as_asgi()),
]
