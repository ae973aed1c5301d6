from django.urls import path

from ponton.workspace import views

app_name = "inbox"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("search", views.search, name="search"),
    path("bulk", views.bulk, name="bulk"),
    path("availability", views.set_availability, name="availability"),
    path("c/<int:conversation_id>/", views.conversation_view, name="conversation"),
    path("c/<int:conversation_id>/reply", views.reply, name="reply"),
    path("c/<int:conversation_id>/assign", views.assign, name="assign"),
    path("c/<int:conversation_id>/status", views.set_status, name="status"),
    path("c/<int:conversation_id>/hand-back", views.hand_back, name="hand_back"),
    path("c/<int:conversation_id>/merge", views.merge, name="merge"),
    path("c/<int:conversation_id>/tags", views.add_tag, name="add_tag"),
    path("c/<int:conversation_id>/tags/<slug:slug>/remove", views.remove_tag, name="remove_tag"),
]
