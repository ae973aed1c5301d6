from django.urls import path

from ponton.conversations import inbox

app_name = "inbox"

urlpatterns = [
    path("", inbox.inbox, name="inbox"),
    path("availability", inbox.set_availability, name="availability"),
    path("c/<int:conversation_id>/", inbox.conversation_view, name="conversation"),
    path("c/<int:conversation_id>/reply", inbox.reply, name="reply"),
    path("c/<int:conversation_id>/assign", inbox.assign, name="assign"),
    path("c/<int:conversation_id>/status", inbox.set_status, name="status"),
    path("c/<int:conversation_id>/hand-back", inbox.hand_back, name="hand_back"),
    path("c/<int:conversation_id>/merge", inbox.merge, name="merge"),
]
