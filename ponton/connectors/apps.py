from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "ponton.connectors"
    label = "connectors"
    verbose_name = "Channels and connectors"

    def ready(self) -> None:
        from ponton.connectors.email import tasks  # noqa: F401  (registers the task handlers)
        from ponton.connectors.voice import tasks as voice_tasks  # noqa: F401
