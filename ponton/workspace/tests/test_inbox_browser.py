"""The bridge seen from both ends, in real Chromium windows: a customer's chat is
handed off, the agent's inbox shows it live, the agent reads the packet and
answers, the customer reads the answer in the widget."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ponton.conftest import DESKTOP, KB, PASSWORD, PHONE
from ponton.conversations.models import Conversation, State
from ponton.journeys.models import JourneyEvent

pytestmark = pytest.mark.browser

ANGRY = "C'est INADMISSIBLE, ma facture est encore fausse ce mois-ci !!!"


def _sign_in(page: Any, server: str, username: str) -> None:
    page.goto(f"{server}/fr/accounts/login/?next=/fr/agent/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_an_agent_sees_a_handoff_arrive_live_reads_the_packet_and_answers_the_widget(
    browser: Any, asgi_server: str, kb: KB, agent: Any, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    agent_page = browser.new_context(viewport=DESKTOP, locale="fr-FR").new_page()
    customer_page = browser.new_context(viewport=PHONE, locale="fr-FR").new_page()
    for page in (agent_page, customer_page):
        page.set_default_timeout(10_000)

    _sign_in(agent_page, asgi_server, agent.username)
    expect(agent_page.locator("h1")).to_have_text("Boîte de réception")
    expect(agent_page.locator("[data-live-state]")).to_have_text("En direct")
    expect(agent_page.locator("[data-conversation]")).to_have_count(0)

    customer_page.goto(f"{asgi_server}/fr/")
    customer_page.get_by_role("button", name="Besoin d'aide ?").click()
    panel = customer_page.locator("#pw-panel")
    panel.locator("#pw-input").fill(ANGRY)
    panel.locator("#pw-input").press("Enter")
    expect(panel.locator(".pw-system")).to_be_visible()
    conversation = Conversation.objects.get()
    assert conversation.state == State.WAITING_HUMAN

    # No reload: the push brings it, with the reason and a notice.
    item = agent_page.locator(f"[data-conversation='{conversation.pk}']")
    expect(item).to_contain_text("Colère ou frustration")
    expect(agent_page.locator("[data-notice]")).to_contain_text(f"#{conversation.pk}")
    agent_page.screenshot(path=str(artifacts / "inbox-live-handoff.png"), full_page=True)

    item.locator("a").click()
    packet = agent_page.locator("[data-packet]")
    expect(packet).to_contain_text("Colère ou frustration")
    expect(packet).to_contain_text("INADMISSIBLE")
    agent_page.fill(
        "[data-reply]", "Bonjour, je suis Karim. Je corrige votre facture tout de suite."
    )
    agent_page.get_by_role("button", name="Envoyer").click()
    expect(agent_page.locator(".msg-agent")).to_contain_text("Je corrige votre facture")
    agent_page.screenshot(path=str(artifacts / "inbox-conversation.png"), full_page=True)

    expect(panel.locator(".pw-log")).to_contain_text("Je corrige votre facture", timeout=15_000)
    customer_page.screenshot(path=str(artifacts / "widget-agent-reply.png"))

    # The customer answers: the agent's page shows it without reloading.
    panel.locator("#pw-input").fill("Merci beaucoup !")
    panel.locator("#pw-input").press("Enter")
    expect(agent_page.locator(".msg-customer").last).to_contain_text("Merci beaucoup")
    conversation.refresh_from_db()
    assert conversation.state == State.WITH_HUMAN

    # The agent marks it solved; the customer rates it from the chat.
    head = agent_page.locator("[data-head]")
    head.locator("select[name=status]").select_option("solved")
    head.get_by_role("button", name="Appliquer").click()
    rate = panel.get_by_role("link", name="Noter cette conversation")
    expect(rate).to_be_visible(timeout=15_000)
    with customer_page.context.expect_page() as opened:
        rate.click()
    survey = opened.value
    survey.wait_for_load_state()
    survey.locator("fieldset").nth(0).locator("label").filter(has_text="5").click()
    survey.locator("fieldset").nth(1).locator("label").filter(has_text="6").click()
    survey.get_by_role("button", name="Envoyer ma réponse").click()
    expect(survey.locator("h1")).to_have_text("Merci !")
    answers = JourneyEvent.objects.filter(kind="survey_answer", data__conversation=conversation.pk)
    assert {(e.data["survey"], e.data["score"], e.data["resolved_by"]) for e in answers} == {
        ("csat", 5, "person"),
        ("ces", 6, "person"),
    }
    agent_page.context.close()
    customer_page.context.close()
