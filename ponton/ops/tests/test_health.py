"""Liveness says the process answers; readiness says it can work, and why not."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

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
    expected = {"database": "ok", "migrations": "ok"}
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
    assert body["checks"] == {"database": "ok", "migrations": "ok", "redis": "unreachable"}
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
