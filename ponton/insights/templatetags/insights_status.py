"""What other apps' pages show of insights, without importing insights (apps import one way)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from ponton.insights.progress import rollup_lag

register = template.Library()


@register.inclusion_tag("insights/_rollup_lag.html")
def rollup_status(now: datetime) -> dict[str, Any]:
    """How far behind the insights' rollup is (the supervision page)."""
    return {"rollup": rollup_lag(now), "now": now}
