"""Signing in: staff land in their workspace, customers where they always did."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse

from ponton.accounts import oidc, signin, twofactor

# Pages of the staff application: a sign-in link from one of them leads back to it.
STAFF_PAGES = re.compile(r"^/(?:[a-z]{2}/)?(?:agent|manage|admin)/")


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if oidc.enabled():  # the staff's single sign-on, only when it is set up
            context["sso_name"] = oidc.provider_name()
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if signin.address_paused(request):
            return render(request, "accounts/locked_out.html", status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        """Staff with an authenticator give its code before the session exists."""
        user = form.get_user()
        if twofactor.concerns(user) and twofactor.has_device(user):
            self.signing_in = user
            twofactor.start_sign_in(
                self.request,
                user,
                backend=getattr(user, "backend", ""),
                redirect_to=self.get_success_url(),
            )
            return redirect("accounts:two_factor_code")
        return super().form_valid(form)

    def _user(self) -> Any:
        return getattr(self, "signing_in", None) or self.request.user

    def get_redirect_url(self) -> str:
        """`?next=` as Django checks it; for staff only when it is a staff page: the
        help center's "Sign in" link names the page it was on, and an agent signing
        in from there means to start work."""
        wanted = super().get_redirect_url()
        if wanted and getattr(self._user(), "is_agent", False):
            return wanted if STAFF_PAGES.match(wanted) else ""
        return wanted

    def get_default_redirect_url(self) -> str:
        if getattr(self._user(), "is_agent", False):
            return reverse("inbox:inbox")
        return super().get_default_redirect_url()


def admin_sign_in(request: HttpRequest) -> HttpResponse:
    """The admin site signs in through the same page as everyone (the lockout, the
    second factor), never through a password form of its own."""
    wanted = request.GET.get("next", "")
    target = reverse("accounts:login")
    return HttpResponseRedirect(f"{target}?{urlencode({'next': wanted})}" if wanted else target)


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
