from django.apps import AppConfig


class StatusConfig(AppConfig):
    name = "ponton.status"
    label = "status"
    verbose_name = "Status page and incidents"

    def ready(self) -> None:
        from ponton.audit.configuration import watch
        from ponton.status import tasks  # noqa: F401  (registers the task handlers)
        from ponton.status.models import Component

        watch(Component)  # the status page's components: a setting change in the audit log
