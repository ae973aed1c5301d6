from django.apps import AppConfig


class JourneysConfig(AppConfig):
    name = "ponton.journeys"
    label = "journeys"
    verbose_name = "Journeys"

    def ready(self) -> None:
        from ponton.journeys import signals  # noqa: F401
