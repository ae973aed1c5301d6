"""The screen-pop, in a real Chromium window: a phone system says a call rings for an
agent, and their inbox shows who calls, with the caller's packet and journey, before
they pick up; the ended call is then in the conversation and the journey."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from ponton.accounts.services import create_api_token
from ponton.conftest import DESKTOP, PASSWORD
from ponton.connectors.voice.models import Call
from ponton.connectors.voice.tests.conftest import CLAIRE_PHONE
from ponton.journeys.models import EventKind
from ponton.journeys.services import record_event

pytestmark = pytest.mark.browser


def test_an_agent_sees_a_screen_pop_arrive_live_and_the_ended_call_in_the_conversation(
    browser: Any, asgi_server: str, caller: Any, agent: Any, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    record_event(EventKind.SEARCH, customer=caller, data={"query": "box clignote", "results": 2})
    token = create_api_token(agent)

    def phone_system(**body: Any) -> None:
        response = httpx.post(
            f"{asgi_server}/api/v1/voice/events",
            json={
                "call_id": "pbx-77",
                "from": CLAIRE_PHONE,
                "to": "3900",
                "agent": "karim",
                **body,
            },
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text

    page = browser.new_context(viewport=DESKTOP, locale="fr-FR").new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{asgi_server}/fr/accounts/login/?next=/fr/agent/")
    page.fill("input[name=username]", agent.username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("[data-live-state]")).to_have_text("En direct")
    pop = page.locator("[data-screen-pop]")
    expect(pop).to_be_hidden()

    phone_system(event="ringing")  # no reload: the push brings it
    expect(pop).to_be_visible()
    expect(pop).to_contain_text("Appel entrant : Claire Martin")
    expect(pop).to_contain_text("40012345")
    expect(pop).to_contain_text("box clignote")
    page.screenshot(path=str(artifacts / "voice-screen-pop.png"), full_page=True)

    phone_system(event="answered")
    expect(pop).to_contain_text("En ligne : Claire Martin")
    phone_system(event="ended", duration=245)
    expect(pop).to_be_hidden()

    call = Call.objects.get(sid="pbx-77")
    page.goto(f"{asgi_server}/fr/agent/c/{call.conversation_id}/")
    record = page.locator(f"[data-call-record='{call.pk}']")
    expect(record).to_contain_text("4 min 05 s")
    expect(record).to_contain_text("Karim Benali")
    expect(page.locator(".thread")).to_contain_text("Appel entrant, 4 min 05 s, Karim Benali")
    page.locator("details", has_text="Parcours récent").locator("summary").click()
    expect(page.locator(".journey")).to_contain_text("Appel téléphonique")
    page.screenshot(path=str(artifacts / "voice-call-record.png"), full_page=True)
    page.wait_for_load_state("networkidle")  # no request left half-way when the server stops
    page.context.close()
