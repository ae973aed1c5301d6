"""Mail in: one raw RFC 5322 message becomes a customer message on a conversation.

Both ways mail arrives call `receive`: an MTA piping each message to
`ponton receive-email` (as Request Tracker's mail gateway works), and the
workers polling IMAP mailboxes (`imap.fetch_all`). Email is a human channel:
every new mail goes to the human queue, signals read first; the assistant may
attach a likely article to the acknowledgement, never replace the person.

What never opens a conversation, nor gets an answer: auto-replies, bulk and
list mail, bounces (a bounce marks the address as failing and tells the agent),
and mail from our own domain or a staff address (a loop or a forgery).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import BaseUserManager
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton.accounts.models import Role, User
from ponton.assistant import policy
from ponton.connectors.email import addressing
from ponton.connectors.email.models import Delivery, Direction, EmailRecord, FailingAddress
from ponton.connectors.email.parsing import (
    ParsedEmail,
    UnparseableEmail,
    parse,
    strip_subject_prefixes,
)
from ponton.conversations import attachments, lifecycle, realtime
from ponton.conversations.events import record_conversation_event
from ponton.conversations.memory import remember
from ponton.conversations.models import (
    Conversation,
    ConversationChannel,
    Message,
    State,
)
from ponton.journeys.models import EventKind
from ponton.status import services as incident_status
from ponton.tasks.services import enqueue

logger = logging.getLogger(__name__)

# New conversations by email from one address in an hour that still get an acknowledgement.
MAX_ACKNOWLEDGEMENTS_PER_HOUR = 5
# Files stored from one email (a mail client attaches more than a portal form does).
MAX_FILES = 10

__all__ = ["Outcome", "TemporaryFailure", "UnparseableEmail", "receive"]


class TemporaryFailure(Exception):
    """The mail could not be stored now (the database is unreachable): try again later.
    Nothing was kept, so a retry stores it once."""


@dataclass(frozen=True)
class Outcome:
    status: str  # created | appended | duplicate | ignored
    conversation: int | None = None
    message: int | None = None
    reason: str = ""

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        if not self.reason:
            del data["reason"]
        return data


def receive(raw: bytes) -> Outcome:
    """Store one received mail, once; raise UnparseableEmail for bytes that are no mail we
    can read, TemporaryFailure when the database cannot take it now."""
    if len(raw) > settings.PONTON_EMAIL_MAX_BYTES:
        raise UnparseableEmail(f"message larger than {settings.PONTON_EMAIL_MAX_BYTES} bytes")
    mail = parse(raw)
    try:
        return _receive(mail, raw)
    except (OperationalError, InterfaceError) as error:
        raise TemporaryFailure(str(error)) from error


def _receive(mail: ParsedEmail, raw: bytes) -> Outcome:
    if mail.kind == "bounce":
        return _bounced(mail)
    if mail.kind != "message":
        return Outcome("ignored", reason=f"{mail.kind}: {mail.kind_reason}")
    if addressing.is_ours(mail.from_address):
        return Outcome("ignored", reason="sent from our own support address (a loop or a forgery)")
    sender = _user_by_address(mail.from_address)
    if sender is not None and sender.is_agent:
        return Outcome("ignored", reason="sent from a staff address: staff answer in Ponton")
    existing = EmailRecord.objects.filter(internet_message_id=mail.message_id).first()
    if existing is not None:
        return _duplicate(existing)
    try:
        with transaction.atomic():
            return _store(mail, raw, sender)
    except IntegrityError as error:
        # The same mail, delivered twice at once (an MTA retry racing an IMAP poll).
        existing = EmailRecord.objects.filter(internet_message_id=mail.message_id).first()
        if existing is None:
            # Another race (two first mails of one new sender): nothing was kept, try again.
            raise TemporaryFailure(str(error)) from error
        return _duplicate(existing)


def _duplicate(record: EmailRecord) -> Outcome:
    message = record.message
    return Outcome("duplicate", message.conversation_id, message.pk)


def _store(mail: ParsedEmail, raw: bytes, sender: User | None) -> Outcome:
    conversation = _thread(mail)
    trusted = not mail.header_anomalies
    if conversation is not None and not (trusted and _same_sender(conversation, mail)):
        # Someone else answering in a customer's thread is never taken for the customer.
        return _open(mail, raw, sender, unverified=True, reason="sender is not this thread's")
    if conversation is None:
        return _open(mail, raw, sender, unverified=not trusted)
    return _append(conversation, mail, raw)


def _thread(mail: ParsedEmail) -> Conversation | None:
    """The conversation this mail answers: by the ids it names (ours or ones we stored),
    or the reply address it was sent to; never by subject."""
    named = [*mail.in_reply_to, *reversed(mail.references)]
    known = {
        record.internet_message_id: record.message.conversation_id
        for record in EmailRecord.objects.filter(internet_message_id__in=named[:50]).select_related(
            "message"
        )
    }
    conversation_id = next((known[i] for i in named if i in known), None)
    if conversation_id is None:
        conversation_id = addressing.conversation_named_by(named, mail.recipients)
    if conversation_id is None:
        return None
    conversation = Conversation.objects.select_for_update().filter(pk=conversation_id).first()
    seen = set()
    while conversation is not None and conversation.merged_into_id is not None:
        if conversation.pk in seen:  # merges never make a cycle; should one exist, stop
            break
        seen.add(conversation.pk)
        conversation = (
            Conversation.objects.select_for_update().filter(pk=conversation.merged_into_id).first()
        )
    return conversation


def _same_sender(conversation: Conversation, mail: ParsedEmail) -> bool:
    addresses = {conversation.email.lower()}
    if conversation.customer is not None:
        addresses.add(conversation.customer.email.lower())
    return mail.from_address in addresses - {""}


def _user_by_address(address: str) -> User | None:
    return User.objects.filter(email__iexact=address, is_active=True).order_by("pk").first()


def _customer_for(mail: ParsedEmail, sender: User | None) -> User:
    """The customer this address belongs to; an unknown sender becomes a customer record by
    address (no password: they can sign in with a one-time link)."""
    if sender is not None:
        return sender
    address = BaseUserManager.normalize_email(mail.from_address)
    username = address[:150]
    suffix = 1
    while User.objects.filter(username=username).exists():
        suffix += 1
        username = f"{address[: 150 - len(str(suffix)) - 1]}-{suffix}"
    first, _space, last = mail.from_name.partition(" ")
    customer = User(
        username=username,
        email=address,
        first_name=first[:150],
        last_name=last[:150],
        role=Role.CUSTOMER,
        language=mail.language or "fr",
    )
    customer.set_unusable_password()
    customer.save()
    return customer


def _text_of(mail: ParsedEmail, *, opening: bool) -> str:
    """What agents read: the new text without quoted history; an opening mail's subject first."""
    text = mail.clean_text.strip() or mail.text.strip()
    if not text and mail.attachments:
        text = _("Files attached: %(names)s") % {
            "names": ", ".join(a.filename for a in mail.attachments)
        }
    if not text:
        text = mail.subject or _("(empty email)")
    subject = strip_subject_prefixes(mail.subject)
    if opening and subject and subject.lower() not in text[:200].lower():
        text = f"{subject}\n\n{text}"
    if len(text) > lifecycle.MAX_MESSAGE_LENGTH:
        more = "\n\n[…] " + _("The rest of this email is in the original.")
        text = text[: lifecycle.MAX_MESSAGE_LENGTH - len(more)] + more
    return text


