"""Background work of conversations: emails to customers and surveys."""

from __future__ import annotations

from django.core.mail import send_mail
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton.conversations import surveys
from ponton.conversations.models import Conversation, Message
from ponton.tasks.services import register


@register("conversations.email_reply")
def email_reply(message_id: int) -> None:
    """Tell the customer an advisor answered, with the answer, by email."""
    message = (
        Message.objects.select_related("conversation", "author_user")
        .filter(pk=message_id, internal=False)
        .first()
    )
    if message is None or not message.conversation.email:
        return
    conversation = message.conversation
    with override(conversation.language):
        send_mail(
            subject=_("Answer to your request #%(id)s") % {"id": conversation.pk},
            message=_(
                "Hello,\n\n%(agent)s answered your request:\n\n%(text)s\n\n"
                "To answer, reply in your customer space or in the chat.\n"
            )
            % {
                "agent": message.author_user.first_name if message.author_user else _("An advisor"),
                "text": message.text,
            },
            from_email=None,
            recipient_list=[conversation.email],
        )


@register("conversations.send_survey")
def send_survey(conversation_id: int) -> None:
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None:
        return
    surveys.email_survey(surveys.csat_for(conversation))
