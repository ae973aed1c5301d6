"""One error shape for the whole API: `{"detail", "code", "errors"}`.

Every endpoint answers a refusal the same way, whether DRF, a service's Django
validation, the lifecycle's table of transitions or the URL resolver refused it,
so a generated client needs one error type."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ponton.conversations.lifecycle import InvalidTransition

API_PREFIX = "/api/"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The resource's current state does not allow this."
    default_code = "conflict"


def _messages(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _messages(value)]
    if isinstance(detail, list):
        return [m for value in detail for m in _messages(value)]
    return [str(detail)]


def _field_errors(detail: Any) -> dict[str, list[str]]:
    """Field name → messages; errors not tied to a field go under `non_field_errors`."""
    if isinstance(detail, dict):
        return {str(name): _messages(value) for name, value in detail.items()}
    return {"non_field_errors": _messages(detail)}


def error_body(
    *, detail: str, code: str, errors: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    return {"detail": detail, "code": code, "errors": errors or {}}


def _is_conflict(exc: BaseException | None) -> bool:
    """The lifecycle's refused transitions, and any validation error coded `conflict`."""
    if isinstance(exc, InvalidTransition):
        return True
    if isinstance(exc, DjangoValidationError):
        errors = (
            [e for es in exc.error_dict.values() for e in es]
            if hasattr(exc, "error_dict")
            else exc.error_list
        )
        return any(e.code == "conflict" for e in errors)
    return False


def _translate(exc: Exception) -> Exception:
    """Django's own refusals, raised by services, as the API's exceptions."""
    for candidate in (exc, exc.__cause__, exc.__context__):
        if _is_conflict(candidate):
            assert isinstance(candidate, DjangoValidationError)
            return Conflict(" ".join(candidate.messages))
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    if isinstance(exc, OverflowError):
        # An id larger than any the database can hold: nothing has it.
        return exceptions.NotFound()
    return exc


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: DRF's handling, reshaped."""
    response = drf_exception_handler(_translate(exc), context)
    if response is None:
        return None
    detail = response.data
    if isinstance(_translate(exc), exceptions.ValidationError):
        errors = _field_errors(detail)
        response.data = error_body(
            detail=_("The request is not valid: see `errors`."), code="invalid", errors=errors
        )
        return response
    message = detail.get("detail", "") if isinstance(detail, dict) else " ".join(_messages(detail))
    code = getattr(message, "code", None) or "error"
    response.data = error_body(detail=str(message), code=str(code))
    return response


def api_error(request: HttpRequest, *, status_code: int, detail: str, code: str) -> JsonResponse:
    return JsonResponse(error_body(detail=detail, code=code), status=status_code)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: the API's shape under /api/, the help center's page elsewhere."""
    if request.path.startswith(API_PREFIX):
        return api_error(request, status_code=404, detail=_("Not found."), code="not_found")
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400 (refused input, e.g. a NUL byte): the API's shape under /api/."""
    if request.path.startswith(API_PREFIX):
        return api_error(request, status_code=400, detail=str(exception), code="invalid")
    # Django's default renders without the request: the help center's frame needs it.
    return render(request, "400.html", status=400)
