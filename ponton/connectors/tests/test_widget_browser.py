"""The chat widget in a real Chromium, on the help center's own pages.

Skipped when Debian's Chromium is not installed, unless PONTON_REQUIRE_BROWSER=1
(as in CI), where its absence is a failure.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ponton.accounts.models import User
from ponton.conftest import KB, PASSWORD, PHONE, exits_in_viewport_js, off_loop
from ponton.conversations import lifecycle
from ponton.conversations.models import Author, Conversation, State, Status

pytestmark = pytest.mark.browser

QUESTION = "j'ai oublié mon mot de passe"
PARIS = ZoneInfo("Europe/Paris")
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
    assert conversation.visitor_id == cookies["ponton_visit"]
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


# What the customer meets after a handoff -------------------------------------------------


def test_writing_in_a_solved_chat_reopens_it_in_place_with_the_advisor_who_handled_it(
    page: Any, live_server: Any, kb: KB, agent: User
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/fr/")
    panel = _open_widget(page)
    panel.locator(".pw-head [data-human-exit]").click()
    expect(panel.locator(".pw-status")).to_contain_text("Un conseiller va vous répondre ici.")
    conversation = Conversation.objects.get()

    def solve() -> None:
        lifecycle.reply_as_agent(conversation, agent=agent, text="C'est réglé, bonne journée !")
        lifecycle.set_status(conversation, status=Status.SOLVED, by=agent)

    off_loop(solve)
    expect(panel.locator(".pw-agent")).to_contain_text("C'est réglé")
    expect(panel.locator(".pw-status")).to_contain_text("Écrivez ici pour la reprendre")

    _ask(page, panel, "En fait la connexion coupe encore")

    expect(panel.locator(".pw-system").last).to_contain_text(
        f"Votre demande est rouverte : {agent.first_name} vous répondra ici."
    )
    expect(panel.locator(".pw-status")).to_contain_text("Vous échangez avec un conseiller.")
    conversation.refresh_from_db()
    assert (conversation.state, conversation.status) == (State.WITH_HUMAN, Status.OPEN)
    assert conversation.assignee == agent
    assert Conversation.objects.count() == 1
    assert not conversation.messages.filter(author=Author.ASSISTANT).exists()


def test_an_anonymous_visitor_handed_to_a_person_may_leave_an_email_and_the_agent_sees_it(
    page: Any, live_server: Any, kb: KB, agent: User
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/fr/")
    panel = _open_widget(page)
    panel.locator(".pw-head [data-human-exit]").click()
    expect(panel.locator(".pw-system").first).to_contain_text(
        "gardez simplement cette page ouverte"
    )

    _ask(page, panel, "marie.dupont@exemple.fr")

    expect(panel.locator(".pw-system").last).to_contain_text(
        "Merci : nous vous répondrons aussi à marie.dupont@exemple.fr."
    )
    conversation = Conversation.objects.get()
    assert conversation.email == "marie.dupont@exemple.fr"
    agent_page = page.context.browser.new_page()
    try:
        agent_page.goto(f"{live_server.url}/fr/accounts/login/")
        agent_page.fill("input[name=username]", agent.username)
        agent_page.fill("input[name=password]", PASSWORD)
        with agent_page.expect_navigation():
            agent_page.locator("main form button[type=submit]").first.click()
        agent_page.goto(f"{live_server.url}/fr/agent/c/{conversation.pk}/")
        expect(agent_page.locator("a[href='mailto:marie.dupont@exemple.fr']")).to_be_visible()
    finally:
        agent_page.close()


def test_a_picked_choice_reads_as_the_sentence_the_customer_meant(
    page: Any, live_server: Any, kb: KB
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/fr/")
    panel = _open_widget(page)
    _ask(page, panel, QUESTION)
    panel.locator(".pw-choice").filter(has_text="Non").first.click()

    expect(panel.locator(".pw-customer").last).to_have_text(
        "Vous : Non, ça n'a pas résolu mon problème."
    )
    assert "[Non]" not in panel.locator(".pw-log").inner_text()


@time_machine.travel(datetime(2030, 3, 5, 22, 30, tzinfo=PARIS), tick=False)
def test_at_half_past_ten_the_widget_promises_only_what_is_true(
    page: Any, live_server: Any, kb: KB
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/fr/")
    panel = _open_widget(page)
    expect(panel.locator(".pw-log")).not_to_contain_text("à tout moment")

    panel.locator(".pw-head [data-human-exit]").click()

    expect(panel.locator(".pw-system").first).to_contain_text("Nos conseillers seront de retour le")


def test_when_the_server_is_briefly_unavailable_the_widget_sends_again_by_itself_once(
    page: Any, live_server: Any, kb: KB
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/fr/")
    panel = _open_widget(page)
    _ask(page, panel, QUESTION)
    expect(panel.locator("a.pw-article")).to_have_text(kb.password_fr.title)

    # The next send meets a database outage (503, as ponton.dbdown answers), then a network
    # drop; the third try reaches the server.
    bodies: list[str] = []

    def outage(route: Any) -> None:
        bodies.append(route.request.post_data)
        if len(bodies) == 1:
            route.fulfill(status=503, headers={"Retry-After": "1"}, json={"code": "unavailable"})
        elif len(bodies) == 2:
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/chat/conversations/*/messages", outage)
    _ask(page, panel, "Merci, et pour changer mon adresse ?")

    expect(panel.locator(".pw-customer")).to_have_count(2)
    expect(panel.locator(".pw-retry")).to_have_count(0)
    assert len(bodies) == 3
    assert len(set(bodies)) == 1  # the same message, with the same client_msg_id, each time
    conversation = Conversation.objects.get()
    assert conversation.messages.filter(author=Author.CUSTOMER).count() == 2