def _open(
    mail: ParsedEmail, raw: bytes, sender: User | None, *, unverified: bool, reason: str = ""
) -> Outcome:
    customer = None if unverified else _customer_for(mail, sender)
    text = _text_of(mail, opening=True)
    language = mail.language or (customer.language if customer else "") or "fr"
    with override(language):
        reading = policy.read_for_person(text, lang=language, customer=customer)
    opened = lifecycle.open_conversation(
        channel=ConversationChannel.EMAIL,
        first_message=text,
        language=language,
        customer=customer,
        name=mail.from_name,
        email=mail.from_address,
        wants_person=True,
        reason=reading.reason,
        signals=reading.signals,
    )
    conversation = opened.conversation
    _keep(opened.message, mail, raw, unverified=unverified)
    if reading.incident is not None:
        incident_status.count_contact(reading.incident, conversation)
    if unverified:
        with override(conversation.language):
            lifecycle.system_note(
                conversation,
                _(
                    "Unverified sender: this email may not come from who it claims, or answers "
                    "another customer's thread. Check before sharing anything personal."
                ),
            )
    elif opened.notice is not None:
        _acknowledge(conversation, opened.notice, reading)
    return Outcome("created", conversation.pk, opened.message.pk, reason)


def _append(conversation: Conversation, mail: ParsedEmail, raw: bytes) -> Outcome:
    message, _created = lifecycle.customer_message(
        conversation, text=_text_of(mail, opening=False), channel=ConversationChannel.EMAIL
    )
    _keep(message, mail, raw, unverified=False)
    if conversation.state == State.CLOSED:
        # A reply after the end: the person takes it back (email is a human channel).
        lifecycle.reopen(conversation, to_person=True)
    if conversation.state == State.ASSISTANT:
        lifecycle.request_person(conversation)
    return Outcome("appended", conversation.pk, message.pk)


