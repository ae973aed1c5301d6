"""The contact form: a customer asks for a person without JavaScript, and is answered by email."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton import ratelimit
from ponton.conversations import lifecycle
from ponton.conversations.access import customer_or_none
from ponton.conversations.models import Conversation, ConversationChannel
from ponton.journeys.models import EventKind
from ponton.journeys.services import record_event

# An address may send this many requests an hour (more are refused), and one
# recipient gets this many acknowledgements an hour (more requests are kept, unacknowledged).
REQUESTS_PER_ADDRESS = 10
ACKNOWLEDGEMENTS_PER_RECIPIENT = 3
WINDOW_SECONDS = 60 * 60


class TooManyRequests(Exception):
    """Too many contact requests from one network address."""


@dataclass
class ContactRequest:
    text: str
    name: str = ""
    email: str = ""
    language: str = "fr"
    visitor_id: str = ""
    customer: Any = None
    ip: str = ""


@transaction.atomic
def request_contact(request: ContactRequest) -> Conversation:
    """A customer asks for a person through the contact form: queue it with its context.

    The acknowledgement repeats the request's text only to a signed-in customer's own
    address: to an address anyone may have typed it says only that a request arrived,
    so the form cannot relay a stranger's text."""
    # Counted for requests from the web (an address); the demo and tests call it directly.
    if request.ip and ratelimit.hit(
        ratelimit.key_for("contact-address", request.ip),
        limit=REQUESTS_PER_ADDRESS,
        window=WINDOW_SECONDS,
    ):
        raise TooManyRequests
    errors = {}
    text = request.text.strip()
    if not text:
        errors["text"] = _("Tell us in a few words what you need.")
    customer = customer_or_none(request.customer)
    email = request.email.strip() or (customer.email if customer else "")
    if not email:
        errors["email"] = _("We need an email address to answer you.")
    if errors:
        raise ValidationError(errors)

    conversation = lifecycle.open_conversation(
        channel=ConversationChannel.WEB_FORM,
        first_message=text,
        language=request.language,
        customer=customer,
        visitor_id=request.visitor_id,
        name=request.name.strip(),
        email=email,
        wants_person=True,
    ).conversation
    record_event(
        EventKind.CONTACT_REQUEST,
        visitor_id=request.visitor_id,
        customer=customer,
        language=request.language,
        data={"conversation": conversation.pk, "channel": ConversationChannel.WEB_FORM},
    )
    verified = customer is not None and customer.email.lower() == email.lower()
    if not request.ip or not ratelimit.hit(
        ratelimit.key_for("contact-recipient", email),
        limit=ACKNOWLEDGEMENTS_PER_RECIPIENT,
        window=WINDOW_SECONDS,
    ):
        transaction.on_commit(lambda: _acknowledge(conversation, text if verified else ""))
    return conversation


def _acknowledge(conversation: Conversation, text: str) -> None:
    with override(conversation.language):
        body = _(
            "Hello,\n\nAn advisor has your request and everything you already read on the help "
            "center. You will get the answer at this address.\n"
        )
        if text:
            body += _("\nYour request:\n%(text)s\n") % {"text": text}
        send_mail(
            subject=_("We received your request #%(id)s") % {"id": conversation.pk},
            message=body,
            from_email=None,
            recipient_list=[conversation.email],
            fail_silently=True,
        )
