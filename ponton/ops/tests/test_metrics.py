"""/metrics: Prometheus text, for the token or the allowed addresses only; requests by view,
messages and handoffs once committed, the durable task queue as the database holds it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from ponton.accounts.models import User
from ponton.connectors.webform.services import ContactRequest, request_contact
from ponton.journeys.models import JourneyEvent
from ponton.ops.tests.helpers import ponton
from ponton.tasks.models import Task, TaskStatus

pytestmark = pytest.mark.django_db

TOKEN = "a-long-random-metrics-token"
NOW = datetime(2030, 3, 5, 14, 0, tzinfo=UTC)


def scrape(client: Client, **extra: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_metrics_are_refused_to_an_outside_address_without_the_token(
    client: Client, settings: Any
) -> None:
    settings.PONTON_METRICS_TOKEN = TOKEN

    outside = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    through_our_proxy = client.get(
        "/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9"
    )
    wrong_token = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")

    for response in (outside, through_our_proxy, wrong_token):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert b"ponton_" not in response.content


def test_metrics_are_served_for_the_token_from_anywhere(client: Client, settings: Any) -> None:
    settings.PONTON_METRICS_TOKEN = TOKEN

    samples = scrape(client, REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert ("ponton_task_queue_due", ()) in samples


def test_no_token_configured_means_no_bearer_is_accepted(client: Client, settings: Any) -> None:
    settings.PONTON_METRICS_TOKEN = ""

    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer ")

    assert response.status_code == 401


def test_requests_are_counted_with_their_latency_by_view(client: Client) -> None:
    key = (("method", "GET"), ("status", "200"), ("view", "healthz"))
    before = scrape(client)
    client.get("/healthz")
    client.get("/healthz")
    after = scrape(client)

    assert (
        after[("ponton_http_requests_total", key)]
        - before.get(("ponton_http_requests_total", key), 0)
        == 2
    )
    timed = ("ponton_http_request_duration_seconds_count", (("method", "GET"), ("view", "healthz")))
    assert after[timed] - before.get(timed, 0) == 2


def test_messages_and_handoffs_are_counted_once_committed(
    client: Client, customer: User, django_capture_on_commit_callbacks: Any
) -> None:
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=False) as pending:
        request_contact(
            ContactRequest(text="Je veux parler à quelqu'un.", customer=customer, language="fr")
        )
        rolled_back = scrape(client)
    for callback in pending:
        callback()
    after = scrape(client)

    messages = ("ponton_messages_created_total", (("author", "customer"),))
    handoffs = ("ponton_handoffs_total", ())
    assert rolled_back.get(messages, 0) == before.get(messages, 0)
    assert after[messages] - before.get(messages, 0) == 1
    assert (
        after[handoffs] - before.get(handoffs, 0)
        == JourneyEvent.objects.filter(kind="handoff").count()
    )
    assert after[handoffs] - before.get(handoffs, 0) == 1


@time_machine.travel(NOW, tick=False)
def test_the_task_queue_shows_its_depth_and_how_late_it_runs(client: Client) -> None:
    for minutes_late in (3, 1):
        Task.objects.create(name="send_survey", run_after=NOW - timedelta(minutes=minutes_late))
    Task.objects.create(name="send_survey", run_after=NOW + timedelta(hours=1))
    Task.objects.create(name="send_survey", run_after=NOW, status=TaskStatus.FAILED)

    samples = scrape(client)

    assert samples[("ponton_tasks", (("status", "pending"),))] == 3
    assert samples[("ponton_tasks", (("status", "failed"),))] == 1
    assert samples[("ponton_tasks", (("status", "running"),))] == 0
    assert samples[("ponton_task_queue_due", ())] == 2
    assert samples[("ponton_task_queue_lag_seconds", ())] == 180


@pytest.mark.django_db(transaction=True)
def test_with_a_shared_folder_any_process_answers_with_the_counts_of_all(
    tmp_path: Path,
) -> None:
    from django.db import connection

    config = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{config['NAME']}"
    else:
        auth = config["USER"] + (f":{config['PASSWORD']}" if config["PASSWORD"] else "")
        url = f"postgres://{auth}@{config['HOST']}:{config['PORT'] or 5432}/{config['NAME']}"
    shared = tmp_path / "metrics"
    shared.mkdir()
    env = {
        "DATABASE_URL": url,
        "PROMETHEUS_MULTIPROC_DIR": str(shared),
        "PONTON_DATA_DIR": str(tmp_path),
    }
    requests = "from django.test import Client; c = Client(); c.get('/healthz'); c.get('/healthz')"
    scrape = requests + "; print(c.get('/metrics').content.decode())"

    first = ponton("shell", "-c", requests, env=env)
    second = ponton("shell", "-c", scrape, env=env)

    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(second.stdout.split("\n", 1)[1])
        for sample in family.samples
    }
    key = (("method", "GET"), ("status", "200"), ("view", "healthz"))
    assert samples[("ponton_http_requests_total", key)] == 4
