from __future__ import annotations

from ponton.tasks.services import register
from ponton.webhooks import services


# One attempt per task: the delivery keeps its own retry schedule (RETRY_DELAYS), so the
# queue's generic retry would only send twice.
@register(services.TASK, attempts=1)
def deliver(delivery_id: int) -> None:
    services.deliver(delivery_id)
