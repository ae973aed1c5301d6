"""The OpenAPI document tells every status an operation answers.

drf-spectacular documents the success; this schema class adds the refusals each
view can give, read from how the view is built (authentication, permissions, path
parameters, request body), all in the one error shape of `ponton.api.errors`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny

from ponton.inputs import MAX_ID


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in words.")
    code = serializers.CharField(
        help_text="A stable code: invalid, not_authenticated, authentication_failed, "
        "permission_denied, not_found, conflict, method_not_allowed, unsupported_media_type, "
        "throttled, …"
    )
    errors = serializers.DictField(  # type: ignore[assignment]  # the API name; shadows .errors
        child=serializers.ListField(child=serializers.CharField()),
        help_text="For `invalid`: the messages of each field (`non_field_errors` for the body "
        "as a whole); empty otherwise.",
    )


ERROR_DESCRIPTIONS = {
    "400": "The request is not valid (see `errors`), or carries text the database cannot "
    "store (a NUL character, a lone surrogate).",
    "401": "No valid credentials (`Authorization: Bearer TOKEN`).",
    "403": "The credentials do not allow this operation.",
    "404": "Nothing with this id, or nothing the caller may see.",
    "409": "The conversation's current state does not allow this.",
    "413": "The request body is too large.",
    "429": "Too many requests: wait for the time in `Retry-After`.",
}

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


# Bodies whose fields exclude one another: exactly one of them (the serializers'
# `validate` says so to the server, this to the document's readers).
EXACTLY_ONE_OF = {"ChatPostRequest": ["text", "action"]}


def postprocess(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]: rules across fields."""
    schemas = result.get("components", {}).get("schemas", {})
    for name, fields in EXACTLY_ONE_OF.items():
        if name in schemas:
            schemas[name]["oneOf"] = [{"required": [field]} for field in fields]
    return result


class PontonAutoSchema(AutoSchema):
    def _error_statuses(self) -> list[str]:
        view = self.view
        statuses = ["400"]
        authenticated = bool(view.get_authenticators())
        if authenticated:
            statuses.append("401")
        restricted = any(not isinstance(p, AllowAny) for p in view.get_permissions())
        # Session authentication refuses an unsafe method without its CSRF token.
        if (
            restricted
            or getattr(view, "signed", False)
            or (authenticated and self.method in UNSAFE)
        ):
            statuses.append("403")
        if "{" in self.path:
            statuses.append("404")
        if getattr(view, "conflicts", False) and self.method in UNSAFE:
            statuses.append("409")
        if self.method in UNSAFE:
            statuses.append("413")
        statuses.append("429")
        return statuses

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        for code in self._error_statuses():
            responses.setdefault(
                code,
                {
                    "description": ERROR_DESCRIPTIONS[code],
                    "content": {"application/json": {"schema": error}},
                },
            )
        return responses

    def _resolve_path_parameters(self, variables: Any) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            schema = parameter.get("schema", {})
            if schema.get("type") == "integer":
                schema.update(minimum=1, maximum=MAX_ID)
        return parameters
