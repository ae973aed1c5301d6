from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "ponton.webhooks"
    label = "webhooks"
    verbose_name = "Outbound webhooks"

    def ready(self) -> None:
        from urllib.parse import urlsplit

        from ponton.audit.configuration import watch
        from ponton.webhooks import tasks  # noqa: F401  (registers the task handlers)
        from ponton.webhooks.models import WebhookEndpoint

        # Setting changes in the audit log, named by host: an endpoint's path may be its
        # receiver's own secret (a chat tool's incoming-hook URL).
        watch(WebhookEndpoint, label=lambda endpoint: urlsplit(endpoint.url).hostname or "")
