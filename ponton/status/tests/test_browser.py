"""A customer on a phone during an incident, in a real Chromium: the banner and the way to
a person on the help center and in the widget, and the status page with its updates."""

from __future__ import annotations

from typing import Any

import pytest

from ponton.accounts.models import User
from ponton.conftest import PHONE, exits_in_viewport_js
from ponton.status import services
from ponton.status.models import Component, Phase

pytestmark = pytest.mark.browser

BANNERS_IN_VIEWPORT = (
    "() => Array.from(document.querySelectorAll('[data-incident-banner]')).filter((e) => {"
    "const r = e.getBoundingClientRect();"
    "return r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= innerHeight && r.right <= innerWidth;"
    "}).length"
)


@pytest.fixture
def phone(browser: Any) -> Any:
    context = browser.new_context(viewport=PHONE, locale="fr-FR", is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_a_customer_on_a_phone_sees_the_incident_and_the_way_to_a_person_everywhere(
    phone: Any, live_server: Any, fibre: Component, supervisor: User, artifacts: Any
) -> None:
    from playwright.sync_api import expect

    incident = services.declare_incident(
        services.IncidentFields(
            title_fr="Panne de la fibre à Lyon",
            message_fr="Nos équipes sont sur place.",
            impact="major_outage",
            components=[fibre],
        ),
        by=supervisor,
    )
    services.post_update(
        incident, phase=Phase.IDENTIFIED, message_fr="Un câble a été coupé.", by=supervisor
    )

    phone.goto(f"{live_server.url}/fr/")
    banner = phone.locator("[data-incident-banner]").first
    expect(banner).to_contain_text("Panne de la fibre à Lyon")
    expect(banner).to_contain_text("Un câble a été coupé.")
    assert phone.evaluate(BANNERS_IN_VIEWPORT) >= 1
    assert phone.evaluate(exits_in_viewport_js()) >= 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=str(artifacts / "status-banner-phone.png"))

    phone.get_by_role("button", name="Besoin d'aide ?").click()
    panel = phone.locator("#pw-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("[data-incident-banner]")).to_contain_text("Panne de la fibre à Lyon")
    assert phone.evaluate(exits_in_viewport_js("#pw-panel")) >= 1
    phone.screenshot(path=str(artifacts / "status-widget-phone.png"))
    panel.locator("#pw-input").fill("ma fibre ne marche plus")
    panel.locator("#pw-input").press("Enter")
    expect(panel.locator(".pw-assistant").last).to_contain_text("Nous sommes au courant")
    expect(panel.locator(".pw-assistant").last.locator("[data-human-exit]")).to_be_visible()

    phone.goto(f"{live_server.url}/fr/status/")
    article = phone.locator(f"#incident-{incident.pk}")
    expect(article).to_contain_text("Panne de la fibre à Lyon")
    expect(article).to_contain_text("Un câble a été coupé.")
    expect(article).to_contain_text("Nos équipes sont sur place.")
    assert phone.evaluate(exits_in_viewport_js()) >= 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=str(artifacts / "status-page-phone.png"), full_page=True)
