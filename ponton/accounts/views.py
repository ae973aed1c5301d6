"""Signing in: staff land in their workspace, customers where they always did."""

from __future__ import annotations

import re

from django.contrib.auth.views import LoginView
from django.urls import reverse

# Pages of the staff application: a sign-in link from one of them leads back to it.
STAFF_PAGES = re.compile(r"^/(?:[a-z]{2}/)?(?:agent|manage|admin)/")


class SignInView(LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

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
