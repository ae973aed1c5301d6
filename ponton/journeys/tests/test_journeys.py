"""The journey log: sessions, the visitor cookie, sign-in, the customer timeline."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.utils import timezone

from ponton.conftest import KB
from ponton.journeys.consent import CONSENT_COOKIE, VISITOR_COOKIE
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.journeys.services import claim_visitor_events, record_event, timeline

VISITOR = str(uuid.uuid4())


def test_events_less_than_30_minutes_apart_share_a_session(db: None) -> None:
    start = timezone.now() - timedelta(hours=2)
    first = record_event(EventKind.SEARCH, visitor_id=VISITOR, occurred_at=start)
    second = record_event(
        EventKind.ARTICLE_VIEW, visitor_id=VISITOR, occurred_at=start + timedelta(minutes=20)
    )
    third = record_event(
        EventKind.ARTICLE_FEEDBACK, visitor_id=VISITOR, occurred_at=start + timedelta(minutes=49)
    )
    assert first.session_id == second.session_id == third.session_id


def test_an_event_more_than_30_minutes_after_the_last_starts_a_new_session(db: None) -> None:
    start = timezone.now() - timedelta(hours=2)
    first = record_event(EventKind.SEARCH, visitor_id=VISITOR, occurred_at=start)
    later = record_event(
        EventKind.SEARCH, visitor_id=VISITOR, occurred_at=start + timedelta(minutes=31)
    )
    again = record_event(
        EventKind.ARTICLE_VIEW, visitor_id=VISITOR, occurred_at=start + timedelta(minutes=40)
    )
    assert later.session_id != first.session_id
    assert again.session_id == later.session_id


def test_events_exactly_30_minutes_apart_are_two_sessions(db: None) -> None:
    start = timezone.now() - timedelta(hours=2)
    first = record_event(EventKind.SEARCH, visitor_id=VISITOR, occurred_at=start)
    second = record_event(
        EventKind.SEARCH, visitor_id=VISITOR, occurred_at=start + timedelta(minutes=30)
    )
    assert first.session_id != second.session_id


def test_two_visitors_never_share_a_session(db: None) -> None:
    now = timezone.now()
    mine = record_event(EventKind.SEARCH, visitor_id=VISITOR, occurred_at=now)
    theirs = record_event(EventKind.SEARCH, visitor_id=str(uuid.uuid4()), occurred_at=now)
    assert mine.session_id != theirs.session_id


def test_events_without_a_visitor_or_customer_each_get_their_own_session(db: None) -> None:
    now = timezone.now()
    assert (
        record_event(EventKind.SEARCH, occurred_at=now).session_id
        != record_event(EventKind.SEARCH, occurred_at=now).session_id
    )


def test_the_steps_of_a_chat_without_a_visitor_cookie_share_one_session(db: None) -> None:
    start = timezone.now() - timedelta(hours=1)
    first = record_event(EventKind.MESSAGE, data={"conversation": 7}, occurred_at=start)
    turn = record_event(
        EventKind.ASSISTANT_TURN,
        data={"conversation": 7},
        occurred_at=start + timedelta(minutes=1),
    )
    other_chat = record_event(
        EventKind.MESSAGE, data={"conversation": 8}, occurred_at=start + timedelta(minutes=1)
    )
    much_later = record_event(
        EventKind.MESSAGE, data={"conversation": 7}, occurred_at=start + timedelta(minutes=40)
    )
    assert first.session_id == turn.session_id
    assert other_chat.session_id != first.session_id
    assert much_later.session_id != first.session_id


def test_a_customers_events_share_a_session_across_browsers(db: None, customer) -> None:
    now = timezone.now()
    phone = record_event(
        EventKind.SEARCH, visitor_id=str(uuid.uuid4()), customer=customer, occurred_at=now
    )
    laptop = record_event(
        EventKind.ARTICLE_VIEW,
        visitor_id=str(uuid.uuid4()),
        customer=customer,
        occurred_at=now + timedelta(minutes=5),
    )
    assert phone.session_id == laptop.session_id


def test_staff_browsing_the_help_center_are_not_recorded_as_customers(db: None, agent) -> None:
    event = record_event(EventKind.ARTICLE_VIEW, visitor_id=VISITOR, customer=agent)
    assert event.customer is None
    assert event.visitor_id == VISITOR


def test_an_anonymous_user_object_is_not_recorded_as_a_customer(db: None) -> None:
    assert (
        record_event(EventKind.SEARCH, visitor_id=VISITOR, customer=AnonymousUser()).customer
        is None
    )


def test_claiming_gives_the_visitors_anonymous_events_to_the_customer(
    db: None, customer, other_customer
) -> None:
    record_event(EventKind.SEARCH, visitor_id=VISITOR, data={"query": "facture"})
    record_event(EventKind.ARTICLE_VIEW, visitor_id=VISITOR)
    someone_else = record_event(EventKind.SEARCH, visitor_id=str(uuid.uuid4()))
    already_owned = record_event(EventKind.SEARCH, visitor_id=VISITOR, customer=other_customer)

    assert claim_visitor_events(visitor_id=VISITOR, customer=customer) == 2
    assert JourneyEvent.objects.filter(customer=customer).count() == 2
    someone_else.refresh_from_db()
    already_owned.refresh_from_db()
    assert someone_else.customer is None
    assert already_owned.customer == other_customer


def test_staff_never_claim_a_visitors_events(db: None, agent) -> None:
    record_event(EventKind.SEARCH, visitor_id=VISITOR)
    assert claim_visitor_events(visitor_id=VISITOR, customer=agent) == 0
    assert claim_visitor_events(visitor_id="", customer=agent) == 0
    assert JourneyEvent.objects.get().customer is None


def test_a_consenting_browser_gets_a_visitor_cookie_once(client: Client, kb: KB) -> None:
    client.cookies[CONSENT_COOKIE] = "accepted"
    response = client.get("/fr/")
    cookie = response.cookies[VISITOR_COOKIE]
    uuid.UUID(cookie.value)
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert VISITOR_COOKIE not in client.get("/fr/").cookies
    assert client.cookies[VISITOR_COOKIE].value == cookie.value


def test_a_forged_visitor_cookie_is_replaced(client: Client, kb: KB) -> None:
    client.cookies[CONSENT_COOKIE] = "accepted"
    client.cookies[VISITOR_COOKIE] = "'; DROP TABLE journeys_journeyevent; --"
    response = client.get("/fr/")
    uuid.UUID(response.cookies[VISITOR_COOKIE].value)
    assert JourneyEvent.objects.get().visitor_id == response.cookies[VISITOR_COOKIE].value


def test_the_api_sets_no_visitor_cookie(client: Client, kb: KB) -> None:
    assert VISITOR_COOKIE not in client.get("/api/v1/articles", {"q": "facture"}).cookies


def test_signing_in_claims_what_a_consenting_visitor_did_before(
    client: Client, kb: KB, customer, password: str
) -> None:
    client.cookies[CONSENT_COOKIE] = "accepted"
    client.get("/fr/search", {"q": "facture"})
    client.get(f"/fr/a/{kb.invoice_fr.slug}/")
    before = list(JourneyEvent.objects.order_by("id"))
    assert all(e.customer is None for e in before)

    response = client.post("/fr/accounts/login/", {"username": "claire", "password": password})
    assert response.status_code == 302
    client.get(f"/fr/a/{kb.password_fr.slug}/")

    events = list(timeline(customer))
    assert [e.kind for e in events] == [
        EventKind.SEARCH,
        EventKind.ARTICLE_VIEW,
        EventKind.ARTICLE_VIEW,
    ]
    assert events[:2] == before
    assert len({e.session_id for e in events}) == 1


def test_timeline_lists_only_the_customers_events_oldest_first(
    db: None, customer, other_customer
) -> None:
    now = timezone.now()
    late = record_event(
        EventKind.ARTICLE_VIEW, customer=customer, occurred_at=now - timedelta(hours=1)
    )
    early = record_event(EventKind.SEARCH, customer=customer, occurred_at=now - timedelta(days=3))
    record_event(EventKind.SEARCH, customer=other_customer, occurred_at=now - timedelta(hours=2))
    assert list(timeline(customer)) == [early, late]
    assert list(timeline(customer, since=now - timedelta(days=1))) == [late]
    assert [e.customer for e in timeline(other_customer)] == [other_customer]
