"""Signing in without a password: a one-time link sent by email.

The link works once (its signature covers the last sign-in time, which
signing in changes) and for PONTON_MAGIC_LINK_MINUTES. Asking for one says
the same thing whether or not the address has an account, and is throttled
per address and per network address.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.cache import cache
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton.accounts.models import Role, User
from ponton.tasks.services import enqueue, register

THROTTLE_WINDOW_SECONDS = 15 * 60
LINKS_PER_ADDRESS = 3  # in the window: more are silently not sent
REQUESTS_PER_IP = 20  # in the window (an office shares one address): more are refused


class TooManyRequests(Exception):
    """Too many sign-in links asked for from one network address."""


class MagicLinkTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "ponton.portal.signin.MagicLinkTokenGenerator"

    def make_token(self, user: User, *, now: datetime | None = None) -> str:
        # The parent counts in naive local time; `now` (tests) is timezone-aware.
        when = now.astimezone().replace(tzinfo=None) if now else self._now()
        return self._make_token_with_timestamp(user, self._num_seconds(when), self.secret)

    def check_token(self, user: User | None, token: str | None) -> bool:
        if user is None or not token or not super().check_token(user, token):
            return False
        try:
            issued = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        age = self._num_seconds(self._now()) - issued
        return 0 <= age <= settings.PONTON_MAGIC_LINK_MINUTES * 60


magic_links = MagicLinkTokenGenerator()


def magic_link_path(user: User, *, next_url: str = "", now: datetime | None = None) -> str:
    path = reverse(
        "portal:magic_login",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": magic_links.make_token(user, now=now),
        },
    )
    return f"{path}?{urlencode({'next': next_url})}" if next_url else path


def _over_limit(key: str, limit: int) -> bool:
    """Count one more hit on `key` in the window; True once past `limit`."""
    cache.add(key, 0, THROTTLE_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, THROTTLE_WINDOW_SECONDS)
        count = 1
    return count > limit


def request_magic_link(email: str, *, language: str, ip: str, next_url: str = "") -> None:
    """Email a sign-in link to each active customer account with this address.

    Nothing tells the caller whether one exists, and the email itself is sent
    by the task worker rather than while the visitor waits.
    """
    if _over_limit(f"portal:magic:ip:{ip}", REQUESTS_PER_IP):
        raise TooManyRequests
    email = email.strip()
    address = hashlib.sha256(email.lower().encode()).hexdigest()
    if _over_limit(f"portal:magic:email:{address}", LINKS_PER_ADDRESS):
        return
    customers = User.objects.filter(email__iexact=email, is_active=True, role=Role.CUSTOMER)
    for user in customers:
        enqueue(
            "portal.email_magic_link",
            user_id=user.pk,
            language=language,
            next_url=next_url,
            dedupe_key=f"magic-link:{user.pk}",
        )


@register("portal.email_magic_link")
def email_magic_link(user_id: int, language: str, next_url: str = "") -> None:
    """The token is made here, when the email leaves, so none is ever stored."""
    user = User.objects.filter(pk=user_id, is_active=True, role=Role.CUSTOMER).first()
    if user is None or not user.email:
        return
    with override(language):
        url = settings.SITE_URL.rstrip("/") + magic_link_path(user, next_url=next_url)
        send_mail(
            subject=_("Your sign-in link"),
            message=_(
                "Hello,\n\nTo sign in to your customer space, open this link within %(minutes)s "
                "minutes. It works once.\n\n%(url)s\n\nIf you did not ask for it, ignore this "
                "email: nobody can sign in without it.\n"
            )
            % {"minutes": settings.PONTON_MAGIC_LINK_MINUTES, "url": url},
            from_email=None,
            recipient_list=[user.email],
        )


def user_for_magic_link(uidb64: str, token: str) -> User | None:
    """The customer a valid, unused, unexpired link signs in, else None."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    user = User.objects.filter(pk=pk, is_active=True, role=Role.CUSTOMER).first()
    return user if magic_links.check_token(user, token) else None
