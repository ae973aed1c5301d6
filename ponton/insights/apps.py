from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "ponton.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from ponton.insights import tasks  # noqa: F401  (registers the task handlers)
