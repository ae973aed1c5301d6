"""A customer books a call back from an advisor, in a half-hour slot within
business hours, instead of waiting on the line.

The booking opens a phone conversation in the human queue (with the context
packet, like any handoff), so the advisor who calls already knows the
customer's journey.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton.accounts.models import User
from ponton.conversations import calendars, lifecycle
from ponton.conversations.models import (
    Author,
    Callback,
    CallbackStatus,
    Conversation,
    ConversationChannel,
    Status,
)
from ponton.journeys.models import EventKind
from ponton.journeys.services import record_event

SLOT = timedelta(minutes=30)
BUSINESS_DAYS_AHEAD = 5
# Five business days with a free slot fit in a month, even around holidays.
SEARCH_DAYS = 31
# Advisors need a little time to see a booking before its slot starts.
LEAD_TIME = timedelta(minutes=30)
_PHONE = re.compile(r"^\+?[\d\s().-]+$")
_LOCK_NAMESPACE = 0x43414C4C  # "CALL": PostgreSQL advisory locks for one slot


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    free: int

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + SLOT

    @property
    def value(self) -> str:
        """How a form names the slot."""
        return self.starts_at.isoformat()


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _openings(schedule: calendars.Schedule, day: date) -> list[tuple[datetime, datetime]]:
    """When advisors work that day, in local time, on the default business
    calendar (holidays included)."""
    if day in schedule.holidays:
        return []
    zone = schedule.zone
    return [
        (
            datetime.combine(day, opens, tzinfo=zone),
            datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
            if closes is None
            else datetime.combine(day, closes, tzinfo=zone),
        )
        for opens, closes in schedule.week.get(day.weekday(), [])
    ]


def _taken(starts: list[datetime]) -> dict[datetime, int]:
    if not starts:
        return {}
    rows = (
        Callback.objects.filter(
            status=CallbackStatus.REQUESTED, starts_at__gte=starts[0], starts_at__lte=starts[-1]
        )
        .values("starts_at")
        .annotate(n=Count("id"))
    )
    return {row["starts_at"]: row["n"] for row in rows}


def callback_slots(*, now: datetime | None = None) -> list[Slot]:
    """Half-hour slots with room left, starting at least LEAD_TIME from now, over
    the next five business days that still have one: a day already over, or
    fully booked, is not one of the five (so an evening visit is still offered
    five days)."""
    now = now or timezone.now()
    schedule = calendars.default_schedule()
    earliest = now + LEAD_TIME
    today = timezone.localtime(now, schedule.zone).date()
    starts: list[datetime] = []
    for offset in range(SEARCH_DAYS):
        for start, close in _openings(schedule, today + timedelta(days=offset)):
            while start + SLOT <= close:
                if start >= earliest:
                    starts.append(start)
                start += SLOT
    starts.sort()
    capacity = settings.PONTON_CALLBACKS_PER_SLOT
    taken = _taken(starts)
    days: set[date] = set()
    slots: list[Slot] = []
    for start in starts:
        free = capacity - taken.get(start, 0)
        if free <= 0:
            continue
        day = timezone.localtime(start, schedule.zone).date()
        if day not in days:
            if len(days) == BUSINESS_DAYS_AHEAD:
                break
            days.add(day)
        slots.append(Slot(start, free))
    return slots


def describe(starts_at: datetime) -> str:
    """'Tuesday 12 March, 10:00-10:30' in the active language and the local time."""
    local = timezone.localtime(starts_at, _zone())
    day = formats.date_format(local, "l j F, H:i")
    return f"{day}\u2013{formats.time_format(local + SLOT, 'H:i')}"


def _clean_phone(phone: str) -> str:
    phone = " ".join(phone.split())
    digits = sum(c.isdigit() for c in phone)
    if not _PHONE.match(phone) or not 6 <= digits <= 15:
        raise ValidationError(
            {"phone": _("Enter a phone number we can call, for example +33 6 12 34 56 78.")}
        )
    return phone


def _lock_slot(starts_at: datetime) -> None:
    """Serialise bookings of one slot so it is never overbooked (SQLite already
    serialises writers; PostgreSQL takes an advisory lock until commit)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [_LOCK_NAMESPACE, int(starts_at.timestamp()) // 60],
            )


