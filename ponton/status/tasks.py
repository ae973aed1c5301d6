"""Background work of the status page: the emails about an incident's update."""

from __future__ import annotations

from ponton.status import notices
from ponton.tasks.services import register


@register("status.send_notices", attempts=8)
def send_notices(update_id: int) -> None:
    notices.send_notices(update_id)
