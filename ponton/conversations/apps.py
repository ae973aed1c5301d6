from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "ponton.conversations"
    label = "conversations"
    verbose_name = "Conversations"

    def ready(self) -> None:
        from ponton.conversations import idempotency, outbox, tasks  # noqa: F401  (task handlers)
