"""The pages of two-factor sign-in: the code after the password, and the staff's own
set-up (QR code, first code, backup codes shown once)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ponton.accounts import twofactor
from ponton.accounts.models import User
from ponton.accounts.permissions import staff_or_admin_required as two_factor_user


def code(request: HttpRequest) -> HttpResponse:
    """After the password: the code from the app, or a backup code."""
    waiting = twofactor.pending(request)
    if waiting is None:
        messages.info(request, _("Your sign-in has expired; please enter your password again."))
        return redirect("accounts:login")
    error = ""
    if request.method == "POST":
        if twofactor.finish_sign_in(request, waiting, request.POST.get("code", "")):
            return redirect(waiting.redirect_to)
        if twofactor.pending(request) is None:
            messages.error(request, _("Too many wrong codes; please sign in again."))
            return redirect("accounts:login")
        error = _("This code is not right. Check the time on your phone, or use a backup code.")
    return render(request, "accounts/two_factor_code.html", {"error": error}, status=200)


@two_factor_user
def overview(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    return render(
        request,
        "accounts/two_factor.html",
        {
            "enrolled": twofactor.has_device(user),
            "codes_left": twofactor.backup_codes_left(user),
            "required": twofactor.must_enrol(user),
        },
    )


@two_factor_user
def setup(request: HttpRequest) -> HttpResponse:
    """Scan, then type the first code: the authenticator is confirmed and ten backup
    codes are shown, once."""
    user: User = request.user  # type: ignore[assignment]
    device = twofactor.unconfirmed_device(user)
    error = ""
    if request.method == "POST":
        codes = twofactor.confirm(request, user, device, request.POST.get("code", ""))
        if codes is not None:
            return render(
                request, "accounts/two_factor_backup_codes.html", {"codes": codes, "new": True}
            )
        error = _("This code is not right. Check the time on your phone and try the next code.")
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "qr_svg": twofactor.qr_svg(device),
            "manual_key": twofactor.manual_key(device),
            "error": error,
            "required": twofactor.must_enrol(user),
        },
    )


@require_POST
@two_factor_user
def backup_codes(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if not twofactor.has_device(user):
        return redirect("accounts:two_factor_setup")
    codes = twofactor.new_backup_codes(user, request=request)
    return render(request, "accounts/two_factor_backup_codes.html", {"codes": codes})
