"""Liveness and readiness.

Live: the process answers (nothing else is looked at, so a database outage never
gets app processes restarted). Ready: it can do its work: the database answers,
every migration of this code is applied, and Redis answers when one is configured.

The durable task queue's lag is always reported; it makes an instance unready only when
PONTON_READY_MAX_TASK_LAG_SECONDS is above 0 (off by default). App processes do not run
tasks, so a stuck worker is the whole installation's trouble, not this instance's: with
the threshold set, every instance leaves the load balancer together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

from ponton.ops.metrics import task_queue_lag

CHECK_TIMEOUT_SECONDS = 2


@dataclass
class Readiness:
    checks: dict[str, str] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.reasons


def _database(result: Readiness) -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        result.checks["database"] = "unreachable"
        result.reasons.append(f"database unreachable: {type(exc).__name__}")
        return False
    result.checks["database"] = "ok"
    return True


def _migrations(result: Readiness) -> None:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
        result.checks["migrations"] = f"{len(plan)} not applied"
        result.reasons.append(f"{len(plan)} migrations not applied ({names}): run ponton migrate")
    else:
        result.checks["migrations"] = "ok"


def _redis(result: Readiness) -> None:
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
        socket_timeout=CHECK_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        result.checks["redis"] = "unreachable"
        result.reasons.append(f"redis unreachable: {type(exc).__name__}")
    else:
        result.checks["redis"] = "ok"
    finally:
        client.close()


def _task_lag(result: Readiness) -> None:
    lag = task_queue_lag()
    limit: int = settings.PONTON_READY_MAX_TASK_LAG_SECONDS
    result.checks["task_lag_seconds"] = str(round(lag))
    if limit and lag > limit:
        result.reasons.append(
            f"task queue {round(lag)} s late (limit {limit} s): is `ponton worker` running?"
        )


def readiness() -> Readiness:
    result = Readiness()
    if _database(result):
        _migrations(result)
        _task_lag(result)
    if settings.REDIS_URL:
        _redis(result)
    return result
