from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "ponton.conversations"
    label = "conversations"
    verbose_name = "Conversations"

    def ready(self) -> None:
        from ponton.audit.configuration import watch
        from ponton.conversations import idempotency, outbox, tasks  # noqa: F401  (task handlers)
        from ponton.conversations.models import (
            BusinessCalendar,
            Holiday,
            RoutingRule,
            SavedReply,
            SlaPolicy,
        )

        # Setting changes in the audit log.
        for model in (RoutingRule, SlaPolicy, BusinessCalendar, Holiday, SavedReply):
            watch(model)
