"""The visitor cookie only with consent: before it and after a refusal, the visit is
measured anonymously (one session, the KPIs' events) and never joined to an account."""

from __future__ import annotations

from django.test import Client

from ponton.conftest import KB, has_human_exit, human_exits
from ponton.journeys.consent import CONSENT_COOKIE, VISIT_COOKIE, VISITOR_COOKIE
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.journeys.services import timeline


def _sign_in(client: Client, password: str) -> None:
    response = client.post("/fr/accounts/login/", {"username": "claire", "password": password})
    assert response.status_code == 302


def _choose(client: Client, choice: str, next: str = "/fr/") -> None:
    response = client.post("/fr/privacy/choice/", {"choice": choice, "next": next})
    assert response.status_code == 302
    assert response["Location"] == next


def test_no_visitor_cookie_before_consent_only_a_visit_that_ends_with_the_session(
    client: Client, kb: KB
) -> None:
    response = client.get("/fr/")

    assert VISITOR_COOKIE not in response.cookies
    visit = response.cookies[VISIT_COOKIE]
    assert visit["max-age"] == 1800
    assert visit["httponly"] and visit["samesite"] == "Lax"
    html = response.content.decode()
    assert "data-consent-banner" in html
    assert 'value="accept"' in html and 'value="refuse"' in html
    assert "/fr/privacy/" in html
    assert has_human_exit(html)


def test_without_consent_the_kpi_events_are_still_counted_in_one_session(
    client: Client, kb: KB
) -> None:
    client.get("/fr/search", {"q": "facture"})
    client.get(f"/fr/a/{kb.invoice_fr.slug}/")
    # Each page pushes the end of the visit further.
    assert client.get("/fr/").cookies[VISIT_COOKIE]["max-age"] == 1800

    events = list(JourneyEvent.objects.order_by("id"))
    assert {EventKind.SEARCH, EventKind.ARTICLE_VIEW, EventKind.PAGE_VIEW} <= {
        e.kind for e in events
    }
    assert len({e.session_id for e in events}) == 1
    assert {e.visitor_id for e in events} == {client.cookies[VISIT_COOKIE].value}
    assert all(e.customer is None for e in events)


def test_refusing_sets_no_visitor_cookie_and_signing_in_joins_nothing(
    client: Client, kb: KB, customer, password: str
) -> None:
    client.get("/fr/search", {"q": "facture"})
    _choose(client, "refuse", next="/fr/search?q=facture")
    assert client.cookies[CONSENT_COOKIE].value == "refused"
    assert not client.cookies.get(VISITOR_COOKIE) or not client.cookies[VISITOR_COOKIE].value
    page = client.get(f"/fr/a/{kb.invoice_fr.slug}/")
    assert VISITOR_COOKIE not in page.cookies
    assert "data-consent-banner" not in page.content.decode()  # the refusal is remembered

    _sign_in(client, password)
    client.get(f"/fr/a/{kb.password_fr.slug}/")

    anonymous = JourneyEvent.objects.filter(customer__isnull=True)
    assert {e.kind for e in anonymous} == {EventKind.SEARCH, EventKind.ARTICLE_VIEW}
    assert [e.kind for e in timeline(customer)] == [EventKind.ARTICLE_VIEW]


def test_accepting_sets_the_visitor_cookie_and_signing_in_joins_what_followed(
    client: Client, kb: KB, customer, password: str
) -> None:
    client.get("/fr/search", {"q": "mot de passe"})  # measured before consent: stays apart
    _choose(client, "accept")
    assert client.cookies[CONSENT_COOKIE].value == "accepted"
    visitor = client.cookies[VISITOR_COOKIE]
    assert visitor["max-age"] == 365 * 24 * 3600
    client.get("/fr/search", {"q": "facture"})
    client.get(f"/fr/a/{kb.invoice_fr.slug}/")

    _sign_in(client, password)

    joined = list(timeline(customer))
    assert [e.kind for e in joined] == [EventKind.SEARCH, EventKind.ARTICLE_VIEW]
    assert {e.visitor_id for e in joined} == {visitor.value}
    assert joined[0].data["query"] == "facture"
    before = JourneyEvent.objects.get(customer__isnull=True, kind=EventKind.SEARCH)
    assert before.data["query"] == "mot de passe"


def test_consent_is_revocable_from_the_page_every_footer_links_to(
    client: Client, kb: KB, customer, password: str
) -> None:
    _choose(client, "accept")
    footer = client.get("/fr/").content.decode()
    assert 'href="/fr/privacy/"' in footer
    page = client.get("/fr/privacy/")
    assert page.status_code == 200
    assert 'aria-pressed="true"' in page.content.decode()

    _choose(client, "refuse", next="/fr/privacy/")
    assert client.cookies[CONSENT_COOKIE].value == "refused"
    assert client.cookies[VISITOR_COOKIE].value == ""  # deleted
    client.get("/fr/search", {"q": "facture"})
    _sign_in(client, password)
    assert not timeline(customer).exists()


def test_the_banner_and_the_privacy_page_speak_french_and_english(client: Client, kb: KB) -> None:
    french = client.get("/fr/").content.decode()
    assert ">Accepter</button>" in french and ">Refuser</button>" in french
    english = client.get("/en/").content.decode()
    assert ">Accept</button>" in english and ">Refuse</button>" in english
    for lang in ("fr", "en"):
        page = client.get(f"/{lang}/privacy/").content.decode()
        assert "ponton_visit" in page and "ponton_visitor" in page and "30 minutes" in page
        assert "395" in page  # the retention period configured
        assert human_exits(page)


def test_a_choice_that_is_neither_is_refused_and_a_foreign_next_is_not_followed(
    client: Client, kb: KB
) -> None:
    response = client.post("/fr/privacy/choice/", {"choice": "maybe"})
    assert response.status_code == 400
    assert CONSENT_COOKIE not in response.cookies
    response = client.post(
        "/fr/privacy/choice/", {"choice": "refuse", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/fr/privacy/"
    assert client.get("/fr/privacy/choice/").status_code == 405


def test_a_forged_consent_cookie_counts_as_no_answer(client: Client, kb: KB) -> None:
    client.cookies[CONSENT_COOKIE] = "yes please"
    response = client.get("/fr/")
    assert VISITOR_COOKIE not in response.cookies
    assert "data-consent-banner" in response.content.decode()
