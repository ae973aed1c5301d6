"""The customer space: my requests and their history, replies with files,
preferences, surveys to answer and a copy of my data.

Every object a customer opens is fetched through an `access_customer_*`
helper, which answers the same 404 for "does not exist" and "not yours".
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ponton.accounts.models import Channel, CustomerProfile, Language, User
from ponton.conversations import access, attachments, lifecycle
from ponton.conversations.models import (
    Attachment,
    Author,
    Conversation,
    ConversationChannel,
    Message,
    State,
    Status,
    Survey,
)
from ponton.conversations.surveys import LINK_MAX_AGE
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.journeys.services import record_event
from ponton.knowledge.models import Feedback
from ponton.status.models import Subscription

# My requests ----------------------------------------------------------------------------

# Where a request stands, in the customer's words (state and ticket status together).
PROGRESS_LABELS = {
    "assistant": gettext_lazy("With the assistant"),
    "waiting": gettext_lazy("Waiting for an advisor"),
    "in_progress": gettext_lazy("An advisor is on it"),
    "your_turn": gettext_lazy("Waiting for your answer"),
    "resolved": gettext_lazy("Resolved"),
    "solved": gettext_lazy("Solved"),
    "closed": gettext_lazy("Closed"),
}


def progress(conversation: Conversation) -> str:
    """A key of PROGRESS_LABELS."""
    if conversation.status == Status.SOLVED:
        return "solved"
    if conversation.status == Status.CLOSED:
        return "closed"
    if conversation.state == State.CLOSED:
        return "resolved"  # selfcare solved it
    if conversation.state == State.WAITING_HUMAN:
        return "waiting"
    if conversation.state == State.WITH_HUMAN:
        return "your_turn" if conversation.status == Status.PENDING else "in_progress"
    return "assistant"


def my_requests(customer: User) -> QuerySet[Conversation]:
    """The customer's requests, latest activity first, each with `subject` (their first words)
    and `last_message_at`: every conversation that reached a person or came by a human channel,
    not those merged into another, nor chats that stayed with the assistant (those are selfcare,
    not requests)."""
    first_words = (
        Message.objects.filter(conversation=OuterRef("pk"), author=Author.CUSTOMER, internal=False)
        .order_by("id")
        .values("text")[:1]
    )
    return (
        Conversation.objects.filter(customer=customer, merged_into__isnull=True)
        .filter(~Q(channel=ConversationChannel.CHAT) | Q(handed_off_at__isnull=False))
        .annotate(
            subject=Subquery(first_words),
            last_message_at=Max("messages__created_at", filter=Q(messages__internal=False)),
        )
        .order_by("-last_message_at", "-pk")
    )


def is_finished() -> Q:
    """The requests that are over: solved or closed."""
    return Q(status__in=[Status.SOLVED, Status.CLOSED]) | Q(state=State.CLOSED)


def access_customer_conversation(user: Any, conversation_id: int) -> Conversation:
    """The customer's own conversation, or 404: the same for a missing one and
    another customer's."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    return get_object_or_404(Conversation, pk=conversation_id, customer=user)


def history(conversation: Conversation) -> QuerySet[Message]:
    """What the customer may read: every message but the agents' internal notes,
    with their files."""
    return (
        access.messages_after(conversation, None)
        .select_related("author_user")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
    )


@dataclass
class Reply:
    text: str
    files: list[Any]
    client_msg_id: str = ""


