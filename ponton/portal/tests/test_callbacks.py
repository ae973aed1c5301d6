"""Booking a call back in a half-hour slot within business hours."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils.html import escape

from ponton.accounts.models import CustomerProfile, User
from ponton.conftest import has_human_exit
from ponton.conversations.models import (
    BusinessCalendar,
    Callback,
    CallbackStatus,
    ConversationChannel,
    HandoffReason,
    Holiday,
    State,
    Status,
)
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.portal.callbacks import (
    callback_slots,
    cancel_callback,
    describe,
    request_callback,
)

PARIS = ZoneInfo("Europe/Paris")
MONDAY_MORNING = datetime(2030, 3, 4, 9, 10, tzinfo=PARIS)  # a Monday
PAGE = "/fr/account/callback/"


def in_paris(value: datetime) -> datetime:
    return value.astimezone(PARIS)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 3, day, hour, minute, tzinfo=PARIS)


def book(customer: User, starts_at: datetime, **extra: Any) -> Callback:
    return request_callback(
        customer,
        starts_at=starts_at,
        phone=extra.pop("phone", "+33 6 12 34 56 78"),
        now=MONDAY_MORNING,
        **extra,
    )


# Slots ------------------------------------------------------------------------------------


def test_slots_are_half_hours_within_opening_hours_over_five_business_days(db: None) -> None:
    slots = callback_slots(now=MONDAY_MORNING)

    starts = [in_paris(s.starts_at) for s in slots]
    assert starts[0] == at(4, 10)  # not before now plus the advisors' lead time
    assert starts[-1] == at(8, 19, 30)  # Friday's last slot ends at closing time
    assert {s.date() for s in starts} == {date(2030, 3, d) for d in range(4, 9)}
    assert all(s.minute in (0, 30) for s in starts)
    assert all(8 <= s.hour < 20 for s in starts)


def test_a_day_already_over_is_not_counted_among_the_five_business_days(db: None) -> None:
    monday_evening = at(4, 23)

    days = sorted({in_paris(s.starts_at).date() for s in callback_slots(now=monday_evening)})

    # Monday has no slot left: Tuesday to Saturday are offered.
    assert days == [date(2030, 3, d) for d in (5, 6, 7, 8, 9)]


def test_a_day_whose_last_slot_is_within_the_lead_time_is_not_counted(db: None) -> None:
    just_before_closing = at(4, 19, 15)  # the 19:30 slot starts in less than the lead time

    days = sorted({in_paris(s.starts_at).date() for s in callback_slots(now=just_before_closing)})

    assert days == [date(2030, 3, d) for d in (5, 6, 7, 8, 9)]


def test_a_fully_booked_day_is_not_counted_among_the_five_business_days(
    settings: Any, customer: User, other_customer: User
) -> None:
    settings.PONTON_CALLBACKS_PER_SLOT = 1
    BusinessCalendar.objects.create(
        name="Support",
        is_default=True,
        hours={str(day): ["09:00", "10:00"] for day in range(5)},
    )
    book(customer, at(5, 9))
    book(other_customer, at(5, 9, 30))

    days = sorted({in_paris(s.starts_at).date() for s in callback_slots(now=MONDAY_MORNING)})

    # Monday morning's slots have passed and Tuesday is full: Wednesday to the next Tuesday.
    assert days == [date(2030, 3, d) for d in (6, 7, 8, 11, 12)]


def test_sundays_and_holidays_of_the_default_calendar_have_no_slot(db: None) -> None:
    calendar = BusinessCalendar.objects.create(
        name="Support",
        is_default=True,
        hours={"0": ["09:00", "17:00"], "1": ["09:00", "17:00"], "2": ["09:00", "17:00"],
               "3": ["09:00", "17:00"], "4": ["09:00", "17:00"], "5": ["09:00", "12:00"], "6": None},
    )  # fmt: skip
    Holiday.objects.create(calendar=calendar, date=date(2030, 3, 11), name="Jour férié")
    saturday = datetime(2030, 3, 9, 8, 0, tzinfo=PARIS)

    days = sorted({in_paris(s.starts_at).date() for s in callback_slots(now=saturday)})

    # Saturday, then Tuesday to Thursday: no Sunday, no holiday Monday.
    assert days == [date(2030, 3, d) for d in (9, 12, 13, 14, 15)]
    saturday_slots = [s for s in callback_slots(now=saturday) if s.starts_at.day == 9]
    assert in_paris(saturday_slots[-1].starts_at) == at(9, 11, 30)


def test_a_calendar_day_may_close_for_lunch(db: None) -> None:
    BusinessCalendar.objects.create(
        name="Support",
        is_default=True,
        hours={"0": [["09:00", "12:00"], ["14:00", "17:00"]]},
    )
    monday = [
        in_paris(s.starts_at).strftime("%H:%M")
        for s in callback_slots(now=datetime(2030, 3, 4, 7, 0, tzinfo=PARIS))
        if in_paris(s.starts_at).date() == date(2030, 3, 4)
    ]
    assert monday == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30",
                      "14:00", "14:30", "15:00", "15:30", "16:00", "16:30"]  # fmt: skip


def test_a_full_slot_is_no_longer_offered_and_cannot_be_booked(
    settings: Any, customer: User, other_customer: User
) -> None:
    settings.PONTON_CALLBACKS_PER_SLOT = 1
    book(customer, at(5, 10))

    assert at(5, 10) not in {s.starts_at for s in callback_slots(now=MONDAY_MORNING)}
    with pytest.raises(ValidationError) as refused:
        book(other_customer, at(5, 10))
    assert "slot" in refused.value.message_dict


@pytest.mark.parametrize(
    "starts_at",
    [
        at(5, 22),  # Tuesday evening, closed
        at(10, 11),  # a Sunday
        at(4, 9),  # Monday, already past
        at(5, 10, 15),  # not the start of a slot
        at(25, 10),  # beyond the five business days offered
    ],
)
def test_a_callback_outside_the_slots_offered_is_refused(
    customer: User, starts_at: datetime
) -> None:
    with pytest.raises(ValidationError) as refused:
        book(customer, starts_at)
    assert "slot" in refused.value.message_dict
    assert not Callback.objects.exists()


def test_a_phone_number_we_cannot_call_is_refused(customer: User) -> None:
    for phone in ("", "appelez-moi", "12", "+33 6 12 34 56 78 99 99 99"):
        with pytest.raises(ValidationError) as refused:
            book(customer, at(5, 10), phone=phone)
        assert "phone" in refused.value.message_dict


# Booking ---------------------------------------------------------------------------------


def test_booking_queues_a_phone_request_for_a_person_with_the_journey(customer: User) -> None:
    callback = book(customer, at(5, 10), note="Ma box clignote rouge.", language="fr")

    assert callback.status == CallbackStatus.REQUESTED
    conversation = callback.conversation
    assert conversation is not None
    assert conversation.customer == customer
    assert conversation.channel == ConversationChannel.PHONE
    assert conversation.state == State.WAITING_HUMAN
    assert conversation.handoff_reason == HandoffReason.CUSTOMER_REQUEST
    first = conversation.messages.order_by("id").first()
    assert first is not None
    assert "+33 6 12 34 56 78" in first.text
    assert "mardi 5 mars, 10:00" in first.text
    assert "Ma box clignote rouge." in first.text
    event = JourneyEvent.objects.get(kind=EventKind.CALLBACK_REQUEST)
    assert event.customer == customer
    assert event.data == {
        "conversation": conversation.pk,
        "callback": callback.pk,
        "starts_at": at(5, 10).isoformat(),
        "channel": "phone",
    }
    assert JourneyEvent.objects.filter(kind=EventKind.HANDOFF, data__by="customer").exists()


@pytest.mark.parametrize(
    "now",
    [MONDAY_MORNING, at(4, 23), at(10, 10), at(8, 19, 45)],
    ids=["monday-morning", "monday-23h", "sunday", "friday-after-the-last-slot"],
)
def test_the_page_offers_slots_with_the_phone_number_prefilled(
    client: Client, customer: User, now: datetime
) -> None:
    CustomerProfile.objects.filter(user=customer).update(phone="06 11 22 33 44")

    with time_machine.travel(now, tick=False):
        client.force_login(customer)
        response = client.get(PAGE)

    assert response.status_code == 200
    assert response.context["form"]["phone"].value() == "06 11 22 33 44"
    days = response.context["form"].days
    assert len(days) == 5  # five days, each folded: not one long list
    html = response.content.decode()
    assert html.count("<details") == 5 and html.count("<details open") == 1
    assert html.count('type="radio" name="slot"') == sum(len(times) for _day, times in days)
    assert has_human_exit(html)


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_a_customer_books_a_slot_and_sees_it_confirmed(client: Client, customer: User) -> None:
    client.force_login(customer)
    slot = callback_slots()[0]

    response = client.post(PAGE, {"slot": slot.value, "phone": "06 11 22 33 44", "note": ""})

    callback = Callback.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/fr/account/callback/{callback.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert escape(describe(slot.starts_at)) in page
    assert "06 11 22 33 44" in page


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_a_number_that_cannot_be_called_is_refused_with_an_example(
    client: Client, customer: User
) -> None:
    client.force_login(customer)
    slot = callback_slots()[0]

    response = client.post(PAGE, {"slot": slot.value, "phone": "06 12"})

    assert response.status_code == 400
    assert "pas un numéro de téléphone complet" in response.content.decode()
    assert not Callback.objects.exists()


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_a_slot_outside_business_hours_posted_to_the_page_is_refused(
    client: Client, customer: User
) -> None:
    client.force_login(customer)
    tomorrow_night = at(5, 23)

    response = client.post(PAGE, {"slot": tomorrow_night.isoformat(), "phone": "0611223344"})

    assert response.status_code == 400
    assert "Ce créneau n&#x27;est pas disponible" in response.content.decode()
    assert not Callback.objects.exists()


@time_machine.travel(MONDAY_MORNING, tick=False)
def test_the_customer_cancels_her_callback_and_frees_the_slot(
    client: Client, settings: Any, customer: User, agent: User
) -> None:
    settings.PONTON_CALLBACKS_PER_SLOT = 1
    client.force_login(customer)
    slot = callback_slots()[0]
    client.post(PAGE, {"slot": slot.value, "phone": "0611223344"})
    callback = Callback.objects.get()
    assert slot.starts_at not in {s.starts_at for s in callback_slots()}

    response = client.post(f"/fr/account/callback/{callback.pk}/cancel/")

    assert response.status_code == 302
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.CANCELLED
    assert callback.conversation is not None
    assert callback.conversation.status == Status.CLOSED
    assert slot.starts_at in {s.starts_at for s in callback_slots()}
    with pytest.raises(ValidationError):
        cancel_callback(callback, by=customer)


def test_customer_cannot_see_or_cancel_another_customers_callback(
    client: Client, customer: User, other_customer: User
) -> None:
    callback = book(customer, at(5, 10))
    client.force_login(other_customer)

    assert client.get(f"/fr/account/callback/{callback.pk}/").status_code == 404
    assert client.post(f"/fr/account/callback/{callback.pk}/cancel/").status_code == 404
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.REQUESTED
