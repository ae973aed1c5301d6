"""Signing in safely: address spraying, reset links, and the owner's way back in.

The lockout per account (django-axes) ignores the address, so changing
`X-Forwarded-For` buys nothing; the owner of a locked account gets back in
through an emailed link (password reset, or the customers' sign-in link), which
lifts the lock. One address failing against many accounts is paused on its own
(PONTON_SIGNIN_FAILURES_PER_ADDRESS in the cool-off window).
"""

from __future__ import annotations

from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from ponton import ratelimit
from ponton.clientip import client_ip

RESET_WINDOW_SECONDS = 60 * 60
RESETS_PER_EMAIL = 3  # an hour: more are silently not sent
RESETS_PER_ADDRESS = 20  # an hour: more are refused


def _window() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def address_paused(request: Any) -> bool:
    key = ratelimit.key_for("signin-failures", client_ip(request))
    return ratelimit.reached(key, limit=settings.PONTON_SIGNIN_FAILURES_PER_ADDRESS)


@receiver(user_login_failed)
def _count_failure(sender: Any, credentials: Any, request: Any = None, **kwargs: Any) -> None:
    if request is not None:
        key = ratelimit.key_for("signin-failures", client_ip(request))
        ratelimit.hit(key, limit=settings.PONTON_SIGNIN_FAILURES_PER_ADDRESS, window=_window())


def unlock(username: str) -> None:
    """The owner proved they hold the account's mailbox: lift its lockout."""
    axes_reset(username=username)


def reset_refused(request: Any, email: str) -> tuple[bool, bool]:
    """(refuse the request, silently send nothing) for one more password-reset request."""
    by_address = ratelimit.key_for("reset-address", client_ip(request))
    if ratelimit.hit(by_address, limit=RESETS_PER_ADDRESS, window=RESET_WINDOW_SECONDS):
        return True, True
    by_email = ratelimit.key_for("reset-email", email)
    return False, ratelimit.hit(by_email, limit=RESETS_PER_EMAIL, window=RESET_WINDOW_SECONDS)
