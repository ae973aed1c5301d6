"""Mail out: an agent's answer, or the acknowledgement of a new email, over SMTP.

Sent by the durable task queue (Django's mail backend, `EMAIL_*` settings), from
`PONTON_SUPPORT_EMAIL`, threaded to the customer's last mail (In-Reply-To,
References) under a Message-ID of ours that stays the same on every retry, with
a plain-text and an HTML part, the message's files, in the customer's language.
Delivery is recorded on the message, so the agent sees a mail that did not leave.
"""

from __future__ import annotations

import logging
from email.utils import formataddr

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton.connectors.email import addressing
from ponton.connectors.email.models import Delivery, Direction, EmailRecord
from ponton.connectors.email.parsing import strip_subject_prefixes
from ponton.conversations import lifecycle, realtime
from ponton.conversations.models import Author, Conversation, Message
from ponton.conversations.presence import staffing
from ponton.status import services as incident_status

logger = logging.getLogger(__name__)

# The task queue retries a failed send with backoff (10 s, 20 s… at most an hour apart: about
# three hours in all); after this many tries the agent is told.
MAX_ATTEMPTS = 12
MAX_REFERENCES = 20
SOLVED_SALT = "ponton.email.solved"
SOLVED_LINK_MAX_AGE = 60 * 60 * 24 * 30


class Kind:
    REPLY = "reply"
    ACKNOWLEDGEMENT = "acknowledgement"


def solved_token(acknowledgement: Message) -> str:
    """The one-click "solved" of one acknowledgement: it closes the request only as it
    stood then (see `services.can_close`)."""
    return signing.dumps(
        {"conversation": acknowledgement.conversation_id, "message": acknowledgement.pk},
        salt=SOLVED_SALT,
    )


def read_solved_token(token: str) -> tuple[int, int] | None:
    """(conversation, acknowledgement message) of a valid token, else None."""
    try:
        data = signing.loads(token, salt=SOLVED_SALT, max_age=SOLVED_LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    conversation, message = data.get("conversation"), data.get("message")
    if not isinstance(conversation, int) or not isinstance(message, int):
        return None
    return conversation, message


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _last_received(conversation: Conversation) -> EmailRecord | None:
    return (
        EmailRecord.objects.filter(
            message__conversation=conversation, direction=Direction.INBOUND, unverified=False
        )
        .order_by("-message_id")
        .first()
    )


def _subject(conversation: Conversation, thread: EmailRecord | None, kind: str) -> str:
    if kind == Kind.ACKNOWLEDGEMENT:
        # Never the sender's own subject: an acknowledgement must not carry a stranger's words
        # to whoever they wrote in the name of.
        return _("We received your request #%(id)s") % {"id": conversation.pk}
    original = strip_subject_prefixes(thread.subject) if thread else ""
    if original:
        return f"Re: {original} [#{conversation.pk}]"
    return _("Answer to your request #%(id)s") % {"id": conversation.pk}


def _expected_answer(conversation: Conversation) -> str:
    """When a person answers, honestly: the service level's due time, else who is there."""
    due = conversation.first_response_due
    if due is not None:
        return _("An advisor will answer by %(when)s.") % {
            "when": formats.date_format(timezone.localtime(due), "l j F, H:i")
        }
    now = staffing()
    if now.expected_wait_minutes:
        return _("An advisor will answer in about %(minutes)s minutes.") % {
            "minutes": now.expected_wait_minutes
        }
    if now.open_now:
        return _("An advisor will answer during opening hours, usually within two hours.")
    return _("Our advisors are away until %(when)s; the first one in will answer.") % {
        "when": formats.date_format(timezone.localtime(now.next_opening), "l j F, H:i")
    }


def build(message: Message, kind: str) -> EmailMultiAlternatives:
    """The mail for `message`, as it leaves (the same headers on every retry)."""
    conversation = message.conversation
    thread = _last_received(conversation)
    headers = {"Message-ID": f"<{addressing.message_id_for(conversation.pk, message.pk)}>"}
    if thread is not None:
        chain = [*thread.references.split(), thread.internet_message_id][-MAX_REFERENCES:]
        headers["In-Reply-To"] = f"<{thread.internet_message_id}>"
        headers["References"] = " ".join(f"<{i}>" for i in chain)
    if kind == Kind.ACKNOWLEDGEMENT:
        # RFC 3834: an automatic answer; auto-responders must not answer it back.
        headers["Auto-Submitted"] = "auto-replied"
        headers["X-Auto-Response-Suppress"] = "All"
    with override(conversation.language):
        context = {
            "conversation": conversation,
            "message": message,
            "agent": (message.author_user.first_name or message.author_user.username)
            if message.author_user and message.author == Author.AGENT
            else "",
            "portal_url": _absolute(reverse("portal:home")),
            "articles": [
                {**card, "url": _absolute(card["url"])} for card in (message.articles or [])
            ],
        }
        if kind == Kind.ACKNOWLEDGEMENT:
            context["expected"] = _expected_answer(conversation)
            context["solved_url"] = _absolute(reverse("email:solved", args=[solved_token(message)]))
            context["incident"] = incident_status.notice_for_conversation(
                conversation, conversation.language
            )
        subject = _subject(conversation, thread, kind)
        text = render_to_string(f"email/{kind}.txt", context)
        html = render_to_string(f"email/{kind}.html", context)
    mail = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=formataddr((settings.PONTON_SUPPORT_NAME, settings.PONTON_SUPPORT_EMAIL)),
        to=[conversation.email],
        reply_to=[addressing.reply_address(conversation.pk)],
        headers=headers,
    )
    mail.attach_alternative(html, "text/html")
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as file:
            mail.attach(attachment.name, file.read(), attachment.content_type)
    return mail


