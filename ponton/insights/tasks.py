"""Background work of insights."""

from __future__ import annotations

from datetime import timedelta

from ponton.insights import kpis
from ponton.tasks.services import register


@register("insights.rollup", every=timedelta(minutes=15))
def roll_up() -> None:
    """Roll up the sessions that have settled since the last run."""
    kpis.roll_up()
