from __future__ import annotations

from django.apps import AppConfig


class OpsConfig(AppConfig):
    """What operators run Ponton with: health and readiness, metrics, logs, backups."""

    name = "ponton.ops"
    label = "ops"

    def ready(self) -> None:
        from ponton.ops import metrics

        metrics.connect_signals()
