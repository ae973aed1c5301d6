from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ponton.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from ponton.audit import receivers  # noqa: F401  (signal receivers)
