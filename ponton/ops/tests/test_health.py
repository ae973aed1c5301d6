"""Liveness says the process answers; readiness says it can work, and why not."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from ponton.tasks.models import Task

NOW = datetime(2030, 3, 5, 14, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def test_liveness_answers_without_touching_the_database(
    client: Client, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readiness_is_ready_with_the_database_migrated(client: Client, settings: Any) -> None:
    settings.REDIS_URL = os.environ.get("REDIS_URL", "")

    response = client.get("/readyz")

    assert response.status_code == 200
    expected = {"database": "ok", "migrations": "ok", "task_lag_seconds": "0"}
    if settings.REDIS_URL:
        expected["redis"] = "ok"
    assert response.json() == {"status": "ready", "checks": expected}


def test_readiness_is_unavailable_with_the_reason_when_redis_cannot_be_reached(
    client: Client, settings: Any
) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "task_lag_seconds": "0",
        "redis": "unreachable",
    }
    assert body["reasons"] == ["redis unreachable: ConnectionError"]


def test_readiness_is_unavailable_while_a_migration_is_not_applied(
    client: Client, settings: Any
) -> None:
    settings.REDIS_URL = ""
    app, name = sorted(MigrationExecutor(connection).loader.graph.leaf_nodes())[0]
    MigrationRecorder(connection).record_unapplied(app, name)

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["migrations"] == "1 not applied"
    assert body["reasons"] == [f"1 migrations not applied ({app}.{name}): run ponton migrate"]


def test_probes_take_only_get_and_head(client: Client) -> None:
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405
    assert client.head("/healthz").status_code == 200


@time_machine.travel(NOW, tick=False)
def test_a_late_task_queue_is_reported_and_unready_only_past_the_configured_limit(
    client: Client, settings: Any
) -> None:
    settings.REDIS_URL = ""
    Task.objects.create(name="send_survey", run_after=NOW - timedelta(minutes=10))
    Task.objects.create(name="send_survey", run_after=NOW + timedelta(minutes=30))  # not due

    settings.PONTON_READY_MAX_TASK_LAG_SECONDS = 0  # the default: reported, never unready
    off = client.get("/readyz")
    settings.PONTON_READY_MAX_TASK_LAG_SECONDS = 900
    within = client.get("/readyz")
    settings.PONTON_READY_MAX_TASK_LAG_SECONDS = 300
    past = client.get("/readyz")

    assert off.status_code == within.status_code == 200
    assert off.json()["checks"]["task_lag_seconds"] == "600"
    assert past.status_code == 503
    assert past["Retry-After"] == "5"
    body = past.json()
    assert body["checks"]["task_lag_seconds"] == "600"
    assert body["reasons"] == ["task queue 600 s late (limit 300 s): is `ponton worker` running?"]
