"""Typed readers for settings taken from the environment.

Each helper returns the default when the variable is absent or empty, and
raises ImproperlyConfigured with the variable's name when the value cannot be
read, so a typo in a deployment fails at start-up rather than at 3 a.m.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def envbool(name: str, default: bool) -> bool:
    raw = envstr(name).lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of {sorted(_TRUE | _FALSE)}, got {raw!r}")


def envint(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    raw = envstr(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, got {value}")
    return value


def envlist(name: str, default: list[str]) -> list[str]:
    raw = envstr(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def envemail(name: str, default: str) -> str:
    """An email address (lowercased), checked the way Django checks a form's."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    value = envstr(name, default).lower()
    try:
        validate_email(value)
    except ValidationError:
        raise ImproperlyConfigured(f"{name} must be an email address, got {value!r}") from None
    return value


def envorigins(name: str) -> list[str]:
    """Comma-separated web origins (`https://shop.example`, a port if not the default one),
    lowercased; a path, a wildcard or a missing scheme is refused, since browsers send the
    exact origin."""
    from urllib.parse import urlsplit

    origins = []
    for item in envlist(name, []):
        value = item.lower().rstrip("/")
        parts = urlsplit(value)
        try:
            parts.port  # noqa: B018  (raises on a port that is not a number)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {item!r} has an invalid port") from None
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or "*" in value
            or value != f"{parts.scheme}://{parts.netloc}"
        ):
            raise ImproperlyConfigured(
                f"{name} must list origins such as https://shop.example, got {item!r}"
            )
        origins.append(value)
    return origins
