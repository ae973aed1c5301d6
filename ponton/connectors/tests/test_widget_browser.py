"""The chat widget in a real Chromium, on the help center's own pages.

Skipped when Debian's Chromium is not installed, unless PONTON_REQUIRE_BROWSER=1
(as in CI), where its absence is a failure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ponton.conftest import KB, PHONE, exits_in_viewport_js
from ponton.conversations.models import Author, Conversation, State

pytestmark = pytest.mark.browser

QUESTION = "j'ai oublié mon mot de passe"
PANEL_EXITS_IN_VIEWPORT = exits_in_viewport_js("#pw-panel")


def _open_widget(page: Any) -> Any:
    from playwright.sync_api import expect

    page.get_by_role("button", name="Besoin d'aide ?").click()
    panel = page.locator("#pw-panel")
    expect(panel).to_be_visible()
    return panel


def _ask(page: Any, panel: Any, question: str) -> None:
    panel.locator("#pw-input").fill(question)
    panel.locator("#pw-input").press("Enter")


def test_a_visitor_asks_the_widget_gets_an_answer_and_reaches_a_person_in_one_click(
    page: Any, live_server: Any, kb: KB
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/fr/")
    panel = _open_widget(page)
    expect(panel.locator(".pw-title")).to_have_text("Assistant automatique")
    expect(panel.locator(".pw-log")).to_contain_text("assistant automatique")

    _ask(page, panel, QUESTION)

    article = panel.locator("a.pw-article")
    expect(article).to_have_text(kb.password_fr.title)
    expect(article).to_have_attribute("href", f"{live_server.url}/fr/a/{kb.password_fr.slug}/")
    expect(panel.locator(".pw-customer")).to_contain_text(QUESTION)
    assert page.evaluate(PANEL_EXITS_IN_VIEWPORT) >= 1

    panel.locator(".pw-head [data-human-exit]").click()
    expect(panel.locator(".pw-status")).to_contain_text("Un conseiller va vous répondre ici.")
    expect(panel.locator(".pw-system")).to_be_visible()

    conversation = Conversation.objects.get()
    assert conversation.state == State.WAITING_HUMAN
    transcript = conversation.context["transcript"]
    assert transcript[0] == {**transcript[0], "author": Author.CUSTOMER, "text": QUESTION}
    # The assistant's earlier choices are history once a person owns the conversation.
    expect(panel.locator(".pw-choice:not(.pw-choice-human)").first).to_be_disabled()

    page.reload()

    panel = page.locator("#pw-panel")
    expect(panel).to_be_visible()  # it was open: it opens again
    expect(panel.locator(".pw-customer").first).to_contain_text(QUESTION)
    expect(panel.locator("a.pw-article")).to_have_text(kb.password_fr.title)
    expect(panel.locator(".pw-system")).to_have_count(1)
    expect(panel.locator(".pw-status")).to_contain_text("Un conseiller va vous répondre ici.")
    assert Conversation.objects.count() == 1


def test_a_visitor_who_opens_the_widget_and_asks_for_a_person_at_once_gets_one(
    page: Any, live_server: Any, kb: KB
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/fr/a/{kb.invoice_fr.slug}/")
    panel = _open_widget(page)

    panel.locator(".pw-head [data-human-exit]").click()

    expect(panel.locator(".pw-status")).to_contain_text("Un conseiller va vous répondre ici.")
    conversation = Conversation.objects.get()
    assert conversation.state == State.WAITING_HUMAN
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert conversation.visitor_id == cookies["ponton_visitor"]
    assert conversation.context["articles_viewed"][0]["article"] == kb.invoice.pk


def test_after_saying_it_is_solved_the_widgets_way_to_a_person_still_works(
    page: Any, live_server: Any, kb: KB
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/fr/")
    panel = _open_widget(page)
    _ask(page, panel, QUESTION)
    resolved = panel.locator(".pw-choice").filter(has_text="Oui")
    resolved.click()
    expect(panel.locator(".pw-status")).not_to_be_empty()
    assert Conversation.objects.get().state == State.CLOSED

    with page.expect_response(lambda r: "/api/v1/chat/conversations" in r.url) as sent:
        panel.locator(".pw-head [data-human-exit]").click()

    assert sent.value.status == 201


def test_on_a_phone_the_open_widget_fills_the_screen_with_the_exit_in_view(
    browser: Any, live_server: Any, kb: KB, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="fr-FR"
    )
    context.set_default_timeout(10_000)
    try:
        phone = context.new_page()
        phone.goto(f"{live_server.url}/fr/")
        panel = _open_widget(phone)
        _ask(phone, panel, QUESTION)
        expect(panel.locator("a.pw-article")).to_be_visible()

        box = panel.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]
        assert phone.evaluate(PANEL_EXITS_IN_VIEWPORT) >= 1
        expect(panel.locator("#pw-input")).to_be_in_viewport()
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        screenshot = artifacts / "widget-phone.png"
        phone.screenshot(path=str(screenshot))
        assert screenshot.stat().st_size > 0
    finally:
        context.close()
