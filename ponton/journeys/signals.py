from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from ponton.journeys.services import claim_visitor_events


@receiver(user_logged_in)
def _claim_anonymous_journey(sender: Any, request: HttpRequest | None, user: Any, **_: Any) -> None:
    # Only a visitor who consented has their anonymous browsing joined to their account;
    # without consent the visit's id stays anonymous (`ponton.journeys.consent`).
    if request is not None and getattr(request, "visitor_consented", False):
        claim_visitor_events(visitor_id=getattr(request, "visitor_id", ""), customer=user)
