"""Two-factor sign-in for staff: a code from an authenticator app (TOTP), or one of
ten backup codes, after the password.

The password alone never signs a staff member with a confirmed device in: it
leaves a *pending* sign-in in the session (the user, how they authenticated, for
a few minutes and a few wrong codes), and only the right code turns it into a
session (`finish_sign_in`). With PONTON_REQUIRE_2FA, administrators without a
device are sent to enrol before anything else, and the admin site asks for a
verified session.
"""

from __future__ import annotations

import re
import time
from base64 import b32encode
from dataclasses import dataclass
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ponton.accounts.models import Role, User
from ponton.audit.models import Action
from ponton.audit.services import record

PENDING_KEY = "ponton.2fa.pending"
PENDING_SECONDS = 5 * 60
PENDING_ATTEMPTS = 5
BACKUP_CODES = 10
DEVICE_NAME = "authenticator"


def concerns(user: Any) -> bool:
    """Two-factor sign-in is for the staff (customers sign in by password or link)."""
    return bool(getattr(user, "is_authenticated", False) and (user.is_agent or user.is_staff))


def has_device(user: Any) -> bool:
    """Enrolled: a confirmed authenticator. (Backup codes alone are not enrolment: when an
    administrator deletes a lost phone's device, the person signs in with the password
    and sets up the new phone.)"""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def must_enrol(user: Any) -> bool:
    """Under PONTON_REQUIRE_2FA: an administrator without a device."""
    if not settings.PONTON_REQUIRE_2FA or not getattr(user, "is_authenticated", False):
        return False
    admin = user.is_superuser or user.is_staff or user.role == Role.ADMIN
    return bool(admin) and not has_device(user)


# The pending sign-in ------------------------------------------------------------------


@dataclass
class Pending:
    user: User
    backend: str
    redirect_to: str


def start_sign_in(request: HttpRequest, user: User, *, backend: str, redirect_to: str) -> None:
    """The password (or the identity provider) said yes; the code is still to come."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": backend,
        "next": redirect_to,
        "until": time.time() + PENDING_SECONDS,
        "attempts": 0,
    }


def pending(request: HttpRequest) -> Pending | None:
    data = request.session.get(PENDING_KEY)
    if not data or data["until"] < time.time() or data["attempts"] >= PENDING_ATTEMPTS:
        return None
    user = User.objects.filter(pk=data["user"], is_active=True).first()
    if user is None:
        return None
    return Pending(user=user, backend=data["backend"], redirect_to=data["next"])


def finish_sign_in(request: HttpRequest, waiting: Pending, code: str) -> bool:
    """Sign in if `code` is right for one of the user's devices; count a wrong one."""
    device = match_token(waiting.user, normalise(code)) if code.strip() else None
    if device is None:
        data = request.session[PENDING_KEY]
        data["attempts"] += 1
        request.session[PENDING_KEY] = data
        record(Action.OTP_FAILED, actor=waiting.user, target=waiting.user, request=request)
        return False
    del request.session[PENDING_KEY]
    login(request, waiting.user, backend=waiting.backend)
    otp_login(request, device)
    return True


def normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "")


# Enrolment ------------------------------------------------------------------------------


def unconfirmed_device(user: User) -> TOTPDevice:
    """The device being set up (one at a time): its key is shown until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG (drawn here: no outside service)."""
    image = qrcode.make(
        device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2
    )
    svg: str = image.to_string(encoding="unicode")
    # As wide as its box (the page gives it at most 240 px), whatever the phone.
    return re.sub(r'^<svg width="[^"]*" height="[^"]*"', '<svg width="100%"', svg)


def manual_key(device: TOTPDevice) -> str:
    """The secret as an app asks for it when typed: base32 in groups of four."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def confirm(request: HttpRequest, user: User, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the authenticator with its first code; return the new backup codes (to
    show once), or None if the code is wrong. Older devices of the user are replaced."""
    if not device.verify_token(normalise(code)):
        record(Action.OTP_FAILED, actor=user, target=user, request=request, during="enrolment")
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = new_backup_codes(user, request=request, recorded=False)
    record(Action.OTP_ENROLLED, actor=user, target=user, request=request)
    otp_login(request, device)
    return codes


def new_backup_codes(
    user: User, *, request: HttpRequest | None = None, recorded: bool = True
) -> list[str]:
    """Ten single-use codes for when the phone is lost; the previous ones stop working."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="backup", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    if recorded:
        record(Action.OTP_BACKUP_CODES, actor=user, target=user, request=request)
    return codes


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# Required mode ---------------------------------------------------------------------------

# What an administrator who must enrol can still reach: signing in and out, the set-up
# itself, the language switch and the files pages need.
OPEN_PATHS = re.compile(r"^/(?:[a-z]{2}/)?(?:accounts/|i18n/|static/|healthz|favicon\.ico)")
ADMIN_PATHS = re.compile(r"^/admin/")


class RequireTwoFactorMiddleware:
    """Under PONTON_REQUIRE_2FA: administrators without a device go to the set-up
    first, whatever they asked for; the admin site wants a session verified by a code."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        if settings.PONTON_REQUIRE_2FA and not OPEN_PATHS.match(request.path):
            user: Any = request.user
            if must_enrol(user):
                return self._refuse(request, "accounts:two_factor_setup")
            if ADMIN_PATHS.match(request.path) and user.is_authenticated and not user.is_verified():
                logout(request)
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)

    def _refuse(self, request: HttpRequest, to: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": "Two-factor sign-in must be set up first."}, status=403)
        return redirect(to)
