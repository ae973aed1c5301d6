"""The API reference page: the OpenAPI document read into what a person scans, served
by the help center itself (no renderer from a CDN, no JavaScript)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Field:
    name: str
    where: str
    type: str
    required: bool
    constraints: str
    description: str


@dataclass(frozen=True)
class Operation:
    id: str
    method: str
    path: str
    summary: str
    description: str
    security: list[str]
    parameters: list[Field]
    body_types: list[str]
    body: list[Field]
    body_rule: str
    responses: list[tuple[str, str, str]]  # status, content type, description
    examples: list[tuple[str, str]] = field(default_factory=list)


@cache
def document() -> dict[str, Any]:
    """The same document as /api/v1/openapi.json (it only changes with the code)."""
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _resolve(schema["allOf"][0], doc)
    return schema


def _type(schema: dict[str, Any], doc: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[1]
    schema = _resolve(schema, doc)
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"] if v not in ("", None))
    kind = str(schema.get("type", "object"))
    if kind == "array":
        return f"[{_type(schema.get('items', {}), doc)}]"
    return f"{kind} ({schema['format']})" if "format" in schema else kind


def _constraints(schema: dict[str, Any]) -> str:
    words = []
    for key, label in (
        ("minimum", "≥"),
        ("maximum", "≤"),
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minItems", "min items"),
        ("pattern", "pattern"),
        ("default", "default"),
    ):
        if key in schema:
            words.append(f"{label} {schema[key]}")
    if schema.get("nullable"):
        words.append("null")
    return ", ".join(words)


def _fields(schema: dict[str, Any], doc: dict[str, Any]) -> list[Field]:
    schema = _resolve(schema, doc)
    required = set(schema.get("required", []))
    return [
        Field(
            name=name,
            where="body",
            type=_type(prop, doc),
            required=name in required,
            constraints=_constraints(_resolve(prop, doc) if "$ref" not in prop else {}),
            description=str(_resolve(prop, doc).get("description", "")),
        )
        for name, prop in schema.get("properties", {}).items()
    ]


def operations() -> list[Operation]:
    doc = document()
    found = []
    for path, item in doc["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            body: dict[str, Any] = op.get("requestBody", {}).get("content", {})
            body_schema: dict[str, Any] = (
                next(iter(body.values())).get("schema", {}) if body else {}
            )
            one_of = _resolve(body_schema, doc).get("oneOf", []) if body_schema else []
            found.append(
                Operation(
                    id=op["operationId"],
                    method=method.upper(),
                    path=path,
                    summary=op.get("summary", ""),
                    description=op.get("description", ""),
                    security=[name for s in op.get("security", []) for name in s],
                    parameters=[
                        Field(
                            name=p["name"],
                            where=p["in"],
                            type=_type(p.get("schema", {}), doc),
                            required=bool(p.get("required")),
                            constraints=_constraints(p.get("schema", {})),
                            description=p.get("description", ""),
                        )
                        for p in op.get("parameters", [])
                    ],
                    body_types=list(body),
                    body=_fields(body_schema, doc) if body_schema else [],
                    body_rule=" / ".join(r["required"][0] for r in one_of),
                    responses=[
                        (code, ", ".join(r.get("content", {})), r.get("description", ""))
                        for code, r in op["responses"].items()
                    ],
                    examples=[
                        (name, _example_text(example.get("value")))
                        for content in body.values()
                        for name, example in content.get("examples", {}).items()
                    ],
                )
            )
    return found


def _example_text(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, indent=2)


def version() -> str:
    return str(document()["info"]["version"])
