"""How far behind the session rollup is, for the people who watch the service.

The KPIs stay exact when the rollup lags (the sessions after its watermark are
computed from the journey log), but they answer more slowly, and a rollup that
fails every run would otherwise go unseen: the supervision page shows the lag.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ponton.insights.models import RollupState

# The rollup runs every 15 minutes and stops 30 minutes before now (sessions
# still open wait): about 45 minutes behind is normal, hours are not.
LAG_WARNING = timedelta(hours=2)


@dataclass(frozen=True)
class RollupLag:
    rolled_until: datetime | None
    last_progress: datetime | None
    now: datetime

    @property
    def lag(self) -> timedelta | None:
        if self.rolled_until is None:
            return None
        return max(timedelta(0), self.now - self.rolled_until)

    @property
    def behind(self) -> bool:
        return self.lag is not None and self.lag > LAG_WARNING


def rollup_lag(now: datetime) -> RollupLag:
    """How far behind `now` the rolled-up sessions end (one query)."""
    state = RollupState.objects.filter(name="sessions").only("rolled_until", "updated_at").first()
    return RollupLag(
        rolled_until=state.rolled_until if state else None,
        last_progress=state.updated_at if state else None,
        now=now,
    )
