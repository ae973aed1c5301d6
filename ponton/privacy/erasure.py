"""Erasing a customer (GDPR article 17), in one transaction, idempotently.

What identifies them goes: their account's name, email, username and password,
their profile's contact data, the texts they wrote (the first message of each
conversation keeps its words with every identifier cut, because its contact reason is
read from it) and the files they sent, the
addresses of their emails and calls, their survey comments and subscriptions,
the sessions and sign-in records that name them. Other people's messages in
their conversations keep their text with the customer's name, email and phone
cut out. What the measures need stays, pseudonymised: the account row (inactive,
renamed `erased-ID`, so the same person still counts once), journey events and
session facts (visitor ids replaced by a keyed hash, search texts cut), the
conversations' states and times. The KPIs over any period are therefore the same.

On SQLite the database runs with `secure_delete`, and the erasure ends with a WAL
checkpoint that truncates the journal: the removed bytes are overwritten, not
just unlinked. On PostgreSQL run the routine in the README ("Erasure") after it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.db.models import Q

from ponton.accounts.models import CustomerProfile, Role, User
from ponton.accounts.revocation import close_sockets
from ponton.audit import services as audit
from ponton.audit.models import Action
from ponton.connectors.models import Call, EmailRecord, FailingAddress, MessagingRecord
from ponton.conversations.models import (
    Attachment,
    Author,
    Callback,
    Conversation,
    Message,
    Survey,
)
from ponton.insights.models import SessionFact
from ponton.journeys.models import JourneyEvent
from ponton.knowledge.models import Feedback
from ponton.status.models import Notice, NoticeOptOut, Subscription
from ponton.tasks.models import Task

ERASED = "[erased]"
CUT = "[…]"


class NothingToErase(Exception):
    """No customer has this id or email, and no conversation this email."""


@dataclass
class Target:
    user: User | None
    emails: set[str]
    names: set[str]
    phones: set[str]
    conversations: list[int] = field(default_factory=list)
    visitor_ids: set[str] = field(default_factory=set)


def find(email_or_id: str) -> Target:
    """The customer named by an id or an email, with every conversation of theirs."""
    value = email_or_id.strip()
    user = None
    if value.isdigit():
        user = User.objects.filter(pk=int(value), role=Role.CUSTOMER).first()
    elif "@" in value:
        user = User.objects.filter(email__iexact=value, role=Role.CUSTOMER).first()
    else:
        user = User.objects.filter(username=value, role=Role.CUSTOMER).first()
    emails = {value.lower()} if "@" in value else set()
    names: set[str] = set()
    phones: set[str] = set()
    if user is not None:
        if user.email:
            emails.add(user.email.lower())
        for name in (user.get_full_name(), user.first_name + " " + user.last_name):
            if name.strip():
                names.add(name.strip())
        if user.last_name and len(user.last_name) > 2:
            names.add(user.last_name)
        profile = CustomerProfile.objects.filter(user=user).first()
        if profile and profile.phone:
            phones.add(profile.phone)
    conversations = Conversation.objects.filter(
        Q(customer=user) if user is not None else Q(pk__in=[])
    )
    for email in emails:
        conversations = conversations | Conversation.objects.filter(email__iexact=email)
    conversations = conversations.distinct()
    if user is None and not conversations.exists():
        raise NothingToErase(value)
    target = Target(user=user, emails=emails, names=names, phones=phones)
    for conv in conversations.values("pk", "name", "phone", "visitor_id"):
        target.conversations.append(conv["pk"])
        if conv["name"].strip():
            target.names.add(conv["name"].strip())
        if conv["phone"]:
            target.phones.add(conv["phone"])
        if conv["visitor_id"]:
            target.visitor_ids.add(conv["visitor_id"])
    if user is not None:
        target.visitor_ids |= set(
            JourneyEvent.objects.filter(customer=user)
            .exclude(visitor_id="")
            .values_list("visitor_id", flat=True)
            .distinct()
        )
    target.visitor_ids = {v for v in target.visitor_ids if not v.startswith("erased-")}
    return target


def pseudonym(visitor_id: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), visitor_id.encode(), hashlib.sha256)
    return "erased-" + digest.hexdigest()[:24]


def _scrubber(target: Target) -> re.Pattern[str] | None:
    words = sorted(target.emails | target.names | target.phones, key=len, reverse=True)
    words = [w for w in words if len(w) >= 3]
    if not words:
        return None
    return re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)


# Whoever's they are: addresses, and numbers long enough to be a phone, an account, a card.
ANY_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
LONG_NUMBER = re.compile(r"\+?\d[\d .-]{5,}\d")


def _scrub(value: Any, pattern: re.Pattern[str] | None) -> Any:
    if isinstance(value, str):
        value = LONG_NUMBER.sub(CUT, ANY_EMAIL.sub(CUT, value))
        return pattern.sub(CUT, value) if pattern is not None else value
    if isinstance(value, list):
        return [_scrub(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, pattern) for k, v in value.items()}
    return value


def _cut_typed(data: Any, pattern: re.Pattern[str] | None) -> Any:
    return _scrub(data, pattern)


def erase(email_or_id: str, *, dry_run: bool = False) -> dict[str, int]:
    """Erase a customer; with `dry_run`, only count what would change."""
    target = find(email_or_id)
    counts: dict[str, int] = {}
    # What the audit log may name them by, taken before the account is renamed.
    labels = {*target.emails, *([target.user.get_username()] if target.user else [])}
    with transaction.atomic():
        counts = _erase(target)
        if dry_run:
            transaction.set_rollback(True)
        else:
            _record(target, counts, labels)
    if not dry_run:
        _overwrite_freed_pages()
    return counts


def _record(target: Target, counts: dict[str, int], labels: set[str]) -> None:
    """The erasure in the audit log: who erased which account, and how much; the
    entries that named the customer (this one too, when they asked for it themselves)
    now say `erased-ID` instead, without their address."""
    user_id = target.user.pk if target.user is not None else None
    audit.record(
        Action.CUSTOMER_ERASED,
        target=("accounts.user", user_id),
        conversations=len(target.conversations),
        counts=counts,
    )
    audit.forget_person(user_id=user_id, labels=labels)


def erase_own_account(customer: User) -> dict[str, int]:
    """The customer's own request to be forgotten, from the customer space, honoured at
    once: the same erasure as `ponton erase-customer`, which ends every session of theirs."""
    return erase(str(customer.pk))


def _erase(target: Target) -> dict[str, int]:
    pattern = _scrubber(target)
    user = target.user
    conversations = Conversation.objects.filter(pk__in=target.conversations)
    messages = Message.objects.filter(conversation__in=conversations)
    counts: dict[str, int] = {"customers": 0}

    attachments = list(Attachment.objects.filter(message__in=messages))
    for attachment in attachments:
        attachment.file.delete(save=False)
    counts["attachments"] = Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()[
        0
    ]

    records = list(EmailRecord.objects.filter(message__in=messages))
    for record in records:
        if record.original:
            record.original.delete(save=False)
    counts["emails"] = EmailRecord.objects.filter(pk__in=[r.pk for r in records]).update(
        subject=ERASED,
        from_address="",
        to_address="",
        full_text="",
        references="",
        original="",
        last_error="",
    )

    counts["texts"] = (
        MessagingRecord.objects.filter(message__in=messages)
        .exclude(number="", last_error="")
        .update(number="", last_error="")
    )

    # A conversation's first customer message keeps its words with every identifier cut:
    # its contact reason (and so the repeat-contact rate) is read from them. Later ones go.
    counts["messages"] = 0
    firsts = set()
    for conversation_id in target.conversations:
        first = (
            messages.filter(conversation_id=conversation_id, author=Author.CUSTOMER)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        if first is not None:
            firsts.add(first)
    for message in messages.only("pk", "author", "text"):
        customer_wrote = message.author == Author.CUSTOMER and message.pk not in firsts
        text = ERASED if customer_wrote else _scrub(message.text, pattern)
        if text != message.text:
            Message.objects.filter(pk=message.pk).update(text=text)
            counts["messages"] += 1

    counts["conversations"] = 0
    for conv in conversations.only("pk", "context", "visitor_id"):
        Conversation.objects.filter(pk=conv.pk).update(
            name="",
            email="",
            phone="",
            context=_cut_typed(conv.context, pattern) if conv.context else conv.context,
            visitor_id=pseudonym(conv.visitor_id)
            if conv.visitor_id and not conv.visitor_id.startswith("erased-")
            else conv.visitor_id,
        )
        counts["conversations"] += 1

    surveys = Survey.objects.filter(
        Q(conversation__in=conversations) | (Q(customer=user) if user else Q(pk__in=[]))
    )
    counts["surveys"] = surveys.exclude(email="", comment="").update(email="", comment="")
    callbacks = Callback.objects.filter(
        Q(conversation__in=conversations) | (Q(customer=user) if user else Q(pk__in=[]))
    )
    counts["callbacks"] = callbacks.exclude(phone="", note="").update(phone="", note="")
    calls = Call.objects.filter(
        Q(conversation__in=conversations) | (Q(customer=user) if user else Q(pk__in=[]))
    )
    counts["calls"] = calls.exclude(from_number="", to_number="", recording_url="").update(
        from_number="", to_number="", recording_url=""
    )

    # The journey: same sessions and kinds (the KPIs), no identifier, no typed text.
    events = JourneyEvent.objects.filter(
        (Q(customer=user) if user else Q(pk__in=[])) | Q(visitor_id__in=target.visitor_ids)
    )
    counts["journey_events"] = 0
    for event in events.only("pk", "visitor_id", "data"):
        data = _cut_typed(event.data, pattern)
        visitor = (
            pseudonym(event.visitor_id)
            if event.visitor_id in target.visitor_ids
            else event.visitor_id
        )
        if data != event.data or visitor != event.visitor_id:
            JourneyEvent.objects.filter(pk=event.pk).update(data=data, visitor_id=visitor)
            counts["journey_events"] += 1
    for visitor in target.visitor_ids:
        SessionFact.objects.filter(visitor_id=visitor).update(visitor_id=pseudonym(visitor))
        Feedback.objects.filter(visitor_id=visitor).update(visitor_id=pseudonym(visitor))
    if user is not None:
        counts["feedback"] = (
            Feedback.objects.filter(customer=user).exclude(comment="").update(comment="")
        )

    email_q = Q(pk__in=[])
    for email in target.emails:
        email_q |= Q(email__iexact=email)
    counts["subscriptions"] = Notice.objects.filter(email_q).delete()[0]
    counts["subscriptions"] += Subscription.objects.filter(email_q).delete()[0]
    counts["subscriptions"] += NoticeOptOut.objects.filter(email_q).delete()[0]
    address_q = Q(pk__in=[])
    for email in target.emails:
        address_q |= Q(address__iexact=email)
    FailingAddress.objects.filter(address_q).delete()

    counts["tasks"] = 0
    for task in list(Task.objects.all().only("pk", "kwargs")):
        text = str(task.kwargs).lower()
        if any(e in text for e in target.emails) or (
            user is not None and task.kwargs.get("user_id") == user.pk
        ):
            task.delete()
            counts["tasks"] += 1

    if user is not None:
        counts["customers"] = 1 if user.is_active or user.email or user.first_name else 0
        counts["sessions"] = _end_sessions(user, target.emails)
        _forget_sign_in_records(user, target.emails)
        LogEntry.objects.filter(
            content_type__app_label="accounts", object_id__in=[str(user.pk)]
        ).update(object_repr=f"erased-{user.pk}", change_message="")
        CustomerProfile.objects.filter(user=user).update(
            customer_number="", phone="", accessibility_needs="", referent_advisor=None
        )
        User.objects.filter(pk=user.pk).update(
            username=f"erased-{user.pk}",
            first_name="",
            last_name="",
            email="",
            password="!" + hashlib.sha256(str(user.pk).encode()).hexdigest()[:20],
            is_active=False,
            last_login=None,
        )
        close_sockets(user.pk)
    return counts


def _end_sessions(user: User, emails: set[str]) -> int:
    ended = 0
    for session in list(Session.objects.all()):
        data = session.get_decoded()
        mentions = str(data).lower()
        if data.get("_auth_user_id") == str(user.pk) or any(e in mentions for e in emails):
            session.delete()
            ended += 1
    return ended


def _forget_sign_in_records(user: User, emails: set[str]) -> None:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    names = {user.username, *emails}
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.objects.filter(username__in=names).delete()


def _overwrite_freed_pages() -> None:
    """SQLite: secure_delete zeroes what this erasure freed; VACUUM rewrites the file so
    nothing freed earlier (before secure_delete, or inside pages) survives, and the
    checkpoint moves the WAL into the file and empties it."""
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.execute("VACUUM")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
