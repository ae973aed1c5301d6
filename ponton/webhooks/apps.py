from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "ponton.webhooks"
    label = "webhooks"
    verbose_name = "Outbound webhooks"

    def ready(self) -> None:
        from ponton.webhooks import tasks  # noqa: F401  (registers the task handlers)
