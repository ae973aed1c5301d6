from django.apps import AppConfig

ENCODER_WEIGHT = 1.0
ASSISTANT_WEIGHT = 1.0


class AssistantConfig(AppConfig):
    name = "ponton.assistant"
    label = "assistant"
    verbose_name = "Assistant"

    def ready(self) -> None:
        from ponton.assistant import tasks  # noqa: F401  (registers the task handlers)
        from ponton.assistant.passages import AssistantReading, EncoderReading
        from ponton.knowledge import ranking

        # Search fuses the assistant's understanding with its full-text engine.
        ranking.register(EncoderReading(), weight=ENCODER_WEIGHT)
        ranking.register(AssistantReading(), weight=ASSISTANT_WEIGHT)
