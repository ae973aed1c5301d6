"""`/api/v1/webhooks` for admins (DESIGN.md "Interfaces"), and nobody else."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ponton.accounts.models import TokenScope, User
from ponton.accounts.services import create_api_token
from ponton.webhooks import services
from ponton.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from ponton.webhooks.tests.conftest import Receiver

URL = "/api/v1/webhooks"


ADMINISTRATION = [TokenScope.READ, TokenScope.WRITE, TokenScope.ADMIN]


def _client(user: User, *, lang: str = "en", **token: Any) -> Client:
    token.setdefault("scopes", ADMINISTRATION)
    return Client(
        HTTP_AUTHORIZATION=f"Bearer {create_api_token(user, **token)}", HTTP_ACCEPT_LANGUAGE=lang
    )


def test_an_admin_registers_an_endpoint_and_gets_its_secret_once(
    receiver: Receiver, admin: User, allow_private: None
) -> None:
    api = _client(admin)
    created = api.post(
        URL,
        {"url": receiver.url, "events": ["conversation.created", "incident.opened"]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["conversation.created", "incident.opened"]
    endpoint = WebhookEndpoint.objects.get(pk=body["id"])
    assert endpoint.secret == body["secret"]
    listed = api.get(URL).json()["results"]
    assert [e["id"] for e in listed] == [body["id"]]
    assert "secret" not in listed[0]
    assert body["secret"] not in api.get(URL).content.decode()


@pytest.mark.parametrize("url", ["http://127.0.0.1/", "http://169.254.169.254/latest/meta-data/"])
def test_the_api_refuses_an_endpoint_on_a_private_address_without_the_development_flag(
    url: str, admin: User
) -> None:
    response = _client(admin).post(
        URL, {"url": url, "events": ["conversation.created"]}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "not a public address" in response.json()["errors"]["url"][0]
    assert not WebhookEndpoint.objects.exists()


def test_the_refusal_speaks_french_to_a_french_client(admin: User) -> None:
    response = _client(admin, lang="fr").post(
        URL,
        {"url": "http://169.254.169.254/", "events": ["incident.opened"]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "pas une adresse publique" in response.json()["errors"]["url"][0]


def test_an_unknown_event_is_refused(admin: User) -> None:
    response = _client(admin).post(
        URL,
        {"url": "https://example.com/hooks", "events": ["conversation.exploded"]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "events" in response.json()["errors"]


@pytest.mark.parametrize("persona", ["customer", "agent", "supervisor"])
def test_only_admins_may_see_or_register_endpoints(
    persona: str, request: pytest.FixtureRequest, admin: User, settings: Any
) -> None:
    settings.PONTON_WEBHOOK_ALLOW_PRIVATE = True
    services.create_endpoint(url="http://127.0.0.1/x", events=["incident.opened"], by=admin)
    outsider = _client(request.getfixturevalue(persona))
    assert outsider.get(URL).status_code == 403
    body = {"url": "http://127.0.0.1/y", "events": ["incident.opened"]}
    assert outsider.post(URL, body, content_type="application/json").status_code == 403
    assert Client().get(URL).status_code == 401
    assert WebhookEndpoint.objects.count() == 1


def test_a_read_only_token_cannot_register_an_endpoint(admin: User) -> None:
    api = _client(admin, scopes=[TokenScope.READ, TokenScope.ADMIN])
    body = {"url": "https://example.com/hooks", "events": ["incident.opened"]}
    assert api.post(URL, body, content_type="application/json").status_code == 403
    assert api.get(URL).status_code == 200


def test_an_admins_everyday_token_without_the_admin_scope_does_not_administer(
    admin: User,
) -> None:
    api = _client(admin, scopes=[TokenScope.READ, TokenScope.WRITE])
    body = {"url": "https://example.com/hooks", "events": ["incident.opened"]}
    assert api.post(URL, body, content_type="application/json").status_code == 403
    assert api.get(URL).status_code == 403
    assert not WebhookEndpoint.objects.exists()


def test_an_admin_deletes_an_endpoint(admin: User, settings: Any) -> None:
    settings.PONTON_WEBHOOK_ALLOW_PRIVATE = True
    endpoint = services.create_endpoint(
        url="http://127.0.0.1/", events=["incident.opened"], by=admin
    )
    api = _client(admin)
    assert api.delete(f"{URL}/{endpoint.pk}").status_code == 204
    assert api.delete(f"{URL}/{endpoint.pk}").status_code == 404
    assert not WebhookEndpoint.objects.exists()


def test_a_test_delivery_through_the_api_shows_status_and_timing_not_the_answer(
    receiver: Receiver, admin: User, allow_private: None
) -> None:
    endpoint = services.create_endpoint(url=receiver.url, events=["incident.opened"], by=admin)
    receiver.secrets = [endpoint.secret]
    receiver.answer(500, body=b"Traceback: secret=hunter2")
    response = _client(admin).post(f"{URL}/{endpoint.pk}/test")
    assert response.status_code == 200
    body = response.json()
    assert (body["ok"], body["status_code"]) == (False, 500)
    assert isinstance(body["duration_ms"], int)
    assert "hunter2" not in response.content.decode()
    assert receiver.received[0].verified


def test_an_admin_rotates_a_secret_and_replays_a_dead_letter(
    receiver: Receiver, admin: User, allow_private: None
) -> None:
    endpoint = services.create_endpoint(url=receiver.url, events=["incident.opened"], by=admin)
    api = _client(admin)
    rotated = api.post(f"{URL}/{endpoint.pk}/rotate-secret").json()
    assert rotated["secret"] != endpoint.secret and rotated["previous_secret_until"]
    dead = WebhookDelivery.objects.create(
        endpoint=endpoint,
        msg_id="msg_dead",
        event="incident.opened",
        body="{}",
        status=DeliveryStatus.DEAD,
        attempts=8,
        last_error="HTTP 500 from the receiver.",
    )
    listed = api.get(f"{URL}/{endpoint.pk}/deliveries?status=dead").json()["results"]
    assert [(d["webhook_id"], d["last_error"]) for d in listed] == [
        ("msg_dead", "HTTP 500 from the receiver.")
    ]
    replayed = api.post(f"{URL}/{endpoint.pk}/deliveries/{dead.pk}/replay")
    assert replayed.status_code == 200
    assert (replayed.json()["status"], replayed.json()["attempts"]) == ("pending", 0)
    other = services.create_endpoint(url=receiver.url, events=["incident.opened"], by=admin)
    assert api.post(f"{URL}/{other.pk}/deliveries/{dead.pk}/replay").status_code == 404
