"""The contact form: a customer asks for a person without JavaScript, and is answered by email."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton.conversations import lifecycle
from ponton.conversations.access import customer_or_none
from ponton.conversations.models import Conversation, ConversationChannel
from ponton.journeys.models import EventKind
from ponton.journeys.services import record_event


@dataclass
class ContactRequest:
    text: str
    name: str = ""
    email: str = ""
    language: str = "fr"
    visitor_id: str = ""
    customer: Any = None


@transaction.atomic
def request_contact(request: ContactRequest) -> Conversation:
    """A customer asks for a person through the contact form: queue it with its context."""
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
    transaction.on_commit(lambda: _acknowledge(conversation, text))
    return conversation


def _acknowledge(conversation: Conversation, text: str) -> None:
    with override(conversation.language):
        send_mail(
            subject=_("We received your request #%(id)s") % {"id": conversation.pk},
            message=_(
                "Hello,\n\nAn advisor has your request and everything you already read on the help "
                "center. You will get the answer at this address.\n\nYour request:\n%(text)s\n"
            )
            % {"text": text},
            from_email=None,
            recipient_list=[conversation.email],
            fail_silently=True,
        )
