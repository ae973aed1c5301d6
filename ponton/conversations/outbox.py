"""The transactional outbox of realtime pushes.

`push(sends)` writes the push in the transaction of the change it announces and
publishes it after commit, failing soft (a push waits `PUSH_TIMEOUT_SECONDS` for
Redis at most). A published push is deleted; one left behind (Redis was down, or
the process died between the commit and the publish) is published again by
`sweep`, a periodic durable task. A push may so arrive twice, never zero times:
each event carries an id, and sockets forward an id once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from ponton import counters
from ponton.conversations.models import OutboxPush
from ponton.tasks.services import register

logger = logging.getLogger(__name__)

Sends = list[tuple[str, dict[str, Any]]]

# A push waits this long for the channel layer (Redis) at most: past it, pages still catch up
# on their next read or reconnection, and the request that committed is not held up.
PUSH_TIMEOUT_SECONDS = 2.0
# A push younger than this may still be on its way from the process that committed it.
SWEEP_GRACE = timedelta(seconds=5)
SWEEP_BATCH = 200


def push(sends: Sends) -> None:
    """Store `sends` with the current transaction, publish them after its commit."""
    if not sends:
        return
    row = OutboxPush.objects.create(sends=[[group, event] for group, event in sends])
    transaction.on_commit(lambda: _publish_and_forget(row.pk, sends))


def _publish_and_forget(pk: int, sends: Sends) -> None:
    if not send(sends):
        return  # the row stays: the sweep publishes it when Redis is back
    try:
        _forget(pk)
    except DatabaseError:
        # Published, but still in the outbox: the sweep sends it again, pages say it once.
        logger.warning("Published push #%s could not be removed from the outbox", pk)


def _forget(pk: int) -> None:
    """Delete one published push in a single statement. This runs after every change, on the
    hot path of every message: QuerySet.delete() would wrap the same DELETE in a transaction
    of its own, two more round trips to the database for one row that nothing references."""
    table = connection.ops.quote_name(OutboxPush._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [pk])


def send(sends: Sends) -> bool:
    """Publish now, failing soft; True when the channel layer took every send. What changed
    is stored, and pages re-read from their last id when their socket resyncs, so a push lost
    while Redis stumbles delays an update but never turns a saved change into an error."""
    layer = get_channel_layer()
    if layer is None:
        return True
    try:
        async_to_sync(_send_all)(layer, sends)
    except Exception:
        counters.PUSH_FAILURES.inc()
        logger.warning(
            "Push of %s change(s) failed; it stays in the outbox", len(sends), exc_info=True
        )
        return False
    return True


async def _send_all(layer: Any, sends: Sends) -> None:
    # Concurrently: the request that committed waits for these round trips to Redis.
    await asyncio.wait_for(
        asyncio.gather(*(layer.group_send(group, event) for group, event in sends)),
        PUSH_TIMEOUT_SECONDS,
    )


def sweep(*, now: datetime | None = None) -> int:
    """Publish the pushes older than `SWEEP_GRACE` still in the outbox; returns how many
    were published. Several workers may sweep at once: each takes rows the others have not
    locked."""
    cutoff = (now or timezone.now()) - SWEEP_GRACE
    published = 0
    with transaction.atomic():
        rows = list(
            OutboxPush.objects.select_for_update(skip_locked=True)
            .filter(created_at__lte=cutoff)
            .order_by("id")[:SWEEP_BATCH]
        )
        done = []
        for row in rows:
            if not send([(group, event) for group, event in row.sends]):
                break  # Redis is still away: the next sweep tries again
            done.append(row.pk)
        published = len(done)
        OutboxPush.objects.filter(pk__in=done).delete()
    if published:
        logger.info("Outbox sweep published %s push(es) left behind", published)
    return published


@register("conversations.sweep_outbox", every=timedelta(seconds=10))
def sweep_outbox() -> None:
    sweep()
