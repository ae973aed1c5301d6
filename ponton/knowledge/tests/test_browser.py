"""The help center in a real Chromium: the pages that matter, as a customer sees them.

Skipped when Debian's Chromium is not installed, unless PONTON_REQUIRE_BROWSER=1
(as in CI), where its absence is a failure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ponton.conftest import KB, PHONE, exits_in_viewport_js
from ponton.conversations.models import Conversation, State

pytestmark = pytest.mark.browser

EXITS_IN_VIEWPORT = exits_in_viewport_js("")


def test_a_visitor_searches_reads_says_no_and_reaches_a_person(
    page: Any, live_server: Any, kb: KB
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/fr/")
    page.locator("#q").fill("mot de pase oublie")
    page.locator("#q").press("Enter")
    page.wait_for_url("**/fr/search?q=*")

    first = page.locator("ol.results li a").first
    expect(first).to_contain_text(kb.password_fr.title)
    first.click()
    page.wait_for_url(f"**/fr/a/{kb.password_fr.slug}/?q=*")
    expect(page.locator("h1")).to_have_text(kb.password_fr.title)

    page.locator('#feedback button[name="helpful"][value="no"]').click()
    page.wait_for_url("**feedback=no*")
    exit_link = page.locator("#feedback [data-human-exit]")
    expect(exit_link).to_be_visible()
    expect(exit_link).to_be_in_viewport()

    exit_link.click()
    page.wait_for_url("**/fr/contact/")
    page.locator("#id_email").fill("claire@example.net")
    page.locator("#id_text").fill("Je ne reçois pas l'e-mail de réinitialisation.")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/fr/contact/sent/")

    conversation = Conversation.objects.get()
    expect(page.locator("h1")).to_contain_text(str(conversation.pk))
    assert conversation.state == State.WAITING_HUMAN
    assert (
        conversation.messages.get(author="customer").text
        == "Je ne reçois pas l'e-mail de réinitialisation."
    )
    assert [s["query"] for s in conversation.context["searches"]] == ["mot de pase oublie"]
    assert {a["article"] for a in conversation.context["articles_viewed"]} == {kb.password.pk}
    assert [f["helpful"] for f in conversation.context["feedback"]] == [False]


def test_the_language_switch_takes_a_french_visitor_to_the_english_help_center(
    page: Any, live_server: Any, kb: KB
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/fr/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.locator('form.langswitch button[value="en"]').click()
    page.wait_for_url(f"{live_server.url}/en/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".topbar [data-human-exit]")).to_contain_text("Talk to a person")
    # The choice sticks: the next page is English too.
    page.goto(f"{live_server.url}/search?q=password")
    page.wait_for_url("**/en/search?q=password")


def test_on_a_phone_the_home_page_shows_the_way_to_a_person_without_scrolling(
    browser: Any, live_server: Any, kb: KB, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    try:
        phone = context.new_page()
        phone.goto(f"{live_server.url}/fr/")
        expect(phone.locator("[data-human-exit]").first).to_be_attached()
        assert phone.evaluate("window.scrollY") == 0
        assert phone.evaluate(EXITS_IN_VIEWPORT) >= 1
        # Nothing wider than the screen: no sideways scrolling either.
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot = artifacts / "home-phone-fr.png"
        phone.screenshot(path=str(screenshot))
        assert screenshot.stat().st_size > 0
    finally:
        context.close()


def test_typing_in_the_search_box_shows_suggestions(page: Any, live_server: Any, kb: KB) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/fr/")
    box = page.locator("#q")
    box.press_sequentially("mot de pa", delay=40)
    expect(page.locator("ul.suggest li", has_text=kb.password_fr.title)).to_be_visible()
    expect(page.locator("ul.suggest li", has_text=kb.wifi_password_fr.title)).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")

    box.press_sequentially("sse oub", delay=40)
    suggestion = page.locator("ul.suggest li").first
    expect(suggestion).to_have_text(kb.password_fr.title)
    expect(page.locator("ul.suggest li")).to_have_count(1)

    box.press("ArrowDown")
    expect(suggestion).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    page.wait_for_url(f"**/fr/a/{kb.password_fr.slug}/")
