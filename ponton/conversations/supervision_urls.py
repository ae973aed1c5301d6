from django.urls import path

from ponton.conversations import supervision

app_name = "supervision"

urlpatterns = [
    path("", supervision.board_view, name="board"),
]
