from django.urls import path

from ponton.connectors.webchat.api import ChatMessagesView, ChatStartView

urlpatterns = [
    path("chat/conversations", ChatStartView.as_view(), name="chat-start"),
    path(
        "chat/conversations/<int:conversation_id>/messages",
        ChatMessagesView.as_view(),
        name="chat-messages",
    ),
]
