from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "ponton.privacy"
    label = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        from ponton.privacy import retention  # noqa: F401  (registers the purge task)
