"""One place that says who may open which page, and who may administer through the API."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from ponton.accounts.models import ApiToken, Role, TokenScope

# Any view, including those whose response streams (a file download).
View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def _requires(allowed: Callable[[Any], bool], doc: str) -> Callable[[View], View]:
    """A decorator that sends anonymous visitors to sign in and refuses signed-in
    users for whom `allowed(user)` is false."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not allowed(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    decorator.__doc__ = doc
    return decorator


staff_required = _requires(
    lambda user: user.is_agent,
    "Agents, supervisors and admins only; others are sent to sign in or refused.",
)
supervisor_required = _requires(
    lambda user: user.is_supervisor,
    "Supervisors and admins only; others are sent to sign in or refused.",
)
customer_required = _requires(
    lambda user: user.is_customer,
    "Customers only (the customer space); others are sent to sign in or refused.",
)
signed_in_required = _requires(
    lambda user: True,
    "Anyone signed in; what they may see is decided by the object's access helper.",
)
staff_or_admin_required = _requires(
    lambda user: user.is_agent or user.is_staff,
    "Agents, supervisors, admins and Django staff (their own two-factor set-up).",
)


class AdminOperation(BasePermission):
    """Administration through the API: an admin, and, with a token, one granted the
    `admin` scope (an admin's everyday read/write token does not administer)."""

    message = "Admins only, with a token that has the 'admin' scope."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.role == Role.ADMIN):
            return False
        token = request.auth
        return not isinstance(token, ApiToken) or TokenScope.ADMIN in token.scopes
