"""The customer space's pages. Each view parses its input, authorises through an
access helper, calls one service and responds."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ponton.accounts.models import User
from ponton.accounts.permissions import customer_required, signed_in_required
from ponton.accounts.signin import unlock
from ponton.audit.models import Action
from ponton.audit.services import conversation_viewed, record
from ponton.clientip import client_ip
from ponton.conversations import surveys
from ponton.conversations.attachments import access_attachment
from ponton.conversations.models import SurveyKind
from ponton.portal import callbacks, services, signin
from ponton.portal.forms import (
    CallbackForm,
    CsatForm,
    MagicLinkForm,
    NpsForm,
    PreferencesForm,
    ReplyForm,
)


class CustomerRequest(HttpRequest):
    """A request that `customer_required` let through."""

    user: User


MAGIC_LINK_SENT_KEY = "portal_magic_link_sent"
ONE_YEAR = 365 * 24 * 3600
PAST_REQUESTS_PER_PAGE = 10


def _add_errors(form: Form, exc: ValidationError, field: str | None = None) -> None:
    """Show a service's refusal on the form: on its field, or on `field`."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(name if name in form.fields else None, error)
    else:
        for error in exc.messages:
            form.add_error(field, error)


def _safe_next(request: HttpRequest, value: str) -> str:
    allowed = url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return value if value and allowed else ""


# Signing in with a link ---------------------------------------------------------------


