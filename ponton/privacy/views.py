"""The visitor's choice about cookies: the page explaining what is kept, and the form
(banner or page) that records the choice. Plain forms, so they work without JavaScript."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ponton.journeys import consent


def cookies(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "privacy/cookies.html",
        {"choice": consent.choice_of(request), "consent_page": True},
    )


@require_POST
def choose(request: HttpRequest) -> HttpResponse:
    answer = request.POST.get("choice", "")
    if answer not in ("accept", "refuse"):
        return render(
            request,
            "privacy/cookies.html",
            {
                "choice": consent.choice_of(request),
                "consent_page": True,
                "error": _("Choose “Accept” or “Refuse”."),
            },
            status=400,
        )
    choice = consent.Choice.ACCEPTED if answer == "accept" else consent.Choice.REFUSED
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("privacy:cookies")
    response = redirect(target)
    consent.remember_choice(response, choice)
    messages.success(
        request,
        _("Choice saved: your browsing before signing in joins your account.")
        if choice == consent.Choice.ACCEPTED
        else _("Choice saved: nothing links your browsing to you."),
    )
    return response