def reply_to_request(conversation: Conversation, *, customer: User, reply: Reply) -> Message:
    """The customer writes in their space, with files. A request that was closed
    or still with the assistant goes to a person: the one who handled it if
    someone did, the queue (with the context packet) otherwise."""
    if conversation.customer_id != customer.pk:
        raise Http404
    uploads = attachments.check_uploads(reply.files)
    text = reply.text.strip()
    if not text and uploads:
        text = _("Files attached: %(names)s") % {"names": ", ".join(u.name for u in uploads)}
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
            closed_ticket = locked.state == State.CLOSED and locked.status in (
                Status.SOLVED,
                Status.CLOSED,
            )
            if closed_ticket and (locked.assignee_id or locked.first_response_at):
                # Back to the advisor who handled it, like any reopened ticket.
                lifecycle.set_status(locked, status=Status.OPEN, by=customer)
            message, created = lifecycle.customer_message(
                locked, text=text, client_msg_id=reply.client_msg_id
            )
            if not created:
                return message  # the same form sent twice
            stored = attachments.store(message, uploads)
            if locked.state in (State.ASSISTANT, State.CLOSED):
                lifecycle.request_person(locked)
    except BaseException:
        for attachment in stored:  # the files of a message that was not saved
            attachment.file.delete(save=False)
        raise
    return message


# Preferences ----------------------------------------------------------------------------


@dataclass
class Preferences:
    language: str
    preferred_channel: str
    prefers_person: bool
    accessibility_needs: str = ""
    phone: str = ""


def preferences_of(customer: User) -> Preferences:
    profile = CustomerProfile.objects.filter(user=customer).first() or CustomerProfile()
    return Preferences(
        language=customer.language,
        preferred_channel=profile.preferred_channel,
        prefers_person=profile.prefers_person,
        accessibility_needs=profile.accessibility_needs,
        phone=profile.phone,
    )


@transaction.atomic
def update_preferences(
    customer: User, preferences: Preferences, *, visitor_id: str = ""
) -> Preferences:
    """Save what the customer chose; routing and the assistant read it from the
    profile. The journey notes which preferences changed, never their values
    (accessibility needs can be health information)."""
    errors = {}
    if preferences.language not in Language.values:
        errors["language"] = _("Choose French or English.")
    if preferences.preferred_channel not in Channel.values:
        errors["preferred_channel"] = _("Choose one of the channels offered.")
    if errors:
        raise ValidationError(errors)
    before = preferences_of(customer)
    profile, _created = CustomerProfile.objects.select_for_update().get_or_create(user=customer)
    profile.preferred_channel = preferences.preferred_channel
    profile.prefers_person = preferences.prefers_person
    profile.accessibility_needs = preferences.accessibility_needs.strip()[:2000]
    profile.phone = preferences.phone.strip()[:32]
    profile.save(
        update_fields=["preferred_channel", "prefers_person", "accessibility_needs", "phone"]
    )
    if customer.language != preferences.language:
        customer.language = preferences.language
        customer.save(update_fields=["language"])
    after = preferences_of(customer)
    changed = [name for name in vars(after) if getattr(after, name) != getattr(before, name)]
    if changed:
        record_event(
            EventKind.PREFERENCES_CHANGE,
            customer=customer,
            visitor_id=visitor_id,
            language=customer.language,
            data={"fields": changed},
        )
    return after


# Surveys ----------------------------------------------------------------------------------


def open_surveys(customer: User, *, now: datetime | None = None) -> QuerySet[Survey]:
    """Surveys the customer can still answer (their link has not expired)."""
    since = (now or timezone.now()) - timedelta(seconds=LINK_MAX_AGE)
    return Survey.objects.filter(
        customer=customer, answered_at__isnull=True, created_at__gte=since
    ).order_by("-created_at")


