"""The admin pages: register an endpoint (refused on a private address), test it, rotate its
secret, replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from django.test import Client

from ponton.accounts.models import User
from ponton.webhooks import services
from ponton.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from ponton.webhooks.tests.conftest import Receiver

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # any time would do


def _signed_in(user: User) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_an_admin_registers_an_endpoint_in_the_admin_and_sees_its_secret(
    receiver: Receiver, admin: User, allow_private: None
) -> None:
    page = _signed_in(admin)
    assert page.get("/admin/webhooks/webhookendpoint/add/").status_code == 200
    response = page.post(
        "/admin/webhooks/webhookendpoint/add/",
        {
            "url": receiver.url,
            "events": ["conversation.created"],
            "description": "CRM",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.startswith("whsec_") and endpoint.created_by == admin
    change = page.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/")
    assert endpoint.secret in change.content.decode()


def test_the_admin_refuses_a_metadata_address(admin: User) -> None:
    response = _signed_in(admin).post(
        "/admin/webhooks/webhookendpoint/add/",
        {"url": "http://169.254.169.254/", "events": ["conversation.created"], "active": "on"},
    )
    assert response.status_code == 200
    assert "not a public address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_admins_test_button_reports_status_and_timing_not_the_answer(
    receiver: Receiver, admin: User, allow_private: None
) -> None:
    endpoint = services.create_endpoint(url=receiver.url, events=["incident.opened"], by=admin)
    receiver.answer(200, body=b"body-of-the-receiver")
    response = _signed_in(admin).post(
        "/admin/webhooks/webhookendpoint/",
        {"action": "send_test", "_selected_action": [endpoint.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert "HTTP 200" in text and " ms" in text
    assert "body-of-the-receiver" not in text


def test_the_admin_shows_dead_letters_with_their_last_error_and_replays_them(
    admin: User, settings: Any
) -> None:
    settings.PONTON_WEBHOOK_ALLOW_PRIVATE = True
    endpoint = services.create_endpoint(
        url="http://127.0.0.1/", events=["incident.opened"], by=admin
    )
    dead = WebhookDelivery.objects.create(
        endpoint=endpoint,
        msg_id="msg_x",
        event="incident.opened",
        body="{}",
        status=DeliveryStatus.DEAD,
        last_error="HTTP 502 from the receiver.",
    )
    page = _signed_in(admin)
    listing = page.get("/admin/webhooks/webhookdelivery/?status=dead").content.decode()
    assert "HTTP 502 from the receiver." in listing
    page.post(
        "/admin/webhooks/webhookdelivery/",
        {"action": "replay", "_selected_action": [dead.pk]},
    )
    dead.refresh_from_db()
    assert dead.status == DeliveryStatus.PENDING


def test_an_admin_rotates_a_secret_from_the_list_and_the_old_one_still_signs_for_a_day(
    admin: User, agent: User, allow_private: None
) -> None:
    endpoint = services.create_endpoint(
        url="http://127.0.0.1/", events=["incident.opened"], by=admin
    )
    old = endpoint.secret
    rotate = {"action": "rotate_secret", "_selected_action": [endpoint.pk]}
    _signed_in(agent).post("/admin/webhooks/webhookendpoint/", rotate)
    endpoint.refresh_from_db()
    assert (endpoint.secret, endpoint.previous_secret) == (old, "")  # not an agent's to do

    page = _signed_in(admin)
    with time_machine.travel(NOW, tick=False):
        response = page.post("/admin/webhooks/webhookendpoint/", rotate, follow=True)
    assert "New secrets made: open each endpoint to copy its new secret." in (
        response.content.decode()
    )
    endpoint.refresh_from_db()
    assert endpoint.secret.startswith("whsec_") and endpoint.secret != old
    assert endpoint.previous_secret == old
    assert endpoint.previous_secret_until == NOW + timedelta(hours=24)
    assert services.signing_secrets(endpoint, NOW + timedelta(hours=23)) == [endpoint.secret, old]
    assert services.signing_secrets(endpoint, NOW + timedelta(hours=25)) == [endpoint.secret]
    change = page.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/")
    assert endpoint.secret in change.content.decode()


def test_agents_cannot_open_the_webhooks_admin(agent: User) -> None:
    response = _signed_in(agent).get("/admin/webhooks/webhookendpoint/")
    assert response.status_code == 302  # to the admin's sign-in page
