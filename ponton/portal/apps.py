from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "ponton.portal"
    label = "portal"
    verbose_name = "Customer portal"

    def ready(self) -> None:
        from ponton.portal import signin  # noqa: F401  (registers the sign-in link task)
