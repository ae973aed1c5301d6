"""A change that breaks a client fails unless the document's version says so: the
document of the last release is kept in ponton/api/openapi-v1.json."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

from ponton.api.compat import breaking_changes

RELEASED = Path(__file__).resolve().parent.parent / "openapi-v1.json"


@pytest.fixture
def released() -> dict[str, Any]:
    return json.loads(RELEASED.read_text())  # type: ignore[no-any-return]


@pytest.fixture
def current(db: None) -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-any-return]


def test_the_api_breaks_no_client_of_the_released_document_unless_its_version_says_so(
    released: dict[str, Any], current: dict[str, Any]
) -> None:
    if current["info"]["version"] != released["info"]["version"]:
        return  # a new version: its clients are told (and the file is refreshed at release)
    problems = breaking_changes(released, current)
    assert not problems, (
        "These changes break clients of API version "
        f"{released['info']['version']}: {problems}. Keep the old shape, or raise "
        'SPECTACULAR_SETTINGS["VERSION"] and refresh ponton/api/openapi-v1.json.'
    )


def _schema(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return doc["components"]["schemas"][name]  # type: ignore[no-any-return]


def test_a_removed_response_field_is_breaking(released: dict[str, Any]) -> None:
    new = copy.deepcopy(released)
    del _schema(new, "Conversation")["properties"]["token"]
    assert any("token: removed" in p for p in breaking_changes(released, new))


def test_a_narrowed_type_is_breaking(released: dict[str, Any]) -> None:
    new = copy.deepcopy(released)
    _schema(new, "ChatPostRequest")["properties"]["text"]["maxLength"] = 100
    _schema(new, "ConversationSummary")["properties"]["priority"]["type"] = "string"
    problems = breaking_changes(released, new)
    assert any("text: maxLength narrowed to 100" in p for p in problems)
    assert any("priority: type integer became string" in p for p in problems)


def test_a_new_required_input_or_a_removed_operation_is_breaking(released: dict[str, Any]) -> None:
    new = copy.deepcopy(released)
    _schema(new, "StartRequest")["required"].append("lang")
    del new["paths"]["/api/v1/status"]
    problems = breaking_changes(released, new)
    assert any("requires lang" in p for p in problems)
    assert "GET /api/v1/status: removed" in problems


def test_added_operations_and_optional_fields_break_nothing(released: dict[str, Any]) -> None:
    new = copy.deepcopy(released)
    _schema(new, "StartRequest")["properties"]["channel_hint"] = {"type": "string"}
    _schema(new, "Conversation")["properties"]["created_at"] = {"type": "string"}
    new["paths"]["/api/v1/new-thing"] = {"get": {"responses": {"200": {}}}}
    assert breaking_changes(released, new) == []