def magic_link(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    form = MagicLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            signin.request_magic_link(
                form.cleaned_data["email"],
                language=request.LANGUAGE_CODE,
                ip=client_ip(request),  # as the sign-in lockout sees it
                next_url=next_url,
            )
        except signin.TooManyRequests:
            return render(request, "portal/magic_link_throttled.html", status=429)
        request.session[MAGIC_LINK_SENT_KEY] = form.cleaned_data["email"]
        return redirect("portal:magic_link_sent")
    return render(request, "portal/magic_link.html", {"form": form, "next": next_url})


def magic_link_sent(request: HttpRequest) -> HttpResponse:
    email = request.session.get(MAGIC_LINK_SENT_KEY)
    if not email:
        return redirect("portal:magic_link")
    return render(
        request,
        "portal/magic_link_sent.html",
        {"email": email, "minutes": settings.PONTON_MAGIC_LINK_MINUTES},
    )


def magic_login(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """Opening the link shows a button; only pressing it signs in, so a mail
    scanner that follows links does not use up the customer's link."""
    user = signin.user_for_magic_link(uidb64, token)
    if user is None:
        return render(request, "portal/magic_link_invalid.html", status=400)
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    if request.method != "POST":
        return render(request, "portal/magic_login.html", {"next": next_url})
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    unlock(user.get_username())  # the emailed link proves the mailbox: lift a lockout
    request.session.pop(MAGIC_LINK_SENT_KEY, None)
    return redirect(next_url or reverse("portal:home"))


# My requests --------------------------------------------------------------------------


@customer_required
def home(request: CustomerRequest) -> HttpResponse:
    requests = services.my_requests(request.user)
    finished = services.is_finished()
    return render(
        request,
        "portal/home.html",
        {
            "current": list(requests.exclude(finished)),
            "past": Paginator(requests.filter(finished), PAST_REQUESTS_PER_PAGE).get_page(
                request.GET.get("page")
            ),
            "surveys": list(services.open_surveys(request.user)),
            "callbacks": callbacks.upcoming_callbacks(request.user),
        },
    )


@customer_required
def request_detail(request: CustomerRequest, conversation_id: int) -> HttpResponse:
    conversation = services.access_customer_conversation(request.user, conversation_id)
    if conversation.merged_into_id:
        return redirect("portal:request", conversation_id=conversation.merged_into_id)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        reply = services.Reply(
            text=form.cleaned_data["text"],
            files=form.cleaned_data["attachments"],
            client_msg_id=form.cleaned_data["client_msg_id"],
        )
        try:
            services.reply_to_request(conversation, customer=request.user, reply=reply)
        except ValidationError as exc:
            _add_errors(form, exc, "attachments")
        else:
            messages.success(request, _("Your message has been sent."))
            return redirect("portal:request", conversation_id=conversation.pk)
    return render(
        request,
        "portal/request.html",
        {
            "conversation": conversation,
            "progress": services.progress(conversation),
            "thread": services.history(conversation),
            "survey": services.open_surveys(request.user).filter(conversation=conversation).first(),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@signed_in_required
def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    """A file from a conversation, for its customer or the staff who may work on it."""
    attached = access_attachment(request.user, attachment_id)
    try:
        content = attached.file.open("rb")
    except FileNotFoundError:  # the row outlived its file (a restore without the folder)
        raise Http404 from None
    # Staff reading a customer's file: a view of their data in the audit log.
    if isinstance(request.user, User) and request.user.is_agent:
        conversation = attached.message.conversation
        conversation_viewed(request, conversation, page="attachment", attachment=attached.pk)
    response = FileResponse(
        content,
        as_attachment=True,
        filename=attached.name,
        content_type=attached.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


# Preferences, callbacks, surveys, export --------------------------------------------------


@customer_required
def preferences(request: CustomerRequest) -> HttpResponse:
    current = services.preferences_of(request.user)
    form = PreferencesForm(request.POST or None, initial=vars(current))
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.update_preferences(
                request.user,
                services.Preferences(**form.cleaned_data),
                visitor_id=getattr(request, "visitor_id", ""),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            with translation.override(saved.language):
                messages.success(request, _("Your preferences are saved."))
                response = redirect(reverse("portal:preferences"))
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, saved.language, samesite="Lax", max_age=ONE_YEAR
            )
            return response
    return render(request, "portal/preferences.html", {"form": form})


@customer_required
def callback(request: CustomerRequest) -> HttpResponse:
    slots = callbacks.callback_slots()
    phone = services.preferences_of(request.user).phone
    form = CallbackForm(request.POST or None, slots=slots, initial={"phone": phone})
    if request.method == "POST" and form.is_valid():
        try:
            booked = callbacks.request_callback(
                request.user,
                starts_at=form.cleaned_data["slot"],
                phone=form.cleaned_data["phone"],
                note=form.cleaned_data["note"],
                language=request.LANGUAGE_CODE,
                visitor_id=getattr(request, "visitor_id", ""),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("portal:callback_detail", callback_id=booked.pk)
    return render(
        request,
        "portal/callback.html",
        {"form": form, "has_slots": bool(slots)},
        status=400 if form.errors else 200,
    )


@customer_required
def callback_detail(request: CustomerRequest, callback_id: int) -> HttpResponse:
    booked = callbacks.access_customer_callback(request.user, callback_id)
    return render(
        request,
        "portal/callback_detail.html",
        {
            "callback": booked,
            "when": callbacks.describe(booked.starts_at),
            "can_cancel": callbacks.can_cancel(booked),
        },
    )


@require_POST
@customer_required
def callback_cancel(request: CustomerRequest, callback_id: int) -> HttpResponse:
    booked = callbacks.access_customer_callback(request.user, callback_id)
    try:
        callbacks.cancel_callback(booked, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The callback is cancelled."))
    return redirect("portal:callback_detail", callback_id=booked.pk)


@customer_required
def survey(request: CustomerRequest, survey_id: int) -> HttpResponse:
    """From the customer space to the survey's own signed page."""
    token = surveys.survey_token(services.access_customer_survey(request.user, survey_id))
    return redirect("surveys:answer", token=token)


@customer_required
def export(request: CustomerRequest) -> HttpResponse:
    archive = services.export_archive(request.user)
    record(Action.EXPORT_CUSTOMER_DATA, target=request.user, request=request, bytes=len(archive))
    response = HttpResponse(archive, content_type="application/zip")
    filename = f"my-data-{timezone.localdate():%Y-%m-%d}.zip"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Surveys, answered through their signed link without signing in --------------------------


def survey_answer(request: HttpRequest, token: str) -> HttpResponse:
    answering = surveys.access_survey(token)
    if answering.answered_at is not None:
        status = 409 if request.method == "POST" else 200
        return render(
            request,
            "portal/survey_done.html",
            {"survey": answering, "already": True},
            status=status,
        )
    form_class = NpsForm if answering.kind == SurveyKind.NPS else CsatForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            surveys.answer_survey(
                answering,
                score=form.cleaned_data["score"],
                effort=form.cleaned_data.get("effort"),
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return redirect("surveys:thanks", token=token)
    return render(
        request,
        "portal/survey.html",
        {"survey": answering, "form": form},
        status=400 if form.errors else 200,
    )


def survey_thanks(request: HttpRequest, token: str) -> HttpResponse:
    answered = surveys.access_survey(token)
    if answered.answered_at is None:
        return redirect("surveys:answer", token=token)
    return render(request, "portal/survey_done.html", {"survey": answered})
