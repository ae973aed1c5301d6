"""Business-hours arithmetic: service-level clocks run only while the service is open."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from ponton.conversations import calendars
from ponton.conversations.calendars import availability, week_in_words
from ponton.conversations.models import BusinessCalendar, Holiday

PARIS = ZoneInfo("Europe/Paris")
D = calendars.DASH

pytestmark = pytest.mark.django_db


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def test_minutes_left_on_friday_evening_continue_on_monday_morning(
    office_calendar: BusinessCalendar,
) -> None:
    # Friday 14 November 2025, 17:00: one hour today, one on Monday.
    due = calendars.add_business_minutes(office_calendar, paris(2025, 11, 14, 17), 120)
    assert due == paris(2025, 11, 17, 10)


def test_a_holiday_is_skipped_like_a_sunday(office_calendar: BusinessCalendar) -> None:
    # Friday 6 June 2025, then Whit Monday is a holiday: the clock resumes on Tuesday.
    due = calendars.add_business_minutes(office_calendar, paris(2025, 6, 6, 17), 120)
    assert due == paris(2025, 6, 10, 10)
    assert not calendars.is_open(office_calendar, paris(2025, 6, 9, 11))
    assert calendars.next_opening(office_calendar, paris(2025, 6, 9, 11)) == paris(2025, 6, 10, 9)


def test_a_clock_started_outside_hours_starts_at_the_next_opening(
    office_calendar: BusinessCalendar,
) -> None:
    assert calendars.add_business_minutes(office_calendar, paris(2025, 11, 15, 11), 30) == paris(
        2025, 11, 17, 9, 30
    )
    assert calendars.add_business_minutes(office_calendar, paris(2025, 11, 18, 6), 30) == paris(
        2025, 11, 18, 9, 30
    )
    assert calendars.add_business_minutes(office_calendar, paris(2025, 11, 18, 19), 30) == paris(
        2025, 11, 19, 9, 30
    )


def test_a_target_longer_than_a_day_spans_several_business_days(
    office_calendar: BusinessCalendar,
) -> None:
    # Three 9-hour days from Wednesday 9:00: Friday 18:00 exactly.
    assert calendars.add_business_minutes(office_calendar, paris(2025, 11, 12, 9), 27 * 60) == (
        paris(2025, 11, 14, 18)
    )
    assert calendars.add_business_minutes(
        office_calendar, paris(2025, 11, 12, 9), 27 * 60 + 1
    ) == paris(2025, 11, 17, 9, 1)


def test_summer_time_neither_adds_nor_loses_an_hour_of_work(
    office_calendar: BusinessCalendar, round_the_clock: BusinessCalendar
) -> None:
    # Clocks go forward on Sunday 30 March 2025: Monday 10:00 is 8:00 UTC, not 9:00.
    due = calendars.add_business_minutes(office_calendar, paris(2025, 3, 28, 17), 120)
    assert due == paris(2025, 3, 31, 10)
    assert due.astimezone(UTC) == datetime(2025, 3, 31, 8, tzinfo=UTC)
    # Open all the time: 24 hours of work are 24 real hours, whatever the wall clock says.
    spring = calendars.add_business_minutes(round_the_clock, paris(2025, 3, 29, 12), 24 * 60)
    assert spring == paris(2025, 3, 30, 13)
    autumn = calendars.add_business_minutes(round_the_clock, paris(2025, 10, 25, 12), 24 * 60)
    assert autumn == paris(2025, 10, 26, 11)
    assert calendars.business_minutes_between(
        round_the_clock, paris(2025, 3, 30, 0), paris(2025, 3, 31, 0)
    ) == (23 * 60)


def test_several_openings_in_a_day_leave_the_lunch_break_out(db: None) -> None:
    split = BusinessCalendar.objects.create(
        name="Boutique",
        hours={"0": [["09:00", "12:00"], ["14:00", "18:00"]]},
    )
    monday = paris(2025, 11, 17, 11)
    assert calendars.add_business_minutes(split, monday, 90) == paris(2025, 11, 17, 14, 30)
    assert not calendars.is_open(split, paris(2025, 11, 17, 13))
    assert calendars.next_opening(split, paris(2025, 11, 17, 13)) == paris(2025, 11, 17, 14)
    assert calendars.next_opening(split, paris(2025, 11, 17, 19)) == paris(2025, 11, 24, 9)


def test_business_minutes_between_two_moments_count_only_open_time(
    office_calendar: BusinessCalendar,
) -> None:
    start, end = paris(2025, 11, 14, 17), paris(2025, 11, 17, 10)
    assert calendars.business_minutes_between(office_calendar, start, end) == 120
    assert calendars.business_minutes_between(office_calendar, end, start) == -120


def test_without_a_default_calendar_the_built_in_hours_apply(db: None) -> None:
    # Built in: Saturday 9:00-18:00, closed on Sunday.
    assert calendars.add_business_minutes(None, paris(2025, 11, 15, 17), 120) == paris(
        2025, 11, 17, 9
    )


def test_the_customer_is_told_the_truth_on_a_holiday(office_calendar: BusinessCalendar) -> None:
    christmas = availability(paris(2026, 12, 25, 10))
    assert christmas.open_now is False
    assert christmas.next_opening == paris(2026, 12, 28, 9)  # Saturday and Sunday are closed too
    assert availability(paris(2026, 12, 24, 10)).open_now is True


def test_a_calendar_that_never_opens_says_so(db: None) -> None:
    closed = BusinessCalendar.objects.create(name="Closed", hours={})
    with pytest.raises(ValueError, match="never opens"):
        calendars.next_opening(closed, paris(2025, 11, 17, 9))
    with pytest.raises(ValueError, match="too few opening hours"):
        calendars.add_business_minutes(closed, paris(2025, 11, 17, 9), 1)
    Holiday.objects.create(calendar=closed, date=paris(2025, 11, 17, 9).date())
    assert calendars.add_business_minutes(closed, paris(2025, 11, 17, 9), 0) == paris(
        2025, 11, 17, 9
    )


def test_only_the_calendar_marked_default_is_the_default(
    office_calendar: BusinessCalendar, round_the_clock: BusinessCalendar
) -> None:
    assert calendars.default_calendar() == office_calendar
    assert calendars.default_schedule().holidays == {
        paris(2025, 6, 9, 0).date(),
        paris(2026, 12, 25, 0).date(),
    }


@pytest.mark.django_db
def test_the_week_in_words_follows_the_calendar_in_each_language() -> None:
    BusinessCalendar.objects.create(
        name="Shop",
        hours={
            "0": ["09:00", "18:00"],
            "1": ["09:00", "18:00"],
            "2": [["09:00", "12:00"], ["14:00", "18:00"]],
            "5": ["10:00", "24:00"],
        },
        is_default=True,
    )

    with translation.override("fr"):
        french = week_in_words()
    with translation.override("en"):
        english = week_in_words()

    assert (
        french
        == f"du lundi au mardi 09:00{D}18:00, mercredi 09:00{D}12:00, 14:00{D}18:00, samedi 10:00{D}24:00"
    )
    assert english.startswith(f"Monday to Tuesday 09:00{D}18:00, Wednesday")


@pytest.mark.django_db
def test_every_page_tells_the_real_opening_hours(client: Any) -> None:
    BusinessCalendar.objects.create(name="Shop", hours={"5": ["10:00", "12:00"]}, is_default=True)

    html = client.get("/fr/").content.decode()

    assert f"Nos conseillers répondent samedi 10:00{D}12:00." in html
