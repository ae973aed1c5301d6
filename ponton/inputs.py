"""Text the database can store, and on pages text a person could have typed.

Everywhere: no NUL character, no lone UTF-16 surrogate. PostgreSQL refuses both
(SQLite takes them), so a search or a filter carrying one would fail on one
database and not on the other. Refusing them at the door, with 400, makes every
page and every API operation behave the same on both.

On pages (paths outside /api/), query strings and form posts also refuse the other
C0 control characters but tab, line feed and carriage return, and DEL: no keyboard
or browser form makes them, and kept they would reach agents' screens, logs and
exports (a terminal escape sequence, a form feed in a CSV). The JSON API keeps
taking them where its released document does (its patterns are a contract, and
the schema-based tests generate such characters in its query strings too).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import BadRequest, ValidationError
from django.core.validators import RegexValidator
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_NOT_TYPED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def is_storable(text: str) -> bool:
    return _UNSTORABLE.search(text) is None


def _all_acceptable(pairs: Iterable[tuple[str, list[str]]], refused: re.Pattern[str]) -> bool:
    return all(
        refused.search(key) is None and not any(refused.search(v) for v in values)
        for key, values in pairs
    )


class RefuseUnstorableInput:
    """Middleware: a query string or form field the database could not store, or on a
    page one with a control character, is a 400 (Django's handler400: the API's error
    shape under /api/, a page elsewhere)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = request.path.startswith("/api/")
        refused = _UNSTORABLE if api else _NOT_TYPED
        storable = _all_acceptable(request.GET.lists(), refused)
        # The API reads multipart bodies nowhere: it answers them 415 without parsing.
        api_multipart = api and request.content_type == _FORM_TYPES[1]
        if (
            storable
            and request.method == "POST"
            and request.content_type in _FORM_TYPES
            and not api_multipart
        ):
            try:
                storable = _all_acceptable(request.POST.lists(), refused)
            except MultiPartParserError as error:
                raise BadRequest(str(error)) from error
        if not storable:
            raise BadRequest(
                _("Text may not contain control characters, NUL characters or lone surrogates.")
            )
        return self.get_response(request)


# The largest id a BigAutoField holds: a larger one names nothing and cannot be queried.
MAX_ID = 2**63 - 1
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
AFTER_SCHEMA = {"type": "integer", "minimum": 0, "maximum": MAX_ID}


def id_or_none(value: str) -> int | None:
    """A query string's id (digits, within MAX_ID), or None when it is not one."""
    if not value.isascii() or not value.isdigit() or int(value) > MAX_ID:
        return None
    return int(value)


# White space as the API document's patterns read it: they are JavaScript regexes, whose
# `\s` does not name \x1c-\x1f nor \x85 (Python's does) but names U+FEFF.
DOCUMENT_SPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)


class _Visible(RegexValidator):
    r"""`\S` as the document says it (the pattern it shows) and means it (JavaScript's)."""

    def __init__(self) -> None:
        super().__init__(r"\S", message=gettext_lazy("Write at least one visible character."))

    def __call__(self, value: Any) -> None:
        if not str(value).strip(DOCUMENT_SPACE):
            raise ValidationError(self.message, code=self.code)


class _Text(serializers.CharField):
    """Trimmed of the document's white space only: what its pattern admits stays admitted."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(trim_whitespace=False, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        return str(super().to_internal_value(data)).strip(DOCUMENT_SPACE)


def text_field(*, max_length: int, **kwargs: Any) -> serializers.CharField:
    """A text the customer or agent writes: at least one visible character (the document
    says so with a pattern, as the service refuses a blank one)."""
    return _Text(max_length=max_length, validators=[_Visible()], **kwargs)


def _json_type_ok(field: serializers.Field, value: Any) -> bool:
    if value is None:
        return bool(getattr(field, "allow_null", False))
    if hasattr(field, "json_types"):  # a field that says which JSON types it takes
        return isinstance(value, field.json_types) and not isinstance(value, bool)
    if isinstance(field, serializers.BooleanField):
        return isinstance(value, bool)
    if isinstance(field, serializers.IntegerField):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(
        field, serializers.CharField | serializers.ChoiceField | serializers.DateTimeField
    ):
        return isinstance(value, str)
    if isinstance(field, serializers.ListField):
        return isinstance(value, list) and all(_json_type_ok(field.child, v) for v in value)
    if isinstance(field, serializers.Serializer | serializers.DictField):
        return isinstance(value, dict)
    return True


# A JSON body typed as the OpenAPI document says: 0 is not a string, "1" is not a
# number, 1 is not `true` (DRF's fields would coerce them). No docstring: drf-spectacular
# would copy it into every body's description.
class StrictSerializer(serializers.Serializer):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            wrong = {
                name: [gettext_lazy("Not the type the document gives.")]
                for name, field in self.fields.items()
                if name in data and not _json_type_ok(field, data[name])
            }
            if wrong:
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)
