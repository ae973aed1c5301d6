"""The number is visible: on the help center, the contact page, the portal and in the
widget, with the real opening hours and the wait now; nothing when none is configured."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ponton.conftest import has_human_exit
from ponton.conversations.calendars import DASH

PAGES = ["/fr/", "/fr/contact/", "/fr/account/"]


@pytest.mark.usefixtures("open_hours")
@pytest.mark.parametrize("path", PAGES)
def test_customer_pages_show_the_number_with_hours_and_wait(
    client: Client, kb: Any, customer: Any, online: Any, path: str
) -> None:
    client.force_login(customer)
    page = client.get(path).content.decode()
    assert "data-phone-line" in page
    assert 'href="tel:+33-1-99-00-12-34"' in page and "01 99 00 12 34" in page
    assert "Ouvert · attente d'environ 6 minutes" in page  # one advisor online, nobody waiting
    assert f"du lundi au vendredi 08:00{DASH}20:00, samedi 09:00{DASH}18:00" in page  # footer
    assert has_human_exit(page)


@pytest.mark.usefixtures("closed_hours")
def test_when_nobody_can_answer_a_callback_is_offered(client: Client, kb: Any) -> None:
    page = client.get("/fr/contact/").content.decode()
    assert "Fermé · les conseillers reviennent lundi 17 mars, 08:00" in page
    assert 'href="/fr/account/callback/"' in page


@pytest.mark.parametrize("path", PAGES)
def test_nothing_phone_related_shows_without_a_number(
    client: Client, kb: Any, customer: Any, settings: Any, path: str
) -> None:
    settings.PONTON_SUPPORT_PHONE = ""
    client.force_login(customer)
    page = client.get(path).content.decode()
    assert "data-phone-line" not in page and "tel:" not in page


@pytest.mark.usefixtures("open_hours")
def test_the_widget_reads_the_line_from_the_api(client: Client, online: Any, settings: Any) -> None:
    line = client.get("/api/v1/voice/line").json()
    assert line == {
        "number": "01 99 00 12 34",
        "tel": "tel:+33-1-99-00-12-34",
        "open_now": True,
        "next_opening": "2025-03-11T10:00:00+01:00",
        "expected_wait_minutes": 6,
        "callback_offered": False,
    }
    settings.PONTON_SUPPORT_PHONE = ""
    assert client.get("/api/v1/voice/line").json()["number"] is None


def test_the_phone_operations_are_in_the_openapi_document(client: Client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("incoming", "menu/{step}", "status", "bridge/{callback_id}", "events", "line"):
        assert f"/api/v1/voice/{path}" in paths


def test_the_not_found_page_shows_the_number_without_reading_the_database(
    client: Client, db: None, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        page = client.get("/no-such-page")
    assert page.status_code == 404
    assert "01 99 00 12 34" in page.content.decode()
