from django.apps import AppConfig


class StatusConfig(AppConfig):
    name = "ponton.status"
    label = "status"
    verbose_name = "Status page and incidents"

    def ready(self) -> None:
        from ponton.status import tasks  # noqa: F401  (registers the task handlers)
