"""The agents' side of the phone: the screen-pop, the call's wrap-up, callbacks to make."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ponton.accounts.models import User
from ponton.accounts.permissions import staff_required
from ponton.connectors.voice import callbacks, calls
from ponton.connectors.voice.provider import ProviderError


def _report(request: HttpRequest, exc: ValidationError) -> None:
    for error in exc.messages:
        messages.error(request, error)


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    return redirect(default)


@staff_required
@require_GET
def screen_pop(request: HttpRequest) -> HttpResponse:
    """The calls ringing for the agent or under way with them, with who calls and why
    (the page re-reads this fragment when a push says a call changed)."""
    agent: User = request.user  # type: ignore[assignment]
    pops = [calls.screen_pop(call) for call in calls.live_calls(agent)]
    return render(request, "voice/_screen_pop.html", {"pops": pops})


@staff_required
@require_POST
def wrap_up(request: HttpRequest, call_id: int) -> HttpResponse:
    call = calls.access_call(request.user, call_id)
    try:
        calls.wrap_up(
            call,
            agent=request.user,  # type: ignore[arg-type]
            note=request.POST.get("note", ""),
            reason=request.POST.get("reason", ""),
            solved=request.POST.get("solved") == "1",
        )
    except ValidationError as exc:
        _report(request, exc)
    else:
        messages.success(request, _("Call saved."))
    return redirect("inbox:conversation", conversation_id=call.conversation_id)


@staff_required
@require_POST
def callback_call(request: HttpRequest, callback_id: int) -> HttpResponse:
    callback = callbacks.access_callback(request.user, callback_id)
    try:
        callbacks.place_callback(callback, agent=request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        _report(request, exc)
    except ProviderError:
        messages.error(
            request, _("The telephony provider did not place the call: dial the number yourself.")
        )
    else:
        messages.success(request, _("Your phone rings: pick up, the customer is dialled next."))
    return _back(request, "inbox:inbox")


@staff_required
@require_POST
def callback_outcome(request: HttpRequest, callback_id: int) -> HttpResponse:
    callback = callbacks.access_callback(request.user, callback_id)
    outcome = request.POST.get("outcome", "")
    if outcome not in ("reached", "no_answer"):
        messages.error(request, _("Say whether the customer was reached."))
        return _back(request, "inbox:inbox")
    try:
        callbacks.record_outcome(
            callback,
            agent=request.user,  # type: ignore[arg-type]
            reached=outcome == "reached",
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        _report(request, exc)
    return _back(request, "inbox:inbox")
