"""/metrics: Prometheus text, for the token or the allowed addresses only; requests by view,
messages and handoffs once committed, pushes that failed; the durable task queue, each
team's queue and the deliveries as the database holds them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from ponton.accounts.models import Team, User
from ponton.connectors.email.models import EmailRecord
from ponton.connectors.messaging.models import MessagingRecord
from ponton.connectors.webform.services import ContactRequest, request_contact
from ponton.conversations import outbox
from ponton.conversations.models import Conversation, ConversationChannel, Message, State
from ponton.journeys.models import JourneyEvent
from ponton.ops.tests.helpers import ponton
from ponton.tasks.models import Task, TaskStatus
from ponton.webhooks.models import WebhookDelivery, WebhookEndpoint

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


@time_machine.travel(NOW, tick=False)
def test_failed_and_retrying_tasks_are_counted_by_handler(client: Client) -> None:
    Task.objects.create(name="send_survey", run_after=NOW, status=TaskStatus.FAILED, attempts=5)
    Task.objects.create(name="send_survey", run_after=NOW, status=TaskStatus.FAILED, attempts=5)
    Task.objects.create(name="webhooks.deliver", run_after=NOW, attempts=2)
    Task.objects.create(name="webhooks.deliver", run_after=NOW)  # never failed
    Task.objects.create(name="send_survey", run_after=NOW, status=TaskStatus.DONE, attempts=3)

    samples = scrape(client)

    assert samples[("ponton_tasks_failed", (("name", "send_survey"),))] == 2
    assert ("ponton_tasks_failed", (("name", "webhooks.deliver"),)) not in samples
    assert samples[("ponton_tasks_retrying", (("name", "webhooks.deliver"),))] == 1
    assert ("ponton_tasks_retrying", (("name", "send_survey"),)) not in samples


def _waiting(team: Team | None, *, minutes: int, state: str = State.WAITING_HUMAN) -> None:
    Conversation.objects.create(
        channel=ConversationChannel.CHAT,
        state=state,
        team=team,
        handed_off_at=NOW - timedelta(minutes=minutes),
    )


@time_machine.travel(NOW, tick=False)
def test_each_teams_queue_shows_how_many_wait_for_a_person_and_since_when(
    client: Client, agent: User, other_team_agent: User
) -> None:
    front = Team.objects.get(slug="front")
    Team.objects.create(slug="empty", name="Nobody waits here")
    _waiting(front, minutes=12)
    _waiting(front, minutes=2)
    _waiting(front, minutes=40, state=State.WITH_HUMAN)  # a person has it
    _waiting(front, minutes=90, state=State.ASSISTANT)
    _waiting(None, minutes=5)

    samples = scrape(client)

    def team(slug: str) -> tuple[tuple[str, str], ...]:
        return (("team", slug),)

    assert samples[("ponton_queue_waiting", team("front"))] == 2
    assert samples[("ponton_queue_oldest_wait_seconds", team("front"))] == 12 * 60
    assert samples[("ponton_queue_waiting", team(""))] == 1
    assert samples[("ponton_queue_oldest_wait_seconds", team(""))] == 5 * 60
    for slug in ("business", "empty"):
        assert samples[("ponton_queue_waiting", team(slug))] == 0
        assert samples[("ponton_queue_oldest_wait_seconds", team(slug))] == 0


def test_deliveries_show_webhooks_by_status_and_messages_sent_by_channel(
    client: Client, customer: User
) -> None:
    endpoint = WebhookEndpoint.objects.create(
        url="https://crm.example.com/hooks", events=["conversation.created"], secret="s3cret"
    )
    for n, status in enumerate(["pending", "delivered", "delivered", "dead"]):
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            msg_id=f"msg_{n}",
            event="conversation.created",
            body="{}",
            status=status,
        )
    conversation = Conversation.objects.create(channel=ConversationChannel.WHATSAPP)

    def message() -> Message:
        return Message.objects.create(conversation=conversation, author="agent", text="Bonjour")

    for channel, direction, delivery in [
        ("whatsapp", "outbound", "read"),
        ("whatsapp", "outbound", "failed"),
        ("whatsapp", "inbound", "received"),
        ("sms", "outbound", "read"),
        ("sms", "outbound", "retrying"),
    ]:
        MessagingRecord.objects.create(
            message=message(), channel=channel, direction=direction, delivery=delivery
        )
    for n, (direction, delivery) in enumerate(
        [("out", "sent"), ("out", "bounced"), ("in", "received")]
    ):
        EmailRecord.objects.create(
            message=message(),
            direction=direction,
            delivery=delivery,
            internet_message_id=f"<{n}@example.com>",
        )

    samples = scrape(client)

    webhooks = {
        status: samples[("ponton_webhook_deliveries", (("status", status),))]
        for status in ("pending", "delivered", "dead")
    }
    assert webhooks == {"pending": 1, "delivered": 2, "dead": 1}
    outbound = {
        dict(labels)["channel"] + " " + dict(labels)["status"]: value
        for (name, labels), value in samples.items()
        if name == "ponton_outbound_messages"
    }
    assert outbound == {
        "whatsapp read": 1,
        "whatsapp failed": 1,
        "sms read": 1,
        "sms retrying": 1,
        "email sent": 1,
        "email bounced": 1,
    }


def test_a_push_the_channel_layer_refuses_is_counted_and_waits_in_the_outbox(
    client: Client, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},  # nothing listens on port 1
        }
    }
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        outbox.push([("supervisors", {"type": "conversation.changed", "id": "x"})])
    after = scrape(client)

    failures = ("ponton_push_failures_total", ())
    assert after[failures] - before.get(failures, 0) == 1
    assert after[("ponton_push_outbox", ())] == 1
