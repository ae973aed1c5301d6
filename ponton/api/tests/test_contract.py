"""The API keeps the contract its OpenAPI document states: one error shape, the statuses
it declares, JSON bodies typed as documented, and text the database cannot store (NUL,
lone surrogates) refused with 400 everywhere, pages included; pages also refuse the other
control characters, which the API's released document admits."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from ponton.accounts.models import User
from ponton.accounts.services import create_api_token
from ponton.conftest import KB, has_human_exit

CHAT = "/api/v1/chat/conversations"


def bearer(user: User) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {create_api_token(user)}"}


def assert_error_shape(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}
    assert body["code"] == code and body["detail"]
    return body


@pytest.fixture
def document(db: None) -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-any-return]


def test_every_refusal_has_the_one_error_shape(client: Client, customer: User, agent: User) -> None:
    invalid = client.post(CHAT, {"lang": "fr"}, content_type="application/json")
    assert "text" in assert_error_shape(invalid, 400, "invalid")["errors"]
    assert_error_shape(
        client.get("/api/v1/conversations", HTTP_AUTHORIZATION="Bearer nope"),
        401,
        "authentication_failed",
    )
    assert_error_shape(client.get("/api/v1/conversations"), 401, "not_authenticated")
    assert_error_shape(
        client.get("/api/v1/insights/kpis", **bearer(agent)), 403, "permission_denied"
    )
    assert_error_shape(
        client.get("/api/v1/conversations/999999", **bearer(agent)), 404, "not_found"
    )
    # Even a URL no route matches, and an id larger than any the database holds.
    assert_error_shape(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error_shape(
        client.get(f"/api/v1/conversations/{2**70}", **bearer(agent)), 404, "not_found"
    )


def test_an_update_to_a_resolved_incident_is_a_conflict(client: Client, supervisor: User) -> None:
    from ponton.status.models import Component

    Component.objects.create(slug="fibre", name_fr="Fibre", name_en="Fibre")
    auth = bearer(supervisor)
    body = {
        "title": "Panne",
        "message": "On regarde.",
        "impact": "degraded",
        "components": ["fibre"],
    }
    incident = client.post("/api/v1/incidents", body, content_type="application/json", **auth)
    assert incident.status_code == 201
    url = f"/api/v1/incidents/{incident.json()['id']}/updates"
    resolved = {"status": "resolved", "message": "Réparé."}
    assert client.post(url, resolved, content_type="application/json", **auth).status_code == 201
    again = client.post(url, resolved, content_type="application/json", **auth)
    assert_error_shape(again, 409, "conflict")


def test_the_chat_without_its_token_is_unauthenticated_and_with_a_wrong_one_not_found(
    client: Client, kb: KB
) -> None:
    chat = client.post(CHAT, {"text": "Bonjour"}, content_type="application/json").json()
    url = f"{CHAT}/{chat['id']}/messages"
    assert_error_shape(client.get(url), 401, "not_authenticated")
    assert_error_shape(client.get(url, headers={"X-Conversation-Token": "wrong"}), 404, "not_found")
    ok = client.get(url, {"after": 0}, headers={"X-Conversation-Token": chat["token"]})
    assert ok.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"text": "Bonjour", "client_msg_id": 0},  # a number where a string is documented
        {"text": 12},
        {"text": "   "},  # nothing visible
        {"text": "Bonjour", "client_msg_id": "a\x00b"},
        {"text": "Bonjour \ud800"},  # a lone surrogate
    ],
)
def test_the_chat_refuses_a_body_the_document_does_not_allow(
    client: Client, kb: KB, body: dict[str, Any]
) -> None:
    response = client.post(
        CHAT, json.dumps(body, ensure_ascii=True), content_type="application/json"
    )
    assert_error_shape(response, 400, "invalid")


@pytest.mark.parametrize(
    "content_type, data",
    [
        ("application/x-www-form-urlencoded", "text=Bonjour"),
        (
            "multipart/form-data; boundary=x",
            '--x\r\nContent-Disposition: form-data; name="text"\r\n\r\nBonjour\r\n--x--\r\n',
        ),
    ],
)
def test_the_api_takes_json_only(client: Client, kb: KB, content_type: str, data: str) -> None:
    response = client.post(CHAT, data, content_type=content_type)
    assert_error_shape(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/articles?q=box%00&lang=fr",
        "/api/v1/conversations?assignee=a%00b",
        "/api/v1/conversations?team=%00",
        "/api/v1/insights/kpis?segment=%00",
    ],
)
def test_a_nul_byte_in_a_query_is_refused_by_the_api(
    client: Client, supervisor: User, url: str
) -> None:
    assert_error_shape(client.get(url, **bearer(supervisor)), 400, "invalid")


def test_a_nul_byte_is_refused_by_the_help_center_search_and_the_staff_lists(
    client: Client, agent: User
) -> None:
    page = client.get("/fr/search?q=box%00")
    assert page.status_code == 400
    assert has_human_exit(page.content.decode(), "fr")
    client.force_login(agent)
    assert client.get("/fr/agent/search?q=a%00").status_code == 400
    assert client.get("/fr/agent/?queue=%00").status_code == 400
    assert client.post("/fr/agent/search", {"q": "a\x00"}).status_code == 400


@pytest.mark.parametrize("control", ["\x01", "\x1b", "\x08", "\x0c", "\x7f"])
def test_a_control_character_is_refused_by_the_help_center_search_and_the_contact_form(
    client: Client, customer: User, control: str
) -> None:
    page = client.get("/fr/search", {"q": f"box{control}[2J"})
    assert page.status_code == 400
    assert has_human_exit(page.content.decode(), "fr")
    assert client.post("/fr/contact/", {"text": f"Ma facture{control}"}).status_code == 400
    client.force_login(customer)
    form = urlencode({"text": "Bonjour", f"note{control}": "x"})  # in a field's name too
    sent = client.post("/fr/contact/", form, content_type="application/x-www-form-urlencoded")
    assert sent.status_code == 400


def test_tabs_and_line_breaks_stay_welcome_on_pages(client: Client, db: None) -> None:
    assert client.get("/fr/search", {"q": "box\tfibre"}).status_code == 200
    sent = client.post("/fr/contact/", {"text": "Ma facture\r\n\test fausse", "name": "Claire"})
    assert sent.status_code in (200, 302)


def test_the_api_keeps_taking_control_characters_its_document_admits(
    client: Client, supervisor: User
) -> None:
    response = client.get("/api/v1/conversations", {"team": "a\x01b"}, **bearer(supervisor))
    assert response.status_code == 200
    assert response.json() == {"results": []}


def test_the_document_declares_each_operations_refusals(document: dict[str, Any]) -> None:
    operations = {
        op["operationId"]: op for ops in document["paths"].values() for op in ops.values()
    }
    for op in operations.values():
        assert {"400", "429"} <= set(op["responses"]), op["operationId"]
        assert op["responses"]["400"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
    assert {"401", "403", "404", "409", "413"} <= set(
        operations["conversations_reply"]["responses"]
    )
    assert {"403", "404"} <= set(operations["voice_incoming"]["responses"]) | {"404"}
    assert "401" not in operations["voice_incoming"]["responses"]
    assert "401" not in operations["status"]["responses"]


def test_the_document_offers_json_bodies_and_form_only_to_the_telephony_webhooks(
    document: dict[str, Any],
) -> None:
    for path, ops in document["paths"].items():
        for op in ops.values():
            content = set(op.get("requestBody", {}).get("content", {}))
            if not content:
                continue
            expected = (
                {"application/x-www-form-urlencoded"}
                if op["operationId"]
                in {
                    "voice_incoming",
                    "voice_step",
                    "voice_status",
                    "voice_bridge",
                    "sms_incoming",
                    "sms_status",
                }
                else {"application/json"}
            )
            assert content == expected, path


# What an integrator needs (a CRM provisioning customers, a knowledge-base sync, callbacks,
# webhooks), as the document names it: operation id -> (method, path).
INTEGRATOR_OPERATIONS = {
    "customers_find": ("get", "/api/v1/customers"),
    "customers_create": ("post", "/api/v1/customers"),
    "customers_read": ("get", "/api/v1/customers/{customer_id}"),
    "customers_update": ("patch", "/api/v1/customers/{customer_id}"),
    "articles_search": ("get", "/api/v1/articles"),
    "kb_articles_create": ("post", "/api/v1/kb/articles"),
    "kb_articles_read": ("get", "/api/v1/kb/articles/{article_id}"),
    "kb_articles_update": ("patch", "/api/v1/kb/articles/{article_id}"),
    "kb_articles_publish": ("post", "/api/v1/kb/articles/{article_id}/publish"),
    "callbacks_list": ("get", "/api/v1/callbacks"),
    "callbacks_create": ("post", "/api/v1/callbacks"),
    "callbacks_slots": ("get", "/api/v1/callbacks/slots"),
    "webhooks_list": ("get", "/api/v1/webhooks"),
    "webhooks_create": ("post", "/api/v1/webhooks"),
    "webhooks_delete": ("delete", "/api/v1/webhooks/{endpoint_id}"),
    "webhooks_deliveries": ("get", "/api/v1/webhooks/{endpoint_id}/deliveries"),
    "webhooks_replay": (
        "post",
        "/api/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay",
    ),
    "webhooks_rotate_secret": ("post", "/api/v1/webhooks/{endpoint_id}/rotate-secret"),
    "webhooks_test": ("post", "/api/v1/webhooks/{endpoint_id}/test"),
}


def test_the_served_document_has_every_operation_an_integrator_needs(
    client: Client, db: None
) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for operation_id, (method, path) in INTEGRATOR_OPERATIONS.items():
        operation = paths.get(path, {}).get(method)
        assert operation is not None, f"{method.upper()} {path} is not in the document"
        assert operation["operationId"] == operation_id
        # Reachable with an API token, described for whoever reads the reference.
        assert {"bearerAuth": []} in operation["security"], operation_id
        assert operation.get("description") or operation.get("summary"), operation_id


def test_the_document_states_the_constraints_the_code_enforces(document: dict[str, Any]) -> None:
    chat_messages = document["paths"]["/api/v1/chat/conversations/{conversation_id}/messages"]
    after = next(p for p in chat_messages["get"]["parameters"] if p["name"] == "after")
    assert after["schema"]["minimum"] == 0
    conversation_id = next(p for p in chat_messages["get"]["parameters"] if p["in"] == "path")
    assert conversation_id["schema"]["minimum"] == 1
    post = document["components"]["schemas"]["ChatPostRequest"]
    assert post["oneOf"] == [{"required": ["text"]}, {"required": ["action"]}]
    assert post["properties"]["text"]["pattern"] == "\\S"


@pytest.mark.parametrize(
    "lang, heading, errors",
    [("fr", "Référence de l\u2019API", "Erreurs"), ("en", "API reference", "Errors")],
)
def test_the_reference_is_published_with_the_help_center_in_french_and_english(
    client: Client, db: None, lang: str, heading: str, errors: str
) -> None:
    response = client.get("/api/docs/", HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200
    html = response.content.decode()
    assert heading in html and errors in html
    assert has_human_exit(html, lang)
    assert client.get("/fr/", HTTP_ACCEPT_LANGUAGE=lang).content.count(b'href="/api/docs/"') == 1
    assert 'class="topbar"' in html and 'class="footer"' in html  # the product's own frame
    # Every operation of the document, with its refusals; nothing loaded from elsewhere.
    for path in ("/api/v1/chat/conversations", "/api/v1/voice/incoming", "/api/v1/incidents"):
        assert f"<code>POST {path}</code>" in html
    assert "application/x-www-form-urlencoded" in html
    assert "https://" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    assert '<script src="http' not in html
