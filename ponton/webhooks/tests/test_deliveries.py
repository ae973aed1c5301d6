"""Deliveries as a receiver sees them: signed the Standard Webhooks way (verified by its
library), retried under the same webhook-id, dead-lettered after about a day, replayed;
never to a private address without the development flag, never through a redirect."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError

from ponton.accounts.models import User
from ponton.tasks.models import Task, TaskStatus
from ponton.tasks.services import run_due
from ponton.webhooks import network, services
from ponton.webhooks.models import DeliveryStatus, Event, WebhookDelivery, WebhookEndpoint
from ponton.webhooks.tests.conftest import Receiver, payload_of

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # a Monday morning; any time would do


def _endpoint(receiver: Receiver, admin: User, events: list[str] | None = None) -> WebhookEndpoint:
    endpoint = services.create_endpoint(
        url=receiver.url, events=events or list(Event.values), by=admin
    )
    receiver.secrets = [endpoint.secret]
    return endpoint


def _emit(capture: Callable[..., Any], event: str = "conversation.created", **data: Any) -> None:
    with capture(execute=True):
        services.emit(event, {"id": 7, **data})


def test_a_delivery_is_signed_the_standard_way_and_verified_by_the_receiver(
    receiver: Receiver, admin: User, allow_private: None, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint = _endpoint(receiver, admin)
    assert endpoint.secret.startswith("whsec_")
    with time_machine.travel(START):
        _emit(django_capture_on_commit_callbacks, "conversation.handed_off", state="waiting_human")
        assert run_due() == 1
    [got] = receiver.received
    assert got.verified
    assert got.headers["webhook-id"].startswith("msg_")
    assert got.headers["webhook-signature"].startswith("v1,")
    assert got.headers["content-type"] == "application/json"
    body = payload_of(got)
    assert body["type"] == "conversation.handed_off"
    assert body["data"] == {"id": 7, "state": "waiting_human"}
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.msg_id == got.headers["webhook-id"]
    assert delivery.last_status_code == 200


def test_an_endpoint_only_receives_the_events_it_subscribed_to(
    receiver: Receiver, admin: User, allow_private: None, django_capture_on_commit_callbacks: Any
) -> None:
    _endpoint(receiver, admin, events=["incident.opened"])
    _emit(django_capture_on_commit_callbacks, "conversation.created")
    _emit(django_capture_on_commit_callbacks, "incident.opened")
    assert list(WebhookDelivery.objects.values_list("event", flat=True)) == ["incident.opened"]


def test_nothing_is_sent_for_a_change_rolled_back(
    receiver: Receiver, admin: User, allow_private: None, django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import transaction

    _endpoint(receiver, admin)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.emit("conversation.created", {"id": 1})
        raise RuntimeError("the change fails")
    assert not WebhookDelivery.objects.exists()


def test_a_delivery_is_written_with_the_change_so_a_crash_after_the_commit_loses_none(
    receiver: Receiver, admin: User, allow_private: None, django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import transaction

    _endpoint(receiver, admin)
    # Nothing is run after the commit here, as when the process dies right after it.
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        services.emit("conversation.created", {"id": 1})
    delivery = WebhookDelivery.objects.get()
    assert Task.objects.filter(dedupe_key=f"webhook:{delivery.pk}").exists()
    assert run_due() == 1
    assert len(receiver.received) == 1


def test_a_failed_delivery_is_retried_within_a_minute_under_the_same_webhook_id(
    receiver: Receiver, admin: User, allow_private: None, django_capture_on_commit_callbacks: Any
) -> None:
    _endpoint(receiver, admin)
    receiver.answer(500, body=b"database down")
    with time_machine.travel(START):
        _emit(django_capture_on_commit_callbacks)
        run_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error == "HTTP 500 from the receiver."
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at - START < timedelta(minutes=1)
    with time_machine.travel(START + timedelta(seconds=3)):
        assert run_due() == 0  # not due yet
    with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1)):
        assert run_due() == 1
    first, second = receiver.received
    assert first.verified and second.verified
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert int(second.headers["webhook-timestamp"]) > int(first.headers["webhook-timestamp"])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)


def test_after_about_a_day_of_failures_the_delivery_is_a_dead_letter_and_can_be_replayed(
    receiver: Receiver, admin: User, allow_private: None, django_capture_on_commit_callbacks: Any
) -> None:
    _endpoint(receiver, admin)
    for _ in range(services.MAX_ATTEMPTS):
        receiver.answer(503)
    with time_machine.travel(START):
        _emit(django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    at = START
    while delivery.status == DeliveryStatus.PENDING:
        assert delivery.next_attempt_at is not None
        at = delivery.next_attempt_at + timedelta(seconds=1)
        with time_machine.travel(at):
            assert run_due() == 1
        delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DEAD
    assert delivery.attempts == services.MAX_ATTEMPTS == len(receiver.received)
    assert delivery.last_error == "HTTP 503 from the receiver."
    assert timedelta(hours=20) < at - START < timedelta(hours=30)  # about a day
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert all(r.verified for r in receiver.received)
    assert not Task.objects.filter(status=TaskStatus.PENDING).exists()

    later = at + timedelta(hours=3)
    with time_machine.travel(later):
        services.replay(delivery)
        run_due()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert receiver.received[-1].headers["webhook-id"] == delivery.msg_id
    assert receiver.received[-1].verified


def test_a_redirect_is_not_followed(
    receiver: Receiver, admin: User, allow_private: None, django_capture_on_commit_callbacks: Any
) -> None:
    _endpoint(receiver, admin)
    receiver.answer(302, headers={"Location": receiver.url + "/elsewhere"})
    with time_machine.travel(START):
        _emit(django_capture_on_commit_callbacks)
        run_due()
    assert [r.path for r in receiver.received] == ["/hooks"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert "redirects are not followed" in delivery.last_error


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:8000/hooks",
        "http://10.1.2.3/",
        "http://192.168.1.10/",
        "http://[::1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",
    ],
)
def test_private_loopback_and_metadata_addresses_are_refused_without_the_development_flag(
    url: str, admin: User
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.create_endpoint(url=url, events=["conversation.created"], by=admin)
    assert "not a public address" in refused.value.message_dict["url"][0]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url", ["ftp://example.com/", "https://user:pw@example.com/", "not a url", "https://"]
)
def test_a_url_that_is_not_a_webhook_address_is_refused(url: str, admin: User) -> None:
    with pytest.raises(ValidationError):
        services.create_endpoint(url=url, events=["conversation.created"], by=admin)


@pytest.mark.parametrize("address", ["127.0.0.1", "169.254.169.254"])
def test_an_address_that_turned_private_after_saving_is_refused_when_sending(
    address: str,
    receiver: Receiver,
    admin: User,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.PONTON_WEBHOOK_ALLOW_PRIVATE = True
    services.create_endpoint(
        url=receiver.url.replace("127.0.0.1", address), events=["conversation.created"], by=admin
    )
    settings.PONTON_WEBHOOK_ALLOW_PRIVATE = False
    with time_machine.travel(START):
        _emit(django_capture_on_commit_callbacks)
        run_due()
    assert receiver.received == []
    delivery = WebhookDelivery.objects.get()
    assert f"{address} is not a public address" in delivery.last_error
    assert delivery.status == DeliveryStatus.PENDING  # retried: it may be a passing DNS answer


def test_the_connection_goes_to_the_resolved_address_with_the_name_as_host(
    receiver: Receiver, admin: User, allow_private: None, django_capture_on_commit_callbacks: Any
) -> None:
    port = receiver.url.split(":")[2].split("/")[0]
    endpoint = services.create_endpoint(
        url=f"http://localhost:{port}/hooks", events=["conversation.created"], by=admin
    )
    receiver.secrets = [endpoint.secret]
    with time_machine.travel(START):
        _emit(django_capture_on_commit_callbacks)
        run_due()
    [got] = receiver.received
    assert got.verified
    assert got.headers["host"] == f"localhost:{port}"


class _OneNameResolver:
    """The socket module as the webhooks' network module sees it, with one extra DNS name:
    `hooks.invalid` (a name no real resolver answers) resolves to the receiver's 127.0.0.1.
    The HTTP client keeps the real resolver, so it can reach the receiver only through the
    address the delivery resolved and pinned."""

    def __getattr__(self, name: str) -> Any:
        return getattr(socket, name)

    def getaddrinfo(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        if host == "hooks.invalid":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return socket.getaddrinfo(host, port, *args, **kwargs)


def test_the_delivery_connects_to_the_address_it_checked_not_to_a_second_lookup(
    receiver: Receiver,
    admin: User,
    allow_private: None,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    monkeypatch.setattr(network, "socket", _OneNameResolver())
    port = receiver.url.split(":")[2].split("/")[0]
    endpoint = services.create_endpoint(
        url=f"http://hooks.invalid:{port}/hooks", events=["conversation.created"], by=admin
    )
    receiver.secrets = [endpoint.secret]
    with time_machine.travel(START):
        _emit(django_capture_on_commit_callbacks)
        run_due()
    [got] = receiver.received
    assert got.verified
    assert got.headers["host"] == f"hooks.invalid:{port}"
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED


def test_during_a_rotation_deliveries_verify_with_the_old_and_the_new_secret(
    receiver: Receiver, admin: User, allow_private: None, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint = _endpoint(receiver, admin)
    old = endpoint.secret
    with time_machine.travel(START):
        new = services.rotate_secret(endpoint, overlap=timedelta(hours=24))
    assert new != old and new.startswith("whsec_")
    for secrets, at, verified in [
        ([old], START + timedelta(hours=1), True),
        ([new], START + timedelta(hours=1), True),
        ([old], START + timedelta(hours=25), False),
        ([new], START + timedelta(hours=25), True),
    ]:
        receiver.secrets = secrets
        with time_machine.travel(at):
            _emit(django_capture_on_commit_callbacks)
            run_due()
        assert receiver.received[-1].verified is verified
    assert len(receiver.received[0].headers["webhook-signature"].split(" ")) == 2
    assert len(receiver.received[-1].headers["webhook-signature"].split(" ")) == 1


def test_a_test_delivery_reports_status_and_timing_but_never_the_receivers_answer(
    receiver: Receiver, admin: User, allow_private: None
) -> None:
    endpoint = _endpoint(receiver, admin)
    receiver.answer(418, body=b"internal stack trace with a password")
    with time_machine.travel(START):
        outcome = services.send_test(endpoint)
    assert (outcome.ok, outcome.status_code) == (False, 418)
    assert outcome.duration_ms >= 0
    assert "password" not in services.outcome_text(outcome)
    [got] = receiver.received
    assert got.verified and payload_of(got)["type"] == "webhook.test"
    assert not WebhookDelivery.objects.exists()


def test_a_disabled_endpoint_gets_nothing(
    receiver: Receiver, admin: User, allow_private: None, django_capture_on_commit_callbacks: Any
) -> None:
    endpoint = _endpoint(receiver, admin)
    services.update_endpoint(endpoint, active=False)
    _emit(django_capture_on_commit_callbacks)
    assert not WebhookDelivery.objects.exists()
