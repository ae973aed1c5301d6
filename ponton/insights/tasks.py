"""Background work of insights."""

from __future__ import annotations

from datetime import timedelta

from ponton.insights import dashboard, kpis
from ponton.tasks.services import register


@register("insights.rollup", every=timedelta(minutes=15))
def roll_up() -> None:
    """Roll up the sessions that have settled since the last run, then prepare the
    dashboard's slowest figures for its next reader."""
    kpis.roll_up()
    dashboard.warm()
