"""The way to a person from every help-center page."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from ponton.clientip import client_ip
from ponton.connectors.webform.forms import ContactForm
from ponton.connectors.webform.services import ContactRequest, TooManyRequests, request_contact
from ponton.conversations.calendars import availability
from ponton.conversations.models import Conversation

DONE_SESSION_KEY = "contact_done"


def contact(request: HttpRequest) -> HttpResponse:
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            conversation = request_contact(
                ContactRequest(
                    text=form.cleaned_data["text"],
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    language=request.LANGUAGE_CODE,
                    visitor_id=getattr(request, "visitor_id", ""),
                    customer=request.user,
                    ip=client_ip(request),
                )
            )
        except TooManyRequests:
            return render(request, "webform/contact_throttled.html", status=429)
        except ValidationError as exc:
            for field_name, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field_name, error)
        else:
            request.session[DONE_SESSION_KEY] = conversation.pk
            return redirect(reverse("webform:contact_done"))
    return render(
        request,
        "webform/contact.html",
        {"form": form, "availability": availability(), "signed_in": request.user.is_authenticated},
    )


def contact_done(request: HttpRequest) -> HttpResponse:
    pk = request.session.get(DONE_SESSION_KEY)
    conversation = Conversation.objects.filter(pk=pk).first() if pk else None
    if conversation is None:
        return redirect("webform:contact")
    return render(
        request,
        "webform/contact_done.html",
        {"conversation": conversation, "availability": availability()},
    )