def _keep(message: Message, mail: ParsedEmail, raw: bytes, *, unverified: bool) -> None:
    """The email's own record (ids, original) and its files, checked like the portal's."""
    record = EmailRecord(
        message=message,
        direction=Direction.INBOUND,
        internet_message_id=mail.message_id,
        in_reply_to=(mail.in_reply_to or ("",))[0][:255],
        references=" ".join(mail.references)[:10000],
        subject=mail.subject[:300],
        from_address=mail.from_address[:254],
        to_address=(mail.to or ("",))[0][:254],
        full_text=mail.text,
        unverified=unverified,
        delivery=Delivery.RECEIVED,
    )
    record.original.save(f"{message.pk}.eml", ContentFile(raw), save=False)
    try:
        record.save()
    except BaseException:
        record.original.delete(save=False)
        raise
    refused = _store_files(message, mail)
    if refused:
        with override(message.conversation.language):
            lifecycle.system_note(
                message.conversation,
                _("Files not stored (open the original email to see them): %(files)s")
                % {"files": "; ".join(refused)},
            )


def _store_files(message: Message, mail: ParsedEmail) -> list[str]:
    """Store what passes the checks; say why each other file was not stored."""
    checked, refused = [], []
    for position, part in enumerate(mail.attachments):
        if position >= MAX_FILES:
            refused.append(_("“%(name)s”: too many files in one email.") % {"name": part.filename})
            continue
        try:
            checked.append(attachments.check_upload(ContentFile(part.data, name=part.filename)))
        except ValidationError as error:
            refused.append(" ".join(error.messages))
    attachments.store(message, checked)
    return refused


def _acknowledge(conversation: Conversation, notice: Message, reading: policy.FirstReading) -> None:
    """Tell the customer at once, by email, what the handoff's `notice` told them: a person
    has it and when to expect them; with a likely article and a one-click "this solved my
    problem" when the assistant is sure."""
    if reading.article is not None:
        Message.objects.filter(pk=notice.pk).update(articles=[policy.article_card(reading.article)])
        # The assistant's memory of the need, which the one-click "solved" resolves.
        remember(
            conversation,
            detected_need={
                "article": reading.article.article_id,
                "title": reading.article.title,
                "confidence": reading.confidence,
            },
        )
        record_conversation_event(
            conversation,
            EventKind.ASSISTANT_TURN,
            decision="answer",
            article=reading.article.article_id,
            confidence=reading.confidence,
        )
    if _acknowledged_lately(conversation.email) > MAX_ACKNOWLEDGEMENTS_PER_HOUR:
        return  # someone sending mail in others' names must not make us a relay
    transaction.on_commit(
        lambda: enqueue(
            "email.acknowledge", message_id=notice.pk, dedupe_key=f"email-ack:{notice.pk}"
        )
    )


def _acknowledged_lately(address: str) -> int:
    return Conversation.objects.filter(
        channel=ConversationChannel.EMAIL,
        email__iexact=address,
        created_at__gte=timezone.now() - timedelta(hours=1),
    ).count()


def _bounced(mail: ParsedEmail) -> Outcome:
    """Our mail did not arrive: remember the address as failing and tell the agent."""
    now = timezone.now()
    for address in mail.bounced_recipients:
        updated = FailingAddress.objects.filter(address=address).update(
            reason=mail.kind_reason[:2000], last_bounce_at=now, bounces=F("bounces") + 1
        )
        if not updated:
            FailingAddress.objects.get_or_create(
                address=address,
                defaults={"reason": mail.kind_reason[:2000], "last_bounce_at": now},
            )
    record = None
    if mail.bounced_message_id:
        record = (
            EmailRecord.objects.select_related("message__conversation")
            .filter(internet_message_id=mail.bounced_message_id, direction=Direction.OUTBOUND)
            .first()
        )
    if record is None and mail.bounced_recipients:
        conversation = (
            Conversation.objects.filter(
                Q(email__in=mail.bounced_recipients), channel=ConversationChannel.EMAIL
            )
            .order_by("-updated_at")
            .first()
        )
    else:
        conversation = record.message.conversation if record else None
    if record is not None:
        EmailRecord.objects.filter(pk=record.pk).update(delivery=Delivery.BOUNCED)
    if conversation is not None:
        with override(conversation.language), transaction.atomic():
            lifecycle.system_note(
                conversation,
                _(
                    "Our email to %(address)s bounced: the customer did not get it. "
                    "Reach them another way, or check the address."
                )
                % {"address": ", ".join(mail.bounced_recipients) or conversation.email},
            )
            realtime.announce(conversation, "message")
    return Outcome(
        "ignored",
        conversation.pk if conversation else None,
        None,
        "bounce: " + (", ".join(mail.bounced_recipients) or mail.kind_reason),
    )
