"""The visitor's choice about cookies: the page explaining what is kept, and the form
(banner or page) that records the choice. Plain forms, so they work without JavaScript."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ponton.accounts.models import User
from ponton.accounts.permissions import customer_required
from ponton.journeys import consent
from ponton.privacy import erasure
from ponton.privacy.forms import EraseAccountForm, erasure_word


def _page(request: HttpRequest, **extra: object) -> dict[str, object]:
    return {
        "choice": consent.choice_of(request),
        "consent_page": True,
        "retention_days": settings.PONTON_RETENTION_VISITOR_JOURNEY_DAYS,
        **extra,
    }


def cookies(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/cookies.html", _page(request))


@require_POST
def choose(request: HttpRequest) -> HttpResponse:
    answer = request.POST.get("choice", "")
    if answer not in ("accept", "refuse"):
        error = _("Choose “Accept” or “Refuse”.")
        return render(request, "privacy/cookies.html", _page(request, error=error), status=400)
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


# The customer's own erasure, from the customer space -------------------------------------


class CustomerRequest(HttpRequest):
    user: User


@customer_required
def erase(request: CustomerRequest) -> HttpResponse:
    """Erase my account, once the customer typed the confirmation word."""
    form = EraseAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        erasure.erase_own_account(request.user)
        logout(request)
        return redirect("account_erasure:erased")
    status = 400 if form.errors else 200
    context = {"form": form, "word": erasure_word()}
    return render(request, "privacy/erase.html", context, status=status)


def erased(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/erased.html")
