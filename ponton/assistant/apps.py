from django.apps import AppConfig


class AssistantConfig(AppConfig):
    name = "ponton.assistant"
    label = "assistant"
    verbose_name = "Assistant"

    def ready(self) -> None:
        from ponton.assistant import tasks  # noqa: F401  (registers the task handlers)