def deliver(message_id: int, *, kind: str) -> None:
    """Send `message` by email once; a failure is recorded on it and raised for a retry,
    until the last attempt, after which agents are told."""
    message = (
        Message.objects.select_related("conversation", "author_user")
        .filter(pk=message_id, internal=False)
        .first()
    )
    if message is None or not message.conversation.email:
        return
    conversation = message.conversation
    record, _created = EmailRecord.objects.get_or_create(
        message=message,
        defaults={
            "direction": Direction.OUTBOUND,
            "internet_message_id": addressing.message_id_for(conversation.pk, message.pk),
            "to_address": conversation.email,
            "from_address": settings.PONTON_SUPPORT_EMAIL,
            "delivery": Delivery.QUEUED,
        },
    )
    if record.delivery in (Delivery.SENT, Delivery.BOUNCED):
        return  # already sent: a task run again after a crash sends nothing twice
    try:
        mail = build(message, kind)
        mail.send()
    except Exception as error:
        attempts = record.attempts + 1
        final = attempts >= MAX_ATTEMPTS
        EmailRecord.objects.filter(pk=record.pk).update(
            attempts=attempts,
            delivery=Delivery.FAILED if final else Delivery.RETRYING,
            last_error=f"{type(error).__name__}: {error}"[:2000],
        )
        if final:
            with override(conversation.language):
                lifecycle.system_note(
                    conversation,
                    _(
                        "The email to %(address)s could not be sent after %(n)s attempts "
                        "(%(error)s). Reach the customer another way."
                    )
                    % {"address": conversation.email, "n": attempts, "error": error},
                )
        realtime.announce(conversation, "delivery")
        if not final:
            raise
        logger.error("Email for message %s failed for good: %s", message.pk, error)
        return
    EmailRecord.objects.filter(pk=record.pk).update(
        attempts=record.attempts + 1,
        delivery=Delivery.SENT,
        sent_at=timezone.now(),
        last_error="",
        subject=mail.subject[:300],
        in_reply_to=mail.extra_headers.get("In-Reply-To", "").strip("<>")[:255],
        references=mail.extra_headers.get("References", "").replace("<", "").replace(">", ""),
    )
    realtime.announce(conversation, "delivery")
