"""The customer space and the surveys in a real Chromium.

Skipped when Debian's Chromium is not installed, unless PONTON_REQUIRE_BROWSER=1
(as in CI), where its absence is a failure.
"""

from __future__ import annotations

from typing import Any

import pytest

from ponton.accounts.models import User
from ponton.conftest import KB, PASSWORD
from ponton.conversations.models import Conversation, State
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.portal.tests.conftest import PNG

pytestmark = pytest.mark.browser


def test_a_customer_resolves_in_the_widget_then_rates_it_from_the_widget(
    page: Any, live_server: Any, kb: KB
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/fr/")
    page.get_by_role("button", name="Besoin d'aide ?").click()
    panel = page.locator("#pw-panel")
    panel.locator("#pw-input").fill("j'ai oublié mon mot de passe")
    panel.locator("#pw-input").press("Enter")
    panel.locator("button.pw-choice").filter(has_text="Oui").click()

    rate = panel.locator("a.pw-choice-link")
    expect(rate).to_have_text("Noter cette aide")
    with page.context.expect_page() as opened:
        rate.click()
    survey = opened.value
    survey.wait_for_load_state()
    expect(survey.locator("h1")).to_contain_text("Comment s'est passée")
    survey.locator("fieldset").nth(0).locator("label").filter(has_text="4").click()
    survey.locator("fieldset").nth(1).locator("label").filter(has_text="7").click()
    survey.get_by_label("Quelque chose à ajouter ? (facultatif)").fill("Très clair")
    survey.get_by_role("button", name="Envoyer ma réponse").click()

    expect(survey.locator("h1")).to_have_text("Merci !")
    conversation = Conversation.objects.get()
    assert conversation.state == State.CLOSED
    rated = JourneyEvent.objects.filter(kind=EventKind.SURVEY_ANSWER).order_by("id")
    assert [e.data for e in rated] == [
        {
            "conversation": conversation.pk,
            "resolved_by": "selfcare",
            "survey": "csat",
            "score": 4,
            "comment": "Très clair",
        },
        {"conversation": conversation.pk, "resolved_by": "selfcare", "survey": "ces", "score": 7},
    ]


def test_a_customer_writes_finds_her_request_and_replies_with_a_file(
    page: Any, live_server: Any, customer: User, tmp_path: Any
) -> None:
    from playwright.sync_api import expect

    photo = tmp_path / "voyant.png"
    photo.write_bytes(PNG)
    page.goto(f"{live_server.url}/fr/account/")
    page.get_by_label("Identifiant").fill("claire")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Nouvelle demande à un conseiller").click()
    page.get_by_label("De quoi avez-vous besoin ?").fill("Ma box ne s'allume plus.")
    page.get_by_role("button", name="Envoyer à un conseiller").click()

    page.get_by_role("navigation", name="Compte et langue").get_by_role(
        "link", name="Mes demandes"
    ).click()
    request = Conversation.objects.get(customer=customer)
    page.get_by_role("link", name=f"Demande n°\u00a0{request.pk}").click()
    expect(page.locator(".thread")).to_contain_text("Ma box ne s'allume plus.")
    assert page.locator("[data-human-exit]").first.is_visible()
    page.get_by_label("Votre message").fill("Voici le voyant.")
    page.get_by_label("Joindre des fichiers").set_input_files(str(photo))
    page.get_by_role("button", name="Envoyer", exact=True).click()

    expect(page.locator(".flash")).to_have_text("Votre message est envoyé.")
    with page.expect_download() as downloaded:
        page.get_by_role("link", name="voyant.png").click()
    assert downloaded.value.suggested_filename == "voyant.png"
    with open(downloaded.value.path(), "rb") as saved:
        assert saved.read() == PNG
