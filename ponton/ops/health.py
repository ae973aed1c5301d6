"""Liveness and readiness.

Live: the process answers (nothing else is looked at, so a database outage never
gets app processes restarted). Ready: it can do its work: the database answers,
every migration of this code is applied, and Redis answers when one is configured.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

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


def readiness() -> Readiness:
    result = Readiness()
    if _database(result):
        _migrations(result)
    if settings.REDIS_URL:
        _redis(result)
    return result