def _reserve(starts_at: datetime, *, now: datetime | None) -> None:
    """Hold the slot's lock and check it is still offered (callers hold a transaction)."""
    _lock_slot(starts_at)
    if starts_at not in {slot.starts_at for slot in callback_slots(now=now)}:
        raise ValidationError(
            {
                "slot": _(
                    "This slot is not available (outside business hours, past or full). "
                    "Choose another one."
                )
            }
        )


def _record(
    conversation: Conversation,
    *,
    customer: User | None,
    phone: str,
    starts_at: datetime,
    note: str,
    visitor_id: str,
) -> Callback:
    callback = Callback.objects.create(
        customer=customer,
        conversation=conversation,
        phone=phone,
        starts_at=starts_at,
        note=note.strip()[:2000],
    )
    record_event(
        EventKind.CALLBACK_REQUEST,
        customer=customer,
        visitor_id=visitor_id,
        language=conversation.language,
        data={
            "conversation": conversation.pk,
            "callback": callback.pk,
            "starts_at": starts_at.isoformat(),
            "channel": ConversationChannel.PHONE,
        },
    )
    return callback


@transaction.atomic
def request_callback(
    customer: User,
    *,
    starts_at: datetime,
    phone: str,
    note: str = "",
    language: str = "fr",
    visitor_id: str = "",
    now: datetime | None = None,
) -> Callback:
    """Book a call back in an offered slot; holds the slot's lock while it counts."""
    phone = _clean_phone(phone)
    _reserve(starts_at, now=now)
    with override(language if language in ("fr", "en") else "fr"):
        when = describe(starts_at)
        text = _("Please call me back on %(phone)s, %(when)s.") % {"phone": phone, "when": when}
        if note.strip():
            text += "\n" + note.strip()
    conversation = lifecycle.open_conversation(
        channel=ConversationChannel.PHONE,
        first_message=text[: lifecycle.MAX_MESSAGE_LENGTH],
        language=language,
        customer=customer,
        visitor_id=visitor_id,
        wants_person=True,
    ).conversation
    return _record(
        conversation,
        customer=customer,
        phone=phone,
        starts_at=starts_at,
        note=note,
        visitor_id=visitor_id,
    )


@transaction.atomic
def book_slot(
    conversation: Conversation,
    *,
    phone: str,
    starts_at: datetime,
    note: str = "",
    now: datetime | None = None,
) -> Callback:
    """Book a call back for a request a person already has (a caller of the voice menu
    who chose a slot on the keypad); holds the slot's lock while it counts."""
    phone = _clean_phone(phone)
    _reserve(starts_at, now=now)
    return _record(
        conversation,
        customer=conversation.customer,
        phone=phone,
        starts_at=starts_at,
        note=note,
        visitor_id=conversation.visitor_id,
    )


def upcoming_callbacks(customer: User, *, now: datetime | None = None) -> list[Callback]:
    return list(
        Callback.objects.filter(
            customer=customer,
            status=CallbackStatus.REQUESTED,
            starts_at__gte=(now or timezone.now()) - SLOT,
        ).order_by("starts_at")
    )


def access_customer_callback(user: Any, callback_id: int) -> Callback:
    """The customer's own callback, or 404 (the same for another customer's)."""
    if not getattr(user, "is_authenticated", False):
        raise Http404
    return get_object_or_404(Callback, pk=callback_id, customer=user)


def can_cancel(callback: Callback, *, now: datetime | None = None) -> bool:
    return callback.status == CallbackStatus.REQUESTED and callback.starts_at > (
        now or timezone.now()
    )


@transaction.atomic
def cancel_callback(callback: Callback, *, by: User, now: datetime | None = None) -> Callback:
    """The customer no longer needs the call: free the slot and close its request."""
    locked = Callback.objects.select_for_update().get(pk=callback.pk)
    if not can_cancel(locked, now=now):
        raise ValidationError(_("This callback can no longer be cancelled."))
    locked.status = CallbackStatus.CANCELLED
    locked.save(update_fields=["status"])
    conversation = locked.conversation
    if conversation is not None:
        with override(conversation.language):
            lifecycle.assistant_message(
                conversation,
                text=_("Callback of %(when)s cancelled by the customer.")
                % {"when": describe(locked.starts_at)},
                author=Author.SYSTEM,
            )
        if conversation.status != Status.CLOSED:
            lifecycle.set_status(conversation, status=Status.CLOSED, by=by)
    return locked
