"""The visitor's choice about the journey cookie (CNIL guidelines on trackers).

With consent, a browser keeps a visitor id for a year and what it did before signing in
joins the customer's journey when they sign in. Without consent (undecided or refused),
it gets an anonymous *visit* id instead: it lives as long as one measured session (30
minutes after the last page), counts that session for the KPIs and is never joined to an
account. The choice itself is kept in a strictly necessary cookie, refusal as well as
acceptance, so the banner is not shown again on every page.
"""

from __future__ import annotations

import enum
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from ponton.journeys.services import SESSION_GAP

CONSENT_COOKIE = "ponton_consent"
VISITOR_COOKIE = "ponton_visitor"
VISIT_COOKIE = "ponton_visit"
# Thirteen months at most for the visitor id, and the choice asked again after six.
VISITOR_MAX_AGE = 365 * 24 * 3600
CHOICE_MAX_AGE = 182 * 24 * 3600
VISIT_MAX_AGE = int(SESSION_GAP.total_seconds())


class Choice(enum.StrEnum):
    ACCEPTED = "accepted"
    REFUSED = "refused"


def choice_of(request: HttpRequest) -> Choice | None:
    """What the visitor chose, or None while they have not answered."""
    try:
        return Choice(request.COOKIES.get(CONSENT_COOKIE, ""))
    except ValueError:
        return None


def valid_id(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _set(response: HttpResponse, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def remember_choice(response: HttpResponse, choice: Choice) -> None:
    """Keep the choice. Accepting starts a new visitor id: what was measured before,
    under the exemption, is never joined afterwards. Refusing forgets the visitor id."""
    _set(response, CONSENT_COOKIE, str(choice), CHOICE_MAX_AGE)
    if choice == Choice.ACCEPTED:
        _set(response, VISITOR_COOKIE, str(uuid.uuid4()), VISITOR_MAX_AGE)
        response.delete_cookie(VISIT_COOKIE, samesite="Lax")
    else:
        response.delete_cookie(VISITOR_COOKIE, samesite="Lax")


def keep_visitor(response: HttpResponse, visitor_id: str) -> None:
    _set(response, VISITOR_COOKIE, visitor_id, VISITOR_MAX_AGE)


def keep_visit(response: HttpResponse, visit_id: str) -> None:
    """Each page pushes the visit's end 30 minutes further: one visit, one session."""
    _set(response, VISIT_COOKIE, visit_id, VISIT_MAX_AGE)
