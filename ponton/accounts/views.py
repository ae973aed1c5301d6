"""Signing in: staff land in their workspace, customers where they always did."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from ponton.accounts import signin

# Pages of the staff application: a sign-in link from one of them leads back to it.
STAFF_PAGES = re.compile(r"^/(?:[a-z]{2}/)?(?:agent|manage|admin)/")


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if signin.address_paused(request):
            return render(request, "accounts/locked_out.html", status=429)
        return super().post(request, *args, **kwargs)

    def get_redirect_url(self) -> str:
        """`?next=` as Django checks it; for staff only when it is a staff page: the
        help center's "Sign in" link names the page it was on, and an agent signing
        in from there means to start work."""
        wanted = super().get_redirect_url()
        if wanted and getattr(self.request.user, "is_agent", False):
            return wanted if STAFF_PAGES.match(wanted) else ""
        return wanted

    def get_default_redirect_url(self) -> str:
        if getattr(self.request.user, "is_agent", False):
            return reverse("inbox:inbox")
        return super().get_default_redirect_url()


class PasswordResetView(auth_views.PasswordResetView):
    """The link is built from SITE_URL (never the request's Host), and requests are
    limited per address and per email."""

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        refused, silent = signin.reset_refused(self.request, form.cleaned_data["email"])
        if refused:
            return render(self.request, "accounts/locked_out.html", status=429)
        if silent:
            return HttpResponseRedirect(self.get_success_url())
        site = urlsplit(settings.SITE_URL)
        self.domain_override = site.netloc
        self.extra_email_context = {"site_name": settings.SITE_NAME}
        form.save(
            domain_override=site.netloc,
            use_https=site.scheme == "https",
            token_generator=self.token_generator,
            from_email=self.from_email,
            email_template_name=self.email_template_name,
            subject_template_name=self.subject_template_name,
            request=self.request,
            html_email_template_name=self.html_email_template_name,
            extra_email_context=self.extra_email_context,
        )
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """A new password set through the emailed link also lifts the account's lockout."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        signin.unlock(form.user.get_username())
        return response
