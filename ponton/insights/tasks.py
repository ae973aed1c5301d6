"""Background work of insights."""

from __future__ import annotations

from ponton.insights import kpis
from ponton.tasks.services import register


@register("insights.rollup")
def roll_up() -> None:
    """Roll up the sessions that have settled since the last run."""
    kpis.roll_up()
