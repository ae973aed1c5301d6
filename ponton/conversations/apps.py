from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "ponton.conversations"
    label = "conversations"
    verbose_name = "Conversations"