def access_customer_survey(user: Any, survey_id: int) -> Survey:
    """The customer's own survey, or 404 (the same for another customer's)."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    return get_object_or_404(Survey, pk=survey_id, customer=user)


# Data export ------------------------------------------------------------------------------


def _at(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_data(customer: User) -> dict[str, Any]:
    """Everything the customer told us and we told them, as plain JSON (never the
    agents' internal notes)."""
    profile = CustomerProfile.objects.filter(user=customer).first()
    visible = Message.objects.filter(internal=False).order_by("id")
    requests = (
        Conversation.objects.filter(customer=customer)
        .order_by("pk")
        .prefetch_related(
            Prefetch("messages", queryset=visible.prefetch_related("attachments")),
        )
    )
    return {
        "exported_at": timezone.now().isoformat(),
        "customer": {
            "username": customer.username,
            "name": customer.get_full_name(),
            "email": customer.email,
            "language": customer.language,
            "customer_number": profile.customer_number if profile else "",
            "phone": profile.phone if profile else "",
            "joined_at": _at(customer.date_joined),
            "plan": profile.plan if profile else "",
            "modules": profile.modules if profile else [],
            "segment": profile.segment if profile else "",
            "preferences": {
                "language": customer.language,
                "preferred_channel": profile.preferred_channel if profile else "",
                "prefers_person": profile.prefers_person if profile else False,
                "accessibility_needs": profile.accessibility_needs if profile else "",
                "referent_advisor": (
                    profile.referent_advisor.get_short_name()
                    if profile and profile.referent_advisor
                    else ""
                ),
            },
        },
        "requests": [
            {
                "id": conversation.pk,
                "channel": conversation.channel,
                "status": progress(conversation),
                "created_at": _at(conversation.created_at),
                "contact": {
                    "name": conversation.name,
                    "email": conversation.email,
                    "phone": conversation.phone,
                },
                "merged_into": conversation.merged_into_id,
                "messages": [
                    {
                        "author": message.author,
                        "text": message.text,
                        "created_at": _at(message.created_at),
                        "attachments": [
                            {
                                "name": a.name,
                                "content_type": a.content_type,
                                "size": a.size,
                                "file": _archived_name(a),
                            }
                            for a in message.attachments.all()
                        ],
                    }
                    for message in conversation.messages.all()
                ],
            }
            for conversation in requests
        ],
        "callbacks": [
            {
                "starts_at": _at(callback.starts_at),
                "phone": callback.phone,
                "status": callback.status,
                "note": callback.note,
                "request": callback.conversation_id,
            }
            for callback in customer.callbacks.order_by("starts_at")
        ],
        "surveys": [
            {
                "kind": survey.kind,
                "request": survey.conversation_id,
                "score": survey.score,
                "effort": survey.effort,
                "comment": survey.comment,
                "answered_at": _at(survey.answered_at),
            }
            for survey in Survey.objects.filter(customer=customer).order_by("pk")
        ],
        "article_feedback": [
            {
                "at": _at(feedback.created_at),
                "article": feedback.translation.title,
                "language": feedback.translation.language,
                "helpful": feedback.helpful,
                "comment": feedback.comment,
            }
            for feedback in Feedback.objects.filter(customer=customer)
            .select_related("translation")
            .order_by("pk")
        ],
        "status_subscriptions": [
            {
                "subscribed_at": _at(subscription.created_at),
                "incident": subscription.incident_id,
                "component": subscription.component.slug if subscription.component else "",
                "language": subscription.language,
                "unsubscribed_at": _at(subscription.unsubscribed_at),
            }
            for subscription in Subscription.objects.filter(email__iexact=customer.email)
            .exclude(email="")
            .select_related("component")
            .order_by("pk")
        ],
        "journey": [
            {
                "at": _at(event.occurred_at),
                "kind": event.kind,
                "channel": event.channel,
                "language": event.language,
                "data": event.data,
            }
            for event in JourneyEvent.objects.filter(customer=customer).order_by("pk")
        ],
    }


def _archived_name(attachment: Attachment) -> str:
    return f"files/{attachment.message.conversation_id}/{attachment.pk}-{attachment.name}"


def export_archive(customer: User) -> bytes:
    """`export_data` as `my-data.json` in a zip, with the files of every attachment."""
    data = export_data(customer)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("my-data.json", json.dumps(data, ensure_ascii=False, indent=2))
        attachments = Attachment.objects.filter(
            message__conversation__customer=customer, message__internal=False
        ).select_related("message")
        for attachment in attachments:
            try:
                with attachment.file.open("rb") as handle:
                    archive.writestr(_archived_name(attachment), handle.read())
            except FileNotFoundError:
                continue  # purged by retention: listed, no longer kept
    return buffer.getvalue()
