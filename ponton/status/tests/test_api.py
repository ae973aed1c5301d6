"""The status endpoints: public reading, supervisors' writing, clear errors, OpenAPI."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ponton.accounts.models import User
from ponton.accounts.services import create_api_token
from ponton.status.models import Component, Incident

BODY = {"title": "Panne", "message": "On regarde.", "impact": "degraded", "components": []}


def bearer(user: User) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {create_api_token(user)}"}


@pytest.mark.parametrize("who", [None, "customer", "agent"])
def test_only_supervisors_declare_incidents(
    client: Client, fibre: Component, customer: User, agent: User, who: str | None
) -> None:
    auth = bearer({"customer": customer, "agent": agent}[who]) if who else {}
    response = client.post(
        "/api/v1/incidents",
        {**BODY, "components": [fibre.pk]},
        content_type="application/json",
        **auth,
    )
    assert response.status_code in (401, 403)
    assert not Incident.objects.exists()


def test_an_outsider_cannot_post_an_update(
    client: Client, declare: Any, fibre: Component, agent: User
) -> None:
    incident = declare(fibre)
    response = client.post(
        f"/api/v1/incidents/{incident.pk}/updates",
        {"status": "resolved", "message": "x"},
        content_type="application/json",
        **bearer(agent),
    )
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.resolved_at is None


def test_bad_input_gets_clear_errors(client: Client, fibre: Component, supervisor: User) -> None:
    auth = bearer(supervisor)
    unknown = client.post(
        "/api/v1/incidents",
        {**BODY, "components": ["Nowhere"]},
        content_type="application/json",
        **auth,
    )
    assert unknown.status_code == 400
    assert "Nowhere" in str(unknown.json()["errors"]["components"])
    bad_impact = client.post(
        "/api/v1/incidents",
        {**BODY, "impact": "apocalypse", "components": [fibre.pk]},
        content_type="application/json",
        **auth,
    )
    assert bad_impact.status_code == 400 and "impact" in bad_impact.json()["errors"]
    missing = client.post(
        "/api/v1/incidents/999/updates",
        {"status": "resolved", "message": "x"},
        content_type="application/json",
        **auth,
    )
    assert missing.status_code == 404


def test_a_component_is_named_by_id_slug_or_name_and_texts_by_language(
    client: Client, fibre: Component, app: Component, supervisor: User
) -> None:
    response = client.post(
        "/api/v1/incidents",
        {**BODY, "lang": "en", "title": "App down", "components": [fibre.pk, "customer-app"]},
        content_type="application/json",
        **bearer(supervisor),
    )
    assert response.status_code == 201
    incident = Incident.objects.get()
    assert set(incident.components.all()) == {fibre, app}
    assert (incident.title_en, incident.title_fr) == ("App down", "")
    assert incident.title("fr") == "App down"  # the other language stands in


def test_the_status_is_public_and_calm_without_incidents(client: Client, fibre: Component) -> None:
    body = client.get("/api/v1/status", {"lang": "en"}).json()
    assert body == {
        "status": "operational",
        "components": [{"id": fibre.pk, "name": "Fibre internet", "status": "operational"}],
        "incidents": [],
        "maintenance": [],
    }


def test_the_widget_notice_is_targeted_for_a_signed_in_customer(
    client: Client, declare: Any, bureau: Component, customer: User, other_customer: User
) -> None:
    declare(bureau)
    assert len(client.get("/api/v1/status/notice").json()["incidents"]) == 1
    client.force_login(customer)
    assert client.get("/api/v1/status/notice").json()["incidents"] == []
    client.force_login(other_customer)
    [item] = client.get("/api/v1/status/notice", {"lang": "en"}).json()["incidents"]
    assert item["title"] == "Fibre outage in Lyon"
    assert item["url"].endswith(f"#incident-{item['id']}")


def test_every_status_operation_is_in_the_openapi_document(client: Client, db: None) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/status"]
    assert "get" in paths["/api/v1/status/notice"]
    assert "post" in paths["/api/v1/incidents"]
    assert "post" in paths["/api/v1/incidents/{incident_id}/updates"]
